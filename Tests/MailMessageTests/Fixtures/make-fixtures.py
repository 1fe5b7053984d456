#!/usr/bin/env python3
"""Writes Sekisho's own golden MIME test messages beside this script.

For every case NN-name it writes:

* NN-name.eml            the raw message bytes (CRLF line endings), built by hand from string
                         templates plus base64 / quoted-printable / codec calls, never with
                         email.generator, so the exact wire form is under control;
* NN-name.expected.json  one manifest-style message entry (same keys as a `messages[]` entry of
                         /work/shared/corpus/manifest.json, see the corpus README). Every fact is
                         taken from how the message was *built* (the payload bytes that were
                         encoded, the paths the builder assigned), never from parsing the output.

Python 3 standard library only. Deterministic: no clock, no unseeded randomness; running it twice
gives byte-identical files.

    python3 make-fixtures.py             # (re)write the fixtures into this folder
    python3 make-fixtures.py --out DIR   # write them into DIR instead
    python3 make-fixtures.py --check     # parse the written .eml files with CPython's email package
                                         # (and glibc iconv when present) and list every place where
                                         # they disagree with the expected facts; known, declared
                                         # disagreements are reported, undeclared ones fail

Cases (each covers something the shared corpus does not):

01 ISO-2022-JP-2: Chinese (GB2312, ESC $ A), Korean (KS C 5601, ESC $ ( C) and Japanese in encoded
   words and in the body.
02 GB2312 base64 body plus RFC 2231 filenames in gb2312, big5 (with language) and euc-kr (with
   continuations split inside a character).
03 Mailing-list MIME digest: multipart/digest parts without Content-Type (default message/rfc822).
04 EUC-JP label carrying eucJP-ms NEC row 13 characters (①②㈱) in Subject, From and body.
05 HTML-only quoted-printable body with entities, <script>, <style> and a comment.
06 Outlook: filename only in Content-Type name="=?utf-8?Q?...?=" (Q, underscores), attachment
   disposition without filename; inline cid: image with Content-Disposition inline and filename.
07 RFC 6532: raw UTF-8 in Subject, display names, an address local part and a domain.
"""
import argparse
import base64
import hashlib
import html
import html.parser
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import io
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CRLF = b"\r\n"
SEED = 20240601
DATE = "Mon, 03 Jun 2024 09:15:00 +0900"


def sha256(b):
    return hashlib.sha256(b).hexdigest()


# ------------------------------------------------------------------ encoders
def b64s(b):
    return base64.b64encode(b).decode("ascii")


def b64_body(data, width=76):
    s = base64.b64encode(data)
    return CRLF.join(s[i:i + width] for i in range(0, len(s), width)) + CRLF


def qp_body(data, maxlen=76):
    """Quoted-printable (RFC 2045 6.7): CRLF in data are hard breaks; soft breaks keep every
    line within maxlen; '=' and non-printables are =XX; trailing space/tab is encoded."""
    out = []
    for line in data.split(CRLF):
        toks = []
        for i, c in enumerate(line):
            if (33 <= c <= 126 and c != 61) or (c in (9, 32) and i != len(line) - 1):
                toks.append(bytes([c]))
            else:
                toks.append(b"=%02X" % c)
        cur = b""
        for k, t in enumerate(toks):
            room = maxlen if k == len(toks) - 1 else maxlen - 1
            if len(cur) + len(t) > room:
                out.append(cur + b"=")
                cur = t
            else:
                cur += t
        out.append(cur)
    return CRLF.join(out)


def q_word(b):
    """RFC 2047 Q encoding, conservative: only letters and digits literal, space as '_'."""
    out = []
    for c in b:
        if (0x30 <= c <= 0x39) or (0x41 <= c <= 0x5A) or (0x61 <= c <= 0x7A) or c in b".-":
            out.append(chr(c))
        elif c == 0x20:
            out.append("_")
        else:
            out.append("=%02X" % c)
    return "".join(out)


def ew(b, label, mode="B"):
    word = "=?%s?%s?%s?=" % (label, mode, b64s(b) if mode == "B" else q_word(b))
    assert len(word) <= 75, word
    return word


def ew_split(text, encode, label, mode="B"):
    """Encoded words that each hold whole characters and stay within 75 octets."""
    words, cur = [], ""
    for ch in text:
        cand = cur + ch
        word = "=?%s?%s?%s?=" % (label, mode, b64s(encode(cand)) if mode == "B" else q_word(encode(cand)))
        if cur and len(word) > 75:
            words.append(ew(encode(cur), label, mode))
            cur = ch
        else:
            cur = cand
    if cur:
        words.append(ew(encode(cur), label, mode))
    return words


def pct(b):
    """RFC 2231 percent-encoding (attribute-char kept literal)."""
    return "".join(chr(c) if (0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A
                              or c in b"!#$&+-.^_`|~") else "%%%02X" % c for c in b)


# ISO-2022-JP-2 (RFC 1554) segments, built by hand so that the designations are exact.
def j2_seg(text, charset):
    if charset == "ascii":
        return text.encode("ascii")
    if charset == "jisx0208":            # ESC $ B
        b = text.encode("iso2022_jp")
        assert b.startswith(b"\x1b$B") and b.count(b"\x1b") == 2, (text, b)
        return b
    if charset == "gb2312":              # ESC $ A (RFC 1554 short form)
        raw = text.encode("gb2312")
        assert len(raw) == 2 * len(text)
        return b"\x1b$A" + bytes(c & 0x7F for c in raw) + b"\x1b(B"
    if charset == "ksc5601":             # ESC $ ( C
        raw = text.encode("euc_kr")
        assert len(raw) == 2 * len(text)
        return b"\x1b$(C" + bytes(c & 0x7F for c in raw) + b"\x1b(B"
    raise ValueError(charset)


def j2_bytes(segments):
    b = b"".join(j2_seg(t, cs) for t, cs in segments)
    assert b.decode("iso2022_jp_2") == "".join(t for t, _ in segments)
    return b


def iso2022jp2_body(text):
    """Python's iso2022_jp_2 codec, line by line (every line ends in ASCII). The codec designates
    GB2312 with the long form ESC $ ( A; RFC 1554 (the charset's registration) and glibc iconv
    only know the short form ESC $ A, so it is rewritten to that form."""
    out = []
    for line in text.split("\r\n"):
        b = line.encode("iso2022_jp_2").replace(b"\x1b$(A", b"\x1b$A")
        assert b.decode("iso2022_jp_2") == line
        out.append(b)
    return CRLF.join(out)


