-- old-mta.lua - miltertest plays an MTA speaking milter protocol version 2 (Sendmail 8.13):
-- no DATA step, no SMFIC_UNKNOWN, no no-reply flags. The milter must answer with version 2 and
-- still tag messages and reject reject@example.com.
--
-- Usage: miltertest -s old-mta.lua -D sock=inet:PORT@127.0.0.1

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

-- Version 2: actions SMFI_V2_ACTS (0x3F), steps SMFI_V2_PROT (0x7F).
check(mt.negotiate(conn, 2, 63, 127) == nil, "negotiate version 2")
check(mt.test_action(conn, SMFIF_ADDHDRS), "filter requested SMFIF_ADDHDRS")

step(conn, "connect", mt.conninfo(conn, "localhost", "127.0.0.1"), SMFIR_CONTINUE)
step(conn, "helo", mt.helo(conn, "old.example.com"), SMFIR_CONTINUE)
step(conn, "mail", mt.mailfrom(conn, "<sender@example.com>"), SMFIR_CONTINUE)
step(conn, "rcpt", mt.rcptto(conn, "<rcpt@example.org>"), SMFIR_CONTINUE)
step(conn, "header", mt.header(conn, "Subject", "from an old MTA"), SMFIR_CONTINUE)
step(conn, "eoh", mt.eoh(conn), SMFIR_CONTINUE)
step(conn, "body", mt.bodystring(conn, "old body\r\n"), SMFIR_CONTINUE)
local err = mt.eom(conn)
local reply = mt.getreply(conn)
check(err == nil and (reply == SMFIR_CONTINUE or reply == SMFIR_ACCEPT), "eom accepted")
check(mt.eom_check(conn, MT_HDRADD, "X-Sekisho-Example", "yes"), "eom added X-Sekisho-Example: yes")
check(mt.abort(conn) == nil, "abort")

local rerr = mt.mailfrom(conn, "<reject@example.com>")
check(rerr == nil and mt.getreply(conn) == SMFIR_REPLYCODE, "reject@example.com refused with a reply code")
-- (MT_SMTPREPLY only inspects end-of-message replies; the text itself is checked through a real
-- Postfix in ExampleMilterTests.)

mt.disconnect(conn)
mt.echo(string.format("old-mta.lua: %d passed, %d failed", passed, failed))
if failed > 0 then
    error(string.format("%d check(s) failed", failed))
end
