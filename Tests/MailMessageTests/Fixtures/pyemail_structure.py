#!/usr/bin/env python3
"""Reads a message with CPython's email package (policy=default) and prints what it sees as
JSON: defects, every leaf part (type, filename, decoded sha256 and size, attachment or not), and
the decoded text of every text/plain and text/html part. Used by MailMessageTests to check
rewritten messages with an independent parser."""
import email
import email.policy
import hashlib
import json
import sys

with open(sys.argv[1], "rb") as handle:
    message = email.message_from_binary_file(handle, policy=email.policy.default)

defects = [type(d).__name__ for d in message.defects]
parts = []
texts = []
for part in message.walk():
    defects += [type(d).__name__ for d in part.defects]
    if part.is_multipart():
        continue
    payload = part.get_payload(decode=True) or b""
    parts.append({
        "content_type": part.get_content_type(),
        "filename": part.get_filename(),
        "size": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
        "attachment": part.is_attachment(),
        "charset": part.get_content_charset(),
    })
    if part.get_content_maintype() == "text" and not part.is_attachment():
        try:
            texts.append(part.get_content())
        except Exception as error:  # noqa: BLE001 - report, do not crash
            texts.append("<undecodable: %s>" % error)

print(json.dumps({
    "subject": message["subject"],
    "content_type": message.get_content_type(),
    "defects": defects,
    "parts": parts,
    "texts": texts,
}, ensure_ascii=False))