def eucjp_ms(text):
    """EUC-JP with the eucJP-ms / CP51932 NEC row 13 extension (①=0xADA1, ㈱=0xADEA)."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("euc_jp")
            continue
        except UnicodeEncodeError:
            pass
        s1, s2 = ch.encode("cp932")                 # Shift_JIS (CP932) -> JIS row/cell -> EUC
        row = (s1 - 0x81) * 2 + 1 if s1 < 0xA0 else (s1 - 0xC1) * 2 + 1
        if s2 >= 0x9F:
            row, cell = row + 1, s2 - 0x9E
        else:
            cell = s2 - 0x3F - (1 if s2 >= 0x80 else 0)
        assert row == 13, (ch, row)                 # only NEC row 13 is wanted here
        out += bytes([0xA0 + row, 0xA0 + cell])
    return bytes(out)


# ------------------------------------------------------------------ file factories
def deflate_stored(data):
    out = bytearray(b"\x78\x01")
    for i in range(0, len(data), 65535):
        blk = data[i:i + 65535]
        final = 1 if i + 65535 >= len(data) else 0
        out += bytes([final]) + struct.pack("<HH", len(blk), len(blk) ^ 0xFFFF) + blk
    out += struct.pack(">I", zlib.adler32(data) & 0xFFFFFFFF)
    return bytes(out)


def make_png(w, h, rng):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(w * 3)) for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", deflate_stored(rows)) + chunk(b"IEND", b""))


def make_pdf(title):
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"]
    stream = ("BT /F1 12 Tf 72 770 Td (%s) Tj ET" % title).encode("ascii")
    objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def make_zip(members):
    """Stored (uncompressed) ZIP with fixed timestamps: byte-identical on every Python/zlib."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 6, 1, 9, 0, 0))
            info.create_system = 3
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED
            z.writestr(info, data)
    return buf.getvalue()


def make_xlsx(rows):
    sheet = "".join("<row r=\"%d\">%s</row>" % (r, "".join(
        "<c r=\"%s%d\" t=\"inlineStr\"><is><t>%s</t></is></c>" % (chr(65 + c), r, html.escape(str(v)))
        for c, v in enumerate(row))) for r, row in enumerate(rows, 1))
    return make_zip([
        ("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
         'openxmlformats.org/package/2006/content-types"><Override PartName="/xl/worksheets/sheet1.xml" '
         'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        ("xl/worksheets/sheet1.xml", '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
         'openxmlformats.org/spreadsheetml/2006/main"><sheetData>%s</sheetData></worksheet>' % sheet),
    ])


