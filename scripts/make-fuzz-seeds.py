#!/usr/bin/env python3
"""Writes the milter fuzzer's seed corpus (Fuzz/seeds/): whole MTA-side sessions as raw bytes.

Each seed is a sequence of milter frames (uint32 length incl. command byte, command, payload) the
way Postfix and Sendmail send them, plus some hostile variants. Regenerate with
`scripts/make-fuzz-seeds.py`; the files are committed so CI replays them.
"""
import os
import struct
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fuzz", "seeds")


def frame(code, payload=b""):
    return struct.pack(">I", 1 + len(payload)) + code.encode() + payload


def cstr(*parts):
    return b"".join(p.encode() + b"\0" for p in parts)


def macro(stage, *pairs):
    return frame("D", stage.encode() + cstr(*pairs))


OPTNEG = frame("O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF))
CONNECT = macro("C", "j", "mx.test", "{daemon_name}", "mx.test") + frame("C", cstr("client.example") + b"4" + struct.pack(">H", 25) + cstr("192.0.2.1"))
HELO = macro("H") + frame("H", cstr("client.example"))


def message(body=b"Hello\r\n", headers=(("From", "a@example.com"), ("Subject", "hi"))):
    out = macro("M", "{mail_addr}", "a@example.com") + frame("M", cstr("<a@example.com>", "SIZE=10"))
    out += macro("R", "i", "Q1") + frame("R", cstr("<b@example.org>"))
    out += macro("T", "i", "Q1") + frame("T")
    for name, value in headers:
        out += macro("L", "i", "Q1") + frame("L", cstr(name, value))
    out += macro("N", "i", "Q1") + frame("N")
    out += macro("B", "i", "Q1") + frame("B", body)
    out += macro("E", "i", "Q1") + frame("E")
    return out


SEEDS = {
    "postfix-session": OPTNEG + CONNECT + HELO + message() + frame("A") + message() + frame("A") + frame("Q"),
    "sendmail-ipv6": frame("O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF)) + frame("C", cstr("v6.example") + b"6" + struct.pack(">H", 25) + cstr("IPv6:2001:db8::1")) + HELO + message(),
    "unix-unknown": OPTNEG + frame("C", cstr("localhost") + b"L" + struct.pack(">H", 0) + cstr("/run/x")) + frame("K") + frame("C", cstr("unknown") + b"U") + frame("U", cstr("XYZZY")),
    "version2": frame("O", struct.pack(">III", 2, 0x3F, 0x7F)) + CONNECT + HELO + message(),
    "abort-everywhere": OPTNEG + frame("A") + CONNECT + frame("A") + HELO + frame("A") + frame("M", cstr("<a@x>")) + frame("A") + frame("A") + message() + frame("A"),
    "big-header": OPTNEG + CONNECT + HELO + message(headers=(("X-Big", "x" * 70000),)),
    "eom-with-data": OPTNEG + CONNECT + HELO + message()[:-5] + frame("E", b"tail\r\n"),
    "odd-macros": OPTNEG + frame("D", b"Z") + frame("D", b"B" + cstr("odd")) + CONNECT,
    "out-of-order": OPTNEG + CONNECT + frame("R", cstr("<b@x>")),
    "garbage": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "zero-length": b"\0\0\0\0",
    "huge-length": b"\x80\0\0\0O",
    "responses": frame("O", struct.pack(">III", 6, 0x101, 0x400) + struct.pack(">I", 1) + cstr("j {my}")) + frame("y", cstr("550-5.7.1 a\r\n550 5.7.1 100%% b")) + frame("m", struct.pack(">I", 1) + cstr("Subject", "")) + frame("2", cstr("<a@b>", "NOTIFY=NEVER")),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name + ".bin"), "wb") as f:
            f.write(data)
    print(f"wrote {len(SEEDS)} seeds to {os.path.normpath(OUT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
