-- example-milter.lua - OpenDKIM's miltertest drives the Sekisho example milter.
--
-- Usage: miltertest -s example-milter.lua -D sock=inet:PORT@127.0.0.1
-- The example milter adds "X-Sekisho-Example: yes" to every message and rejects the
-- envelope sender reject@example.com with "550 5.7.1 rejected by example".
-- Exit status 0 when every check passed; the last line reads "N passed, N failed".

local passed, failed = 0, 0

local function check(cond, what)
    if cond then
        passed = passed + 1
        mt.echo("ok   - " .. what)
    else
        failed = failed + 1
        mt.echo("FAIL - " .. what)
    end
end

local function step(conn, what, err, want)
    local reply = mt.getreply(conn)
    check(err == nil and reply == want, string.format("%s (err=%s reply=%s)", what, tostring(err), tostring(reply)))
end

if sock == nil then
    error("pass the milter socket: -D sock=inet:PORT@127.0.0.1")
end

mt.set_timeout(10)
local conn = mt.connect(sock, 20, 0.25)
if conn == nil then
    error("cannot connect to milter at " .. sock)
end

-- Negotiation as a Postfix/Sendmail 8.14+ MTA; the example requires SMFIF_ADDHDRS.
check(mt.negotiate(conn, 6, nil, nil) == nil, "negotiate version 6")
check(mt.test_action(conn, SMFIF_ADDHDRS), "filter requested SMFIF_ADDHDRS")
check(not mt.test_option(conn, SMFIP_NODATA), "filter takes the DATA step (no Nagle stall in Postfix)")

mt.macro(conn, SMFIC_CONNECT, "j", "mt.sekisho.test", "{daemon_name}", "mt.sekisho.test", "_", "localhost [127.0.0.1]")
step(conn, "connect", mt.conninfo(conn, "localhost", "127.0.0.1"), SMFIR_CONTINUE)
step(conn, "helo", mt.helo(conn, "client.example.com"), SMFIR_CONTINUE)

-- 1. A message that passes and gets the header.
local function message(n, sender, body)
    mt.macro(conn, SMFIC_MAIL, "i", "MT000" .. n, "{mail_addr}", sender)
    local err = mt.mailfrom(conn, "<" .. sender .. ">")
    local reply = mt.getreply(conn)
    if reply ~= SMFIR_CONTINUE then
        return err, reply
    end
    step(conn, "rcpt #" .. n, mt.rcptto(conn, "<rcpt@example.org>"), SMFIR_CONTINUE)
    step(conn, "data #" .. n, mt.data(conn), SMFIR_CONTINUE)
    step(conn, "header From #" .. n, mt.header(conn, "From", "<" .. sender .. ">"), SMFIR_CONTINUE)
    step(conn, "header Subject #" .. n, mt.header(conn, "Subject", "miltertest " .. n), SMFIR_CONTINUE)
    step(conn, "header folded #" .. n, mt.header(conn, "X-Folded", "one\n\ttwo"), SMFIR_CONTINUE)
    step(conn, "eoh #" .. n, mt.eoh(conn), SMFIR_CONTINUE)
    body(n)
    err = mt.eom(conn)
    return err, mt.getreply(conn)
end

local err, reply = message(1, "sender@example.com", function(n)
    step(conn, "body #" .. n, mt.bodystring(conn, "Line 1.\r\nLine 2.\r\n"), SMFIR_CONTINUE)
end)
check(err == nil and (reply == SMFIR_CONTINUE or reply == SMFIR_ACCEPT), "eom #1 accepted")
check(mt.eom_check(conn, MT_HDRADD, "X-Sekisho-Example", "yes"), "eom #1 added X-Sekisho-Example: yes")
check(mt.getheader(conn, "X-Sekisho-Example", 0) == "yes", "getheader X-Sekisho-Example = yes")
check(not mt.eom_check(conn, MT_BODYCHANGE), "eom #1 left the body alone")
check(mt.abort(conn) == nil, "abort after eom #1 (as Postfix sends it)")

-- 2. The refused sender, on the same connection.
mt.macro(conn, SMFIC_MAIL, "{mail_addr}", "reject@example.com")
local rerr = mt.mailfrom(conn, "<reject@example.com>")
check(rerr == nil and mt.getreply(conn) == SMFIR_REPLYCODE, "mail from reject@example.com answered with a reply code")
-- (MT_SMTPREPLY only inspects end-of-message replies; the text itself is checked through a real
-- Postfix in ExampleMilterTests.)
check(mt.abort(conn) == nil, "abort after the rejection")

-- 3. A large body (over 64 KiB, many chunks) on the same connection.
err, reply = message(3, "big@example.com", function(n)
    check(mt.bodyrandom(conn, 200000) == nil, "body #3: 200,000 random bytes")
end)
check(err == nil and (reply == SMFIR_CONTINUE or reply == SMFIR_ACCEPT), "eom #3 accepted")
check(mt.eom_check(conn, MT_HDRADD, "X-Sekisho-Example", "yes"), "eom #3 added the header")

-- 4. An abort in the middle of a message, twice, then a clean message.
mt.macro(conn, SMFIC_MAIL, "{mail_addr}", "mid@example.com")
step(conn, "mail #4", mt.mailfrom(conn, "<mid@example.com>"), SMFIR_CONTINUE)
step(conn, "rcpt #4", mt.rcptto(conn, "<rcpt@example.org>"), SMFIR_CONTINUE)
check(mt.abort(conn) == nil, "abort inside message #4")
check(mt.abort(conn) == nil, "second abort")
err, reply = message(5, "after@example.com", function(n)
    step(conn, "body #" .. n, mt.bodystring(conn, "after the abort\r\n"), SMFIR_CONTINUE)
end)
check(err == nil and (reply == SMFIR_CONTINUE or reply == SMFIR_ACCEPT), "eom #5 accepted after aborts")
check(mt.eom_check(conn, MT_HDRADD, "X-Sekisho-Example", "yes"), "eom #5 added the header")

-- 5. An SMTP command the MTA did not know.
step(conn, "unknown command", mt.unknown(conn, "XYZZY plugh"), SMFIR_CONTINUE)

mt.disconnect(conn)
mt.echo(string.format("example-milter.lua: %d passed, %d failed", passed, failed))
if failed > 0 then
    error(string.format("%d check(s) failed", failed))
end