def make_docx(paragraphs):
    body = "".join("<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % html.escape(p) for p in paragraphs)
    return make_zip([
        ("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
         'openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" '
         'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'),
        ("word/document.xml", '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.'
         'openxmlformats.org/wordprocessingml/2006/main"><w:body>%s</w:body></w:document>' % body),
    ])


# ------------------------------------------------------------------ MIME building
class Part:
    """One MIME entity. headers: list of (name, value); value is str (ASCII or raw UTF-8) or bytes,
    written verbatim (folding included). Exactly one of body (transfer-encoded bytes), children
    (multipart) or inner (message/rfc822: the encapsulated message, itself a Part) is set.
    The remaining fields are the facts the builder knows: they feed the expected JSON."""

    def __init__(self, headers, ctype, body=None, children=None, boundary=None, inner=None, preamble=b"",
                 role="body", content=None, charset=None, cte="7bit", disposition=None, filename=None,
                 content_id=None, inline=False, filename_encoding=None, filename_alternatives=None):
        self.headers = headers
        self.ctype = ctype
        self.body = body
        self.children = children
        self.boundary = boundary
        self.inner = inner
        self.preamble = preamble
        self.role = role
        self.content = content
        self.charset = charset
        self.cte = cte
        self.disposition = disposition
        self.filename = filename
        self.content_id = content_id
        self.inline = inline
        self.filename_encoding = filename_encoding
        self.filename_alternatives = filename_alternatives or []


def ser(p):
    out = bytearray()
    for name, value in p.headers:
        if isinstance(value, str):
            value = value.encode("utf-8")
        out += name.encode("ascii") + b": " + value + CRLF
    out += CRLF
    if p.children is not None:
        out += p.preamble
        b = p.boundary.encode("ascii")
        for c in p.children:
            out += b"--" + b + CRLF + ser(c) + CRLF
        out += b"--" + b + b"--" + CRLF
    elif p.inner is not None:
        out += ser(p.inner)
    else:
        out += p.body
    return bytes(out)


def multipart(sub, boundary, children, extra="", headers=None, preamble=b""):
    h = (headers or []) + [("Content-Type", 'multipart/%s;%s\r\n\tboundary="%s"' % (sub, extra, boundary))]
    return Part(h, "multipart/" + sub, children=children, boundary=boundary, preamble=preamble, role="container")


def text_part(body_bytes, subtype, charset_label, cte, extra_headers=None, ct_header=None):
    """A body-text leaf. body_bytes are the decoded bytes; they are transfer-encoded here."""
    if cte == "base64":
        wire = b64_body(body_bytes)
    elif cte == "quoted-printable":
        wire = qp_body(body_bytes)
    else:
        wire = body_bytes
    h = []
    if ct_header is not False:
        h.append(("Content-Type", ct_header or "text/%s; charset=%s" % (subtype, charset_label)))
    if cte is not None:
        h.append(("Content-Transfer-Encoding", cte))
    return Part(h + (extra_headers or []), "text/" + subtype, body=wire, role="body",
                charset=charset_label.strip('"').lower() if charset_label else None, cte=(cte or "7bit").lower())


def walk(p, path, tree, atts, bodies, top, in_rfc822=None, depth=0):
    """Expected facts from the built structure (IMAP numbering, see the corpus README)."""
    if p.children is not None:
        tree.append({"path": path if path is not None else "", "content_type": p.ctype, "depth": depth})
        prefix = "" if path is None else path + "."
        for i, c in enumerate(p.children, 1):
            walk(c, prefix + str(i), tree, atts, bodies, False, in_rfc822, depth + 1)
        return
    if path is None:
        path = "1"
    tree.append({"path": path, "content_type": p.ctype, "depth": depth})
    if p.inner is not None:
        atts.append(att_record(p, path, ser(p.inner), in_rfc822))
        inner = p.inner
        if inner.children is not None:
            tree.append({"path": path + ".TEXT", "content_type": inner.ctype, "depth": depth + 1})
            for i, c in enumerate(inner.children, 1):
                walk(c, "%s.%d" % (path, i), tree, atts, bodies, False, path, depth + 2)
        else:
            walk(inner, path + ".1", tree, atts, bodies, False, path, depth + 1)
        return
    if p.role == "body":
        bodies.append({"path": path, "content_type": p.ctype, "charset": p.charset,
                       "transfer_encoding": p.cte, "inside_message_rfc822": in_rfc822})
    else:
        atts.append(att_record(p, path, p.content, in_rfc822))


def att_record(p, path, content, in_rfc822):
    r = {
        "mime_path": path,
        "filename": p.filename,
        "content_type": p.ctype,
        "transfer_encoding": p.cte,
        "size": len(content),
        "sha256": sha256(content),
        "inline": p.inline,
        "role": p.role,
        "content_disposition": p.disposition,
        "content_id": p.content_id,
        "filename_encoding": p.filename_encoding,
        "inside_message_rfc822": in_rfc822,
    }
    if p.filename_alternatives:
        r["filename_alternatives"] = p.filename_alternatives
    return r


def attachment(content, ctype, headers, cte="base64", filename=None, disposition="attachment", role=None,
               inline=False, content_id=None, filename_encoding="ascii"):
    """headers: the part's header lines as written (Content-Type first)."""
    if cte == "base64":
        wire = b64_body(content)
    elif cte == "quoted-printable":
        wire = qp_body(content)
    else:
        wire = content
    return Part(headers + [("Content-Transfer-Encoding", cte)], ctype, body=wire,
                role=role or ("inline" if inline else "attachment"), content=content, cte=cte,
                disposition=disposition, filename=filename, content_id=content_id, inline=inline,
                filename_encoding=filename_encoding if filename is not None else None)


def message(top_headers, root, msgid, mime=True):
    h = list(top_headers) + [("Date", DATE), ("Message-ID", "<%s>" % msgid)]
    if mime:
        h.append(("MIME-Version", "1.0"))
    return Part(h + root.headers, root.ctype, body=root.body, children=root.children, boundary=root.boundary,
                inner=root.inner, preamble=root.preamble, role=root.role, content=root.content,
                charset=root.charset, cte=root.cte, disposition=root.disposition, filename=root.filename,
                content_id=root.content_id, inline=root.inline, filename_encoding=root.filename_encoding)


def A(name, address):
    return {"name": name, "address": address}


def W(code, detail, severity="info"):
    return {"code": code, "severity": severity, "detail": detail}


def html_visible_text(markup):
    """Visible text of an HTML source as a correct extractor gives it (used only to check, at build
    time, that every body_text_contains word really is visible in what the builder wrote)."""
    class V(html.parser.HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.out, self.skip = [], 0

        def handle_starttag(self, tag, attrs):
            if tag in ("script", "style"):
                self.skip += 1
            self.out.append(" ")

        def handle_endtag(self, tag):
            if tag in ("script", "style"):
                self.skip -= 1
            self.out.append(" ")

        def handle_data(self, data):
            if not self.skip:
                self.out.append(data)
    v = V()
    v.feed(markup)
    v.close()
    return "".join(v.out)


# ------------------------------------------------------------------ cases
CASES = []


def case(num, slug, category, tags, description):
    def deco(fn):
        CASES.append(dict(id=num, slug=slug, category=category, tags=tags, description=description, fn=fn))
        return fn
    return deco


CATEGORY_NAMES = {1: "body-encoding", 2: "filename-encoding", 3: "structure", 4: "malformed", 5: "large"}


@case("01", "iso2022jp2-multilingual", 1, ["iso-2022-jp-2", "gb2312", "ks-c-5601", "jis-x-0212", "rfc2047-b"],
      "ISO-2022-JP-2 (RFC 1554): Subject has three encoded-words, one each in JIS X 0208 (ESC $ B), GB2312 "
      "(ESC $ A) and KS C 5601 (ESC $ ( C); From (Korean), To (GB2312) and Cc (JIS X 0208) display names too. "
      "The text/plain body (charset=iso-2022-jp-2, 7bit) was written by Python's iso2022_jp_2 codec line by "
      "line, which also uses JIS X 0212 (ESC $ ( D) for some hanzi; its GB2312 designations were rewritten "
      "from the long form ESC $ ( A to the RFC 1554 form ESC $ A.")
def _(rng):
    subj = [[("[", "ascii"), ("多言語", "jisx0208"), ("] ", "ascii"), ("会議のお知らせ", "jisx0208"), (" ", "ascii")],
            [("会议通知", "gb2312"), (" ", "ascii")],
            [("회의", "ksc5601"), (" ", "ascii"), ("안내", "ksc5601")]]
    subject = "".join(t for seg in subj for t, _ in seg)
    words = [ew(j2_bytes(seg), "ISO-2022-JP-2") for seg in subj]
    frm = ew(j2_bytes([("김민수", "ksc5601")]), "ISO-2022-JP-2")
    to = ew(j2_bytes([("王芳", "gb2312")]), "ISO-2022-JP-2")
    cc = ew(j2_bytes([("山田", "jisx0208"), (" ", "ascii"), ("太郎", "jisx0208")]), "ISO-2022-JP-2")
    text = ("各位\r\n"
            "\r\n"
            "多言語メールのテストです。\r\n"
            "中文：这是简体中文的项目计划说明。\r\n"
            "한국어: 한국어 테스트 메일입니다.\r\n"
            "日本語：会議は来週の水曜日です。\r\n"
            "\r\n"
            "김민수\r\n")
    body = iso2022jp2_body(text)
    assert all(c < 128 for c in body) and b"\x1b$A" in body and b"\x1b$(C" in body and b"\x1b$(D" in body
    root = text_part(body, "plain", "iso-2022-jp-2", "7bit")
    ent = message([("From", "%s <minsu.kim@example.kr>" % frm),
                   ("To", "%s <wang.fang@example.cn>" % to),
                   ("Cc", "%s <taro.yamada@example.co.jp>" % cc),
                   ("Subject", "\r\n ".join(words))], root, "01.iso2022jp2@example.kr")
    return dict(ent=ent, subject=subject,
                frm=[A("김민수", "minsu.kim@example.kr")], to=[A("王芳", "wang.fang@example.cn")],
                cc=[A("山田 太郎", "taro.yamada@example.co.jp")],
                texts=[text],
                body_text_contains=["多言語メールのテスト", "这是简体中文的项目计划说明", "한국어 테스트 메일입니다",
                                    "会議は来週の水曜日です", "김민수"],
                warnings=[],
                notes="Decoders must switch G0 between JIS X 0208, JIS X 0212, GB2312 and KS C 5601 inside one "
                      "line. Python's iso2022_jp_2 encoder writes ESC $ ( A for GB2312; glibc iconv does not "
                      "recognise that form (it passes the escape through as text), so the body uses ESC $ A.")


@case("02", "gb2312-big5-euckr-rfc2231", 2, ["gb2312", "big5", "euc-kr", "rfc2231", "rfc2231-continuation",
                                             "rfc2231-language", "base64"],
      "Chinese mail: text/plain charset=\"GB2312\" base64 body; three attachments whose RFC 2231 filenames are in "
      "gb2312 (Content-Type name* and Content-Disposition filename*), big5 with language zh-TW (Content-Type has "
      "a different plain ASCII name=, Content-Disposition filename* wins) and euc-kr with language ko split into "
      "continuations in the middle of a Hangul character (a text/plain attachment, not body text).")
def _(rng):
    subject = "项目资料 三个附件"
    words = ew_split(subject, lambda s: s.encode("gb2312"), "GB2312")
    frm = ew("王芳".encode("gb2312"), "GB2312")
    text = ("各位同事：\r\n"
            "\r\n"
            "附件是项目计划书、报价单和会议记录，请查收。\r\n"
            "如有问题请联系我。\r\n"
            "\r\n"
            "王芳\r\n")
    body = text_part(text.encode("gb2312"), "plain", '"GB2312"', "base64")

    n1 = "项目计划书.docx"
    d1 = make_docx(["项目计划书", "第一阶段：需求分析", "第二阶段：系统设计"])
    p1 = pct(n1.encode("gb2312"))
    a1 = attachment(d1, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", [
        ("Content-Type", "application/vnd.openxmlformats-officedocument.wordprocessingml.document;\r\n"
                         " name*=gb2312''%s" % p1),
        ("Content-Disposition", "attachment;\r\n filename*=gb2312''%s" % p1)],
        filename=n1, filename_encoding="rfc2231-gb2312")

    n2 = "報價單_2024年6月.pdf"
    d2 = make_pdf("Quotation 2024-06")
    a2 = attachment(d2, "application/pdf", [
        ("Content-Type", 'application/pdf; name="quotation.pdf"'),
        ("Content-Disposition", "attachment;\r\n filename*=big5'zh-TW'%s" % pct(n2.encode("big5")))],
        filename=n2, filename_encoding="rfc2231-big5")

    n3 = "회의록_최종본.txt"
    d3 = "회의록\r\n1. 일정 확인\r\n2. 예산 검토\r\n".encode("euc_kr")
    e3 = n3.encode("euc_kr")
    cut = 5                                   # 회(2) 의(2) + first byte of 록: split inside 록
    assert e3[cut - 1] >= 0xA1 and e3[cut] >= 0xA1
    a3 = attachment(d3, "text/plain", [
        ("Content-Type", "text/plain; charset=euc-kr"),
        ("Content-Disposition", "attachment;\r\n filename*0*=euc-kr'ko'%s;\r\n filename*1*=%s"
         % (pct(e3[:cut]), pct(e3[cut:])))],
        filename=n3, filename_encoding="rfc2231-continuation-euc-kr")

    root = multipart("mixed", "----=_NextPart_000_0002_01DAB5A1.6F2E3D40", [body, a1, a2, a3],
                     preamble=b"This is a multi-part message in MIME format.\r\n\r\n")
    ent = message([("From", "%s <wang.fang@example.cn>" % frm),
                   ("To", "team@example.cn"),
                   ("Subject", "\r\n ".join(words))], root, "02.gb2312@example.cn")
    return dict(ent=ent, subject=subject, frm=[A("王芳", "wang.fang@example.cn")],
                to=[A("", "team@example.cn")], cc=[], texts=[text],
                body_text_contains=["项目计划书", "会议记录", "请查收", "如有问题请联系我"],
                warnings=[],
                notes="The gb2312 name is in both Content-Type name* and Content-Disposition filename*. The "
                      "big5 attachment's Content-Type says name=\"quotation.pdf\": the disposition filename "
                      "takes precedence. The euc-kr segments must be joined as bytes before decoding "
                      "(segment 0 ends with the lead byte of 록).")


@case("03", "mime-digest-default-rfc822", 3, ["multipart/digest", "message/rfc822", "default-content-type",
                                              "mailing-list", "nested-attachments"],
      "Mailman-style MIME digest: mixed > [text/plain masthead, multipart/digest > [msg, msg], text/plain "
      "footer]. The digest's parts have no headers at all, so they default to message/rfc822 (RFC 2046 5.1.5). "
      "The first digested message has no MIME headers (text/plain, no charset); the second is multipart/mixed "
      "with a UTF-8 base64 text and a small base64 JSON attachment (path 2.2.2).")
def _(rng):
    mast_text = ("Send Sekisho-users mailing list submissions to\r\n"
                 "\tsekisho-users@lists.example.org\r\n"
                 "\r\n"
                 "Today's Topics:\r\n"
                 "\r\n"
                 "   1. ZIP encryption threshold (Taro Yamada)\r\n"
                 "   2. Re: policy file format (Hanako Sato)\r\n")
    masthead = text_part(mast_text.encode("ascii"), "plain", '"us-ascii"', "7bit",
                         extra_headers=[("Content-Description", "Sekisho-users Digest, Vol 12, Issue 3")])

    m1_text = ("Hello all,\r\n"
               "\r\n"
               "Is there a way to lower the ZIP encryption threshold to 1 KiB?\r\n"
               "We want every attachment wrapped, however small.\r\n"
               "\r\n"
               "Taro\r\n")
    m1 = Part([("From", "Taro Yamada <taro.yamada@example.co.jp>"),
               ("To", "sekisho-users@lists.example.org"),
               ("Subject", "ZIP encryption threshold"),
               ("Date", "Sun, 02 Jun 2024 18:02:11 +0900"),
               ("Message-ID", "<m1.digest03@example.co.jp>")],
              "text/plain", body=m1_text.encode("ascii"), role="body", charset=None, cte="7bit")

    m2_text = ("ポリシーファイルの例を添付します。\r\n"
               "暗号化の対象は添付ファイルだけです。\r\n"
               "\r\n"
               "佐藤\r\n")
    m2_body = text_part(m2_text.encode("utf-8"), "plain", "utf-8", "base64")
    policy = json.dumps({"encrypt_attachments": True, "zip": {"method": "aes-256", "min_size": 1024},
                         "notify_sender": True, "exclude_domains": ["example.org"]},
                        indent=2, sort_keys=True).replace("\n", "\r\n").encode("ascii") + CRLF
    m2_att = attachment(policy, "application/json", [
        ("Content-Type", 'application/json; name="policy.json"'),
        ("Content-Disposition", 'attachment; filename="policy.json"')],
        filename="policy.json")
    m2_root = multipart("mixed", "===============4105118917312519337==", [m2_body, m2_att])
    m2 = Part([("From", ew("佐藤 花子".encode("utf-8"), "UTF-8") + " <hanako.sato@example.jp>"),
               ("To", "sekisho-users@lists.example.org"),
               ("Subject", "Re: policy file format"),
               ("Date", "Sun, 02 Jun 2024 21:40:55 +0900"),
               ("Message-ID", "<m2.digest03@example.jp>"),
               ("MIME-Version", "1.0")] + m2_root.headers,
              m2_root.ctype, children=m2_root.children, boundary=m2_root.boundary, role="container")

    def digested(inner):
        # No header lines at all: the part starts with the empty line, default type message/rfc822.
        return Part([], "message/rfc822", inner=inner, role="message-rfc822", cte="7bit")
    digest = multipart("digest", "===============0566741536912874921==", [digested(m1), digested(m2)])

    foot_text = ("_______________________________________________\r\n"
                 "Sekisho-users mailing list\r\n"
                 "sekisho-users@lists.example.org\r\n")
    footer = text_part(foot_text.encode("ascii"), "plain", '"us-ascii"', "7bit",
                       extra_headers=[("Content-Disposition", "inline")])
    root = multipart("mixed", "===============7428843046118432701==", [masthead, digest, footer])
    ent = message([("From", "sekisho-users-request@lists.example.org"),
                   ("To", "sekisho-users@lists.example.org"),
                   ("Subject", "Sekisho-users Digest, Vol 12, Issue 3"),
                   ("Reply-To", "sekisho-users@lists.example.org"),
                   ("List-Id", "<sekisho-users.lists.example.org>")], root, "digest.12.3@lists.example.org")
    return dict(ent=ent, subject="Sekisho-users Digest, Vol 12, Issue 3",
                frm=[A("", "sekisho-users-request@lists.example.org")],
                to=[A("", "sekisho-users@lists.example.org")], cc=[],
                texts=[mast_text, m1_text, m2_text, foot_text],
                body_text_contains=["Today's Topics:", "lower the ZIP encryption threshold to 1 KiB",
                                    "ポリシーファイルの例を添付します", "暗号化の対象は添付ファイルだけです",
                                    "Sekisho-users mailing list"],
                warnings=[],
                notes="The digested messages are attachments of role message-rfc822 without filename or "
                      "disposition (user_attachment_count 2). Their size/sha256 cover the bytes after the "
                      "part's empty header block up to the CRLF before the next delimiter. The footer has "
                      "Content-Disposition inline and no filename: it is body text, not an attachment.")


@case("04", "eucjp-ms-nec-row13", 1, ["euc-jp", "eucjp-ms", "cp51932", "nec-special", "8bit", "rfc2047-b"],
      "EUC-JP label on eucJP-ms content: Subject and From display name as =?EUC-JP?B?...?= and a text/plain "
      "charset=euc-jp 8bit body, all containing NEC row 13 characters (① 0xADA1, ② 0xADA2, ㈱ 0xADEA). "
      "Strict EUC-JP decoders (Python's euc_jp, glibc EUC-JP) reject those bytes; eucJP-ms / CP51932 "
      "decode them.")
def _(rng):
    subject = "①定例会議のご案内（㈱サンプル商事）"
    subj_words = ew_split(subject, eucjp_ms, "EUC-JP")
    from_name = "㈱サンプル商事 営業部②"
    text = ("各位\r\n"
            "\r\n"
            "①日本語のテキストです。\r\n"
            "②議題は次のとおりです。\r\n"
            "　・予算の確認\r\n"
            "\r\n"
            "㈱サンプル商事 営業部\r\n")
    body = eucjp_ms(text)
    assert b"\xad\xa1" in body and b"\xad\xa2" in body and b"\xad\xea" in body
    root = text_part(body, "plain", "euc-jp", "8bit")
    ent = message([("From", "%s <sales@sample.example.co.jp>" % ew(eucjp_ms(from_name), "EUC-JP")),
                   ("To", "info@example.jp"),
                   ("Subject", "\r\n ".join(subj_words))], root, "04.eucjpms@sample.example.co.jp")
    return dict(ent=ent, subject=subject, frm=[A(from_name, "sales@sample.example.co.jp")],
                to=[A("", "info@example.jp")], cc=[], texts=[text],
                body_text_contains=["日本語", "①日本語のテキストです", "②議題", "㈱サンプル商事 営業部", "予算の確認"],
                warnings=[W("charset_superset_needed", "EUC-JP label, eucJP-ms / CP51932 NEC row 13 (①②㈱) "
                            "in Subject, From and body")],
                notes="The README defines charset_superset_needed for Shift_JIS / ISO-2022-JP labels; this is "
                      "the same situation for the EUC-JP label (glibc: EUC-JP fails, EUC-JP-MS decodes).")


@case("05", "html-only-qp-entities-script", 1, ["text/html", "quoted-printable", "utf-8", "html-entities",
                                                "script", "style"],
      "Single-part text/html (UTF-8, quoted-printable), no text/plain alternative. Visible text uses &amp; &lt; "
      "&gt; &#x1F600; &nbsp; &yen; and raw UTF-8 (東京); a <style> block, a <script> block and an HTML "
      "comment hold tokens that must not reach the full-text index.")
def _(rng):
    subject = "R&D Newsletter ☕ June"
    markup = ('<!DOCTYPE html>\r\n'
              '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n'
              '<style type="text/css">\r\n'
              '.banner { font-family: "STYLEONLY_TOKEN", sans-serif; color: #336699; }\r\n'
              '</style>\r\n'
              '<script type="text/javascript">\r\n'
              'var tracker = "SCRIPTONLY_TOKEN"; if (1 < 2 && 3 > 2) { tracker += "&amp;"; }\r\n'
              '</script>\r\n'
              '</head>\r\n'
              '<body>\r\n'
              '<h1 class="banner">R&amp;D Newsletter</h1>\r\n'
              '<p>Our R&amp;D team shipped version 2 &lt;beta&gt; today &#x1F600;</p>\r\n'
              '<p>Price:&nbsp;&yen;100 per seat, 東京 office only.</p>\r\n'
              '<!-- COMMENTONLY_TOKEN -->\r\n'
              '<p style="margin:0">Questions? Reply to this mail.</p>\r\n'
              '</body></html>\r\n')
    raw = markup.encode("utf-8")
    root = text_part(raw, "html", "utf-8", "quoted-printable")
    ent = message([("From", '"R&D Team" <rd-news@example.com>'),
                   ("To", "Ichiro Suzuki <ichiro.suzuki@example.ne.jp>"),
                   ("Subject", " ".join(ew_split(subject, lambda s: s.encode("utf-8"), "UTF-8", "Q")))],
                  root, "05.html@example.com")
    visible = html_visible_text(markup)
    not_contains = ["STYLEONLY_TOKEN", "SCRIPTONLY_TOKEN", "COMMENTONLY_TOKEN", "font-family", "tracker"]
    assert not any(t in visible for t in not_contains)
    return dict(ent=ent, subject=subject, frm=[A("R&D Team", "rd-news@example.com")],
                to=[A("Ichiro Suzuki", "ichiro.suzuki@example.ne.jp")], cc=[], texts=[visible],
                body_text_contains=["R&D Newsletter", "Our R&D team shipped version 2 <beta> today \U0001F600",
                                    "R&D", "\U0001F600", "¥100", "Price:\u00a0¥100 per seat", "東京 office only",
                                    "Questions? Reply to this mail."],
                body_text_not_contains=not_contains,
                warnings=[],
                notes="body_text_not_contains (an extra key, not in the corpus schema): the content of <script>, "
                      "<style> and comments is not text. &nbsp; decodes to U+00A0 (no normalisation to a space).")


@case("06", "outlook-q-name-only-inline-image", 2, ["outlook", "rfc2047-q", "name-only", "multipart/related",
                                                    "inline", "cid", "content-disposition-parameters"],
      "Outlook layout mixed > [related > [alternative > [text, html], image001.png], .xlsx]. The .xlsx filename "
      "is only in Content-Type name=\"=?utf-8?Q?...?= =?utf-8?Q?...?=\" (Q encoding, '_' for space, =5F for a "
      "real underscore); its Content-Disposition is 'attachment' with size and dates but no filename, and a "
      "Content-Description carries the name too. The cid: image has Content-Disposition inline with filename, "
      "size and quoted creation/modification dates.")
def _(rng):
    subject = "6月度 売上報告"
    name = "2024年度 Q1 売上_集計 (確定).xlsx"
    nb = name.encode("utf-8")
    cut = len("2024年度 Q1 売上_".encode("utf-8"))
    name_words = [ew(nb[:cut], "utf-8", "Q"), ew(nb[cut:], "utf-8", "Q")]
    assert "_Q1_" in name_words[0] and "=5F" in name_words[0]
    cid = "image001.png@01DAB5C2.3E4F5A60"
    plain = ("鈴木様\r\n"
             "\r\n"
             "6月度の売上報告をお送りします。\r\n"
             "集計表を添付しましたのでご確認ください。\r\n"
             "\r\n"
             "佐藤\r\n")
    markup = ('<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>'
              '<meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>\r\n'
              '<body lang="JA"><div class="WordSection1">\r\n'
              '<p class="MsoNormal">鈴木様<o:p></o:p></p>\r\n'
              '<p class="MsoNormal">6月度の売上報告をお送りします。<o:p></o:p></p>\r\n'
              '<p class="MsoNormal"><img width="120" height="40" id="Picture_x0020_1" src="cid:%s" '
              'alt="logo"><o:p></o:p></p>\r\n'
              '<p class="MsoNormal">集計表を添付しましたのでご確認ください。<o:p></o:p></p>\r\n'
              '</div></body></html>\r\n' % cid)
    t1 = text_part(plain.encode("utf-8"), "plain", '"utf-8"', "base64")
    t2 = text_part(markup.encode("utf-8"), "html", '"utf-8"', "base64")
    alt = multipart("alternative", "_000_TYCP286MB1234ABCD_", [t1, t2])
    png = make_png(12, 4, rng)
    img = attachment(png, "image/png", [
        ("Content-Type", 'image/png; name="image001.png"'),
        ("Content-Description", "image001.png"),
        ("Content-Disposition", 'inline; filename="image001.png"; size=%d;\r\n'
                                '\tcreation-date="Mon, 03 Jun 2024 00:15:00 GMT";\r\n'
                                '\tmodification-date="Mon, 03 Jun 2024 00:15:00 GMT"' % len(png)),
        ("Content-ID", "<%s>" % cid)],
        filename="image001.png", disposition="inline", inline=True, content_id=cid)
    related = multipart("related", "_003_TYCP286MB1234ABCD_", [alt, img], extra='\r\n\ttype="multipart/alternative";')
    xlsx = make_xlsx([["月", "売上"], ["4月", 1200000], ["5月", 1350000], ["6月", 1410000]])
    att = attachment(xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", [
        ("Content-Type", 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet;\r\n\tname="%s"'
                         % " ".join(name_words)),
        ("Content-Description", " ".join(name_words)),
        ("Content-Disposition", 'attachment; size=%d;\r\n'
                                '\tcreation-date="Mon, 03 Jun 2024 00:14:00 GMT";\r\n'
                                '\tmodification-date="Mon, 03 Jun 2024 00:14:00 GMT"' % len(xlsx))],
        filename=name, filename_encoding="rfc2047-q-utf-8")
    root = multipart("mixed", "_004_TYCP286MB1234ABCD_", [related, att])
    ent = message([("From", "%s <hanako.sato@example.jp>" % ew("佐藤 花子".encode("utf-8"), "utf-8")),
                   ("To", "%s <ichiro.suzuki@example.ne.jp>" % ew("鈴木 一郎".encode("utf-8"), "utf-8")),
                   ("Subject", ew(subject.encode("utf-8"), "utf-8")),
                   ("Thread-Topic", ew(subject.encode("utf-8"), "utf-8")),
                   ("Thread-Index", "AdqFm3xYzW1234567890ABCDEFabcdef=="),
                   ("Content-Language", "ja-JP"),
                   ("X-MS-Has-Attach", "yes"),
                   ("X-MS-TNEF-Correlator", "")], root, "TYCP286MB1234ABCD@TYCP286MB1234.JPNP286.PROD.OUTLOOK.COM")
    return dict(ent=ent, subject=subject, frm=[A("佐藤 花子", "hanako.sato@example.jp")],
                to=[A("鈴木 一郎", "ichiro.suzuki@example.ne.jp")], cc=[],
                texts=[plain, html_visible_text(markup)],
                body_text_contains=["6月度の売上報告をお送りします", "集計表を添付しましたのでご確認ください", "鈴木様"],
                warnings=[W("rfc2047_in_parameter", "Content-Type name=\"=?utf-8?Q?...?=\" (two Q words, "
                                                    "the only source of the .xlsx filename)")],
                notes="Filename precedence: no Content-Disposition filename, so Content-Type name applies. "
                      "Content-Description is not a filename source. The image is inline (not a user "
                      "attachment) because of Content-Disposition inline and its cid: reference.")


@case("07", "rfc6532-raw-utf8-address", 2, ["rfc6532", "raw-8bit-header", "utf-8", "eai", "idn"],
      "RFC 6532 (internationalised headers): raw UTF-8 in Subject, in the From display name and the From "
      "address local part (差出人 <山田@example.jp>), a quoted raw UTF-8 To display name and a Cc address "
      "with a Unicode domain. text/plain UTF-8 8bit body.")
def _(rng):
    subject = "生のUTF-8ヘッダー（RFC 6532）の確認"
    text = ("鈴木さん\r\n"
            "\r\n"
            "国際化メールアドレスの試験送信です。\r\n"
            "返信は山田@example.jp までお願いします。\r\n")
    root = text_part(text.encode("utf-8"), "plain", "utf-8", "8bit")
    ent = message([("From", "差出人 <山田@example.jp>"),
                   ("To", '"鈴木 一郎" <suzuki@example.co.jp>'),
                   ("Cc", "受付 <info@例え.テスト>"),
                   ("Subject", subject)], root, "07.eai@example.jp")
    return dict(ent=ent, subject=subject, frm=[A("差出人", "山田@example.jp")],
                to=[A("鈴木 一郎", "suzuki@example.co.jp")], cc=[A("受付", "info@例え.テスト")], texts=[text],
                body_text_contains=["国際化メールアドレスの試験送信です", "山田@example.jp"],
                warnings=[W("raw_8bit_header", "Subject, From (display name and local part), To and Cc carry "
                                               "raw UTF-8")],
                notes="Addresses are expected exactly as written (no punycode, no case folding).")


# ------------------------------------------------------------------ entry assembly
def build(c):
    rng = random.Random("%d-%s" % (SEED, c["id"]))
    r = c["fn"](rng)
    raw = ser(r["ent"])
    tree, atts, bodies = [], [], []
    walk(r["ent"], None, tree, atts, bodies, True)
    # build-time consistency: every expected word is in the text the builder wrote
    joined = "\n".join(r["texts"])
    for w in r["body_text_contains"]:
        assert w in joined, (c["id"], w)
    le = "LF" if b"\r\n" not in raw else ("mixed" if re.search(rb"(?<!\r)\n", raw) else "CRLF")
    entry = {
        "file": "%s-%s.eml" % (c["id"], c["slug"]),
        "id": c["id"],
        "category": CATEGORY_NAMES[c["category"]],
        "category_number": c["category"],
        "tags": c["tags"],
        "description": c["description"],
        "file_size": len(raw),
        "file_sha256": sha256(raw),
        "line_endings": le,
        "generated_on_demand": False,
        "subject": r["subject"],
        "from": r["frm"],
        "to": r["to"],
        "cc": r["cc"],
        "body_parts": bodies,
        "body_text_contains": r["body_text_contains"],
    }
    if "body_text_not_contains" in r:
        entry["body_text_not_contains"] = r["body_text_not_contains"]
    entry["attachment_count"] = len(atts)
    entry["attachments"] = atts
    entry["user_attachment_count"] = sum(1 for a in atts if a["role"] in ("attachment", "message-rfc822", "tnef")
                                        and not a["inside_message_rfc822"])
    entry["nested_attachment_count"] = sum(1 for a in atts if a["inside_message_rfc822"] and not a["inline"])
    entry["inline_part_count"] = sum(1 for a in atts if a["inline"])
    entry["part_count"] = len(tree)
    entry["max_path_components"] = max(0 if t["path"] == "" else t["path"].count(".") + 1 for t in tree)
    entry["max_nesting_depth"] = max(t["depth"] for t in tree)
    entry["mime_tree"] = [{"path": t["path"], "content_type": t["content_type"]} for t in tree]
    entry["security"] = {"signed": False, "encrypted": False}
    entry["expected_warnings"] = r["warnings"]
    entry["notes"] = r["notes"]
    return raw, entry


def to_json(entry):
    s = json.dumps(entry, ensure_ascii=False, indent=2)
    # keep invisible characters visible in the file
    s = s.replace("\u00a0", "\\u00a0")
    return (s + "\n").encode("utf-8")


def write_all(out):
    os.makedirs(out, exist_ok=True)
    written = []
    for c in CASES:
        raw, entry = build(c)
        base = os.path.join(out, "%s-%s" % (c["id"], c["slug"]))
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        with open(base + ".expected.json", "wb") as f:
            f.write(to_json(entry))
        written += [base + ".eml", base + ".expected.json"]
    for p in written:
        print("%8d  %s  %s" % (os.path.getsize(p), sha256(open(p, "rb").read())[:16], os.path.basename(p)))


# ------------------------------------------------------------------ independent checks (--check)
# Places where CPython's email package (3.11) is known to extract something else. Every one must be
# listed here with the reason; anything else makes --check fail.
KNOWN_PYTHON_DIFFERENCES = {
    ("02", "attachment[4]"): "CPython decodes each RFC 2231 continuation segment on its own (euc-kr, with "
                             "surrogateescape), so the Hangul character split across filename*0*/filename*1* "
                             "is lost; the segments must be joined as bytes first (README point 4).",
    ("04", "subject"): "Python's euc_jp codec has no NEC row 13; with errors=replace it skips only the lead byte "
                       "0xAD and resynchronises on the trail byte, so ① and the following character become "
                       "mojibake (not just U+FFFD).",
    ("04", "from"): "Same as subject: NEC row 13 in the EUC-JP display name (surrogate escapes and mojibake).",
    ("04", "body_text_contains"): "Same decoder problem in the body: '①日本語' comes out as '\ufffd\u2018\ufffd本語', so "
                                  "even the plain JIS X 0208 words next to ①②㈱ are lost.",
    ("05", "body_text_not_contains"): "The cross-check strips tags with a regex (like the corpus generator); "
                                      "script/style content stays in that text. An html.parser-based "
                                      "extractor that skips <script>/<style> has no leak.",
    ("07", "from"): "Raw UTF-8 in address headers becomes surrogate escapes in Python's address parser.",
    ("07", "to"): "Same as From.",
    ("07", "cc"): "Same as From.",
}
KNOWN_ICONV_DIFFERENCES = {
    ("04", "1"): "glibc EUC-JP rejects NEC row 13 (0xADA1); EUC-JP-MS decodes it (charset_superset_needed).",
    ("04", "subject"): "Same: the EUC-JP encoded-words need EUC-JP-MS.",
    ("04", "from"): "Same: the EUC-JP display name needs EUC-JP-MS.",
}


def show(s):
    if s is None:
        return None
    return re.sub(r"[\udc80-\udcff]", lambda m: "\\x%02x" % (ord(m.group()) - 0xDC00), str(s))


def py_entities(m):
    out = []

    def root(msg, prefix, label):
        if msg.is_multipart() and msg.get_content_maintype() == "multipart":
            out.append((label, msg))
            for i, c in enumerate(msg.get_payload(), 1):
                ent(c, prefix + str(i))
        else:
            ent(msg, prefix + "1")

    def ent(p, path):
        if p.get_content_maintype() == "multipart" and p.is_multipart():
            out.append((path, p))
            for i, c in enumerate(p.get_payload(), 1):
                ent(c, path + "." + str(i))
        elif p.get_content_type() == "message/rfc822" and p.is_multipart():
            out.append((path, p))
            root(p.get_payload(0), path + ".", path + ".TEXT")
        else:
            out.append((path, p))
    root(m, "", "")
    return out


def iconv_decode(data, charset):
    if not shutil.which("iconv"):
        return None
    r = subprocess.run(["iconv", "-f", charset, "-t", "UTF-8"], input=data, capture_output=True)
    if r.returncode != 0:
        return None
    return r.stdout.decode("utf-8")


def check_one(path, exp):
    import email
    import email.policy
    from email.parser import BytesParser
    raw = open(path, "rb").read()
    diffs = {}
    if len(raw) != exp["file_size"] or sha256(raw) != exp["file_sha256"]:
        diffs["file"] = "size/sha256 differ from the expected entry"
    m = BytesParser(policy=email.policy.default).parsebytes(raw)
    subj = show(m["subject"]) if m["subject"] is not None else None
    if subj != exp["subject"]:
        diffs["subject"] = {"expected": exp["subject"], "python": subj}
    for h in ("from", "to", "cc"):
        v = m[h]
        got = [] if v is None else [{"name": show(a.display_name), "address": show(a.addr_spec)} for a in v.addresses]
        if got != exp[h]:
            diffs[h] = {"expected": exp[h], "python": got}
    ents = py_entities(m)
    tree = [{"path": p, "content_type": e.get_content_type()} for p, e in ents]
    if tree != exp["mime_tree"]:
        diffs["mime_tree"] = {"expected": exp["mime_tree"], "python": tree}
    by_path = dict(ents)
    body_paths = {b["path"] for b in exp["body_parts"]}
    # body parts as CPython sees them
    got_bodies = []
    texts, texts_fixed = [], []
    for p, e in ents:
        if e.is_multipart() or e.get_content_maintype() != "text":
            continue
        if e.get_content_disposition() == "attachment" or e.get_filename():
            continue
        got_bodies.append({"path": p, "content_type": e.get_content_type(),
                           "charset": e.get_param("charset").lower() if e.get_param("charset") else None,
                           "transfer_encoding": str(e.get("content-transfer-encoding") or "7bit").strip().lower(),
                           "inside_message_rfc822": next((q for q, _ in reversed(ents[:ents.index((p, e))])
                                                          if p.startswith(q + ".") and
                                                          by_path[q].get_content_type() == "message/rfc822"), None)})
        try:
            t = e.get_content()
        except Exception as ex:  # noqa: BLE001
            t = ""
            diffs.setdefault("text_errors", []).append("%s@%s" % (type(ex).__name__, p))
        if e.get_content_type() == "text/html":
            texts_fixed.append(html_visible_text(t))
            t = html.unescape(re.sub(r"<[^>]*>", " ", t))
        else:
            texts_fixed.append(t)
        texts.append(t)
    if got_bodies != exp["body_parts"]:
        diffs["body_parts"] = {"expected": exp["body_parts"], "python": got_bodies}
    text = "\n".join(texts)
    missing = [w for w in exp["body_text_contains"] if w not in text]
    if missing:
        diffs["body_text_contains"] = {"python_missing": missing}
    leaked = [w for w in exp.get("body_text_not_contains", []) if w in text]
    if leaked:
        diffs["body_text_not_contains"] = {"python_regex_strip_leaks": leaked,
                                           "html.parser_extractor_leaks":
                                               [w for w in exp["body_text_not_contains"] if w in "\n".join(texts_fixed)]}
    # attachments
    got_att_paths = [p for p, e in ents if not (e.is_multipart() and e.get_content_type() != "message/rfc822")
                     and p not in body_paths]
    exp_att_paths = [a["mime_path"] for a in exp["attachments"]]
    if got_att_paths != exp_att_paths:
        diffs["attachment_paths"] = {"expected": exp_att_paths, "python": got_att_paths}
    for a in exp["attachments"]:
        e = by_path.get(a["mime_path"])
        if e is None:
            diffs["attachment[%s]" % a["mime_path"]] = "missing"
            continue
        sub = {}
        if e.get_content_type() != a["content_type"]:
            sub["content_type"] = e.get_content_type()
        cte = str(e.get("content-transfer-encoding") or "7bit").strip().lower()
        if cte != a["transfer_encoding"]:
            sub["transfer_encoding"] = cte
        if e.get_content_disposition() != a["content_disposition"]:
            sub["content_disposition"] = e.get_content_disposition()
        cid = e.get("content-id")
        cid = str(cid).strip().strip("<>") if cid is not None else None
        if cid != a["content_id"]:
            sub["content_id"] = cid
        if a["role"] == "message-rfc822":
            data = e.get_payload(0).as_bytes(policy=email.policy.default.clone(linesep="\r\n")) if e.is_multipart() else None
            # the encapsulated bytes are compared by slicing the raw input, CPython does not keep them
            if data is None:
                sub["message_rfc822"] = "not parsed as encapsulated message"
        else:
            fn = e.get_filename()
            if fn != a["filename"] and fn not in a.get("filename_alternatives", []):
                sub["filename"] = show(fn)
            data = e.get_payload(decode=True)
            if len(data) != a["size"] or sha256(data) != a["sha256"]:
                sub["size/sha256"] = [len(data), sha256(data)]
        if sub:
            diffs["attachment[%s]" % a["mime_path"]] = sub
    # message/rfc822 content: CPython does not keep the encapsulated bytes, so slice them out of the
    # raw input between the parent's delimiter lines
    for a in exp["attachments"]:
        if a["role"] != "message-rfc822":
            continue
        parent = by_path.get(a["mime_path"].rsplit(".", 1)[0] if "." in a["mime_path"] else "")
        if parent is None or not parent.get_boundary():
            diffs["rfc822_bytes[%s]" % a["mime_path"]] = "parent boundary not found"
            continue
        delim = b"--" + parent.get_boundary().encode("ascii")
        starts = [mt.end() for mt in re.finditer(rb"(?m)^" + re.escape(delim) + rb"[ \t]*\r\n", raw)]
        ends = [mt.start() for mt in re.finditer(rb"\r\n" + re.escape(delim), raw)]
        idx = int(a["mime_path"].rsplit(".", 1)[-1])
        part_start = starts[idx - 1]
        part_end = min(x for x in ends if x >= part_start)
        part = raw[part_start:part_end]
        content = part[2:] if part.startswith(b"\r\n") else part[part.find(b"\r\n\r\n") + 4:]
        if len(content) != a["size"] or sha256(content) != a["sha256"]:
            diffs["rfc822_bytes[%s]" % a["mime_path"]] = [len(content), sha256(content)]
    # glibc iconv on every text body part and on the encoded-words of the address/subject headers
    # (what an iconv-based decoder such as MailMessage's will see)
    iconv_notes = {}
    itexts = []
    for b in exp["body_parts"]:
        e = by_path.get(b["path"])
        if e is None:
            continue
        data = e.get_payload(decode=True)
        if b["charset"] is None:
            t = data.decode("ascii")
        else:
            t = iconv_decode(data, b["charset"])
            if t is None:
                iconv_notes[b["path"]] = "iconv -f %s failed" % b["charset"]
                alt = {"euc-jp": "EUC-JP-MS"}.get(b["charset"])
                t = iconv_decode(data, alt) if alt else None
                if t is None:
                    continue
                iconv_notes[b["path"]] += "; -f %s decodes" % alt
        itexts.append(html_visible_text(t) if b["content_type"] == "text/html" else t)
    if shutil.which("iconv"):
        missing = [w for w in exp["body_text_contains"] if w not in "\n".join(itexts)]
        if missing:
            iconv_notes["body_text_contains"] = "missing %s" % missing
        top = raw.split(b"\r\n\r\n", 1)[0]
        hv = iconv_rfc2047(top, "subject")
        if hv is not None and hv != exp["subject"]:
            iconv_notes["subject"] = "decodes to %r" % hv
        for h in ("from", "to", "cc"):
            hv = iconv_rfc2047(top, h)
            if hv is not None and b"=?" in top and any(a["name"] not in hv for a in exp[h]):
                iconv_notes[h] = "decodes to %r" % hv
    return diffs, iconv_notes, m


def iconv_rfc2047(header_block, name):
    """Unfolds header `name` and decodes its encoded-words with glibc iconv (adjacent words of one
    charset joined as bytes first). Returns None when there is no such header or no iconv."""
    if not shutil.which("iconv"):
        return None
    mt = re.search(rb"(?im)^" + name.encode() + rb":[ \t]?([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", header_block)
    if not mt:
        return None
    value = re.sub(rb"\r\n([ \t])", rb"\1", mt.group(1))
    tokens = re.split(rb"(=\?[^?]+\?[BbQq]\?[^?]*\?=)", value)
    out, pend_cs, pend = [], None, b""

    def flush():
        nonlocal pend_cs, pend
        if pend_cs is not None:
            t = iconv_decode(pend, pend_cs.decode())
            out.append(t if t is not None else "<iconv -f %s failed>" % pend_cs.decode())
        pend_cs, pend = None, b""
    for i, tok in enumerate(tokens):
        w = re.fullmatch(rb"=\?([^?*]+)(?:\*[^?]*)?\?([BbQq])\?([^?]*)\?=", tok)
        if w:
            cs, mode, text = w.groups()
            data = base64.b64decode(text) if mode in b"Bb" else re.sub(
                rb"=([0-9A-Fa-f]{2})", lambda x: bytes([int(x.group(1), 16)]), text.replace(b"_", b" "))
            if pend_cs is not None and pend_cs.lower() != cs.lower():
                flush()
            pend_cs, pend = cs, pend + data
        elif tok.strip(b" \t") == b"" and 0 < i < len(tokens) - 1:
            continue                      # whitespace between encoded-words is dropped
        else:
            flush()
            out.append(tok.decode("utf-8", "replace"))
    flush()
    return "".join(out)


def check(folder):
    names = sorted(f[:-len(".expected.json")] for f in os.listdir(folder) if f.endswith(".expected.json"))
    ok = True
    for n in names:
        exp = json.load(open(os.path.join(folder, n + ".expected.json"), encoding="utf-8"))
        diffs, iconv_notes, m = check_one(os.path.join(folder, n + ".eml"), exp)
        defects = []
        for p, e in py_entities(m):
            defects += ["%s@%s" % (type(d).__name__, p or "top") for d in e.defects]
            for hn, hv in e.raw_items():
                try:
                    v = e.policy.header_fetch_parse(hn, hv)
                except Exception as ex:  # noqa: BLE001
                    defects.append("%s@%s:%s" % (type(ex).__name__, p or "top", hn.lower()))
                    continue
                defects += ["%s@%s:%s" % (type(d).__name__, p or "top", hn.lower()) for d in getattr(v, "defects", ())]
        print("== %s" % n)
        print("   CPython defects: %s" % (sorted(set(defects)) or "none"))
        for k, v in sorted(diffs.items()):
            known = KNOWN_PYTHON_DIFFERENCES.get((exp["id"], k))
            print("   %s CPython differs on %s: %s" % ("known:" if known else "UNDECLARED:", k,
                                                      json.dumps(v, ensure_ascii=False)))
            if known:
                print("          why: %s" % known)
            else:
                ok = False
        for k in sorted(KNOWN_PYTHON_DIFFERENCES):
            if k[0] == exp["id"] and k[1] not in diffs:
                print("   NOTE: declared CPython difference %s no longer occurs" % k[1])
        for path, note in sorted(iconv_notes.items()):
            known = KNOWN_ICONV_DIFFERENCES.get((exp["id"], path))
            print("   %s iconv on %s: %s" % ("known:" if known else "UNDECLARED:", path, note))
            if known:
                print("          why: %s" % known)
            else:
                ok = False
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=HERE, help="output folder (default: this script's folder)")
    ap.add_argument("--check", action="store_true", help="cross-check the written files with CPython and iconv")
    a = ap.parse_args()
    if a.check:
        sys.exit(0 if check(a.out) else 1)
    write_all(a.out)


if __name__ == "__main__":
    main()
