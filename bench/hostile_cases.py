"""The hostile-input cases issue 12 reported (seconds each then), timed on today's code.

    PYTHONPATH=. python bench/hostile_cases.py

CPU time of this thread; the 8 MB HTML runs in the reader's worker thread in the app.
"""

import time

from mailtui.mime.envelope import header_row
from mailtui.mime.parse import parse_message
from mailtui.mime.render import render_message, render_part
from mailtui.mime.threads import base_subject
from mailtui.model import BodyPart


def t(label, fn):
    s = time.thread_time()
    fn()
    print(f"{label}: {(time.thread_time() - s) * 1000:.1f} ms")


hdr = b"From: " + b"\x1c" * 2500 + b"x\r\nSubject: hi\r\n\r\n"
t(
    "header_row, From: 2,500 x 0x1C then x (issue: 7.4 s)",
    lambda: header_row(1, (), 0, 0, len(hdr), hdr),
)
folded = (
    b"From: " + b"\r\n " * 3000 + b"x\r\nSubject: s\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
)
t(
    "render_message, folded From: of 3,000 blanks (issue: 12.8 s)",
    lambda: render_message(parse_message(folded)),
)
t(
    "base_subject, re + 25,000 spaces + x (issue: 3.4 s)",
    lambda: base_subject("re" + " " * 25000 + "x"),
)
part = BodyPart(section="1", mime_type="text/html", params=(("charset", "utf-8"),))
html1 = ("<![x[ ]]>" + "<style><script>" * 5600)[:84000]
t(
    "HTML fallback, <![x[ + style/script openers, 84 KB (issue: 4.1 s)",
    lambda: render_part(part, html1.encode()),
)
html2 = "<pre>" + " " * 60000 + "x</pre>"
t("HTML <pre> + 60,000 spaces (issue: 9.9 s)", lambda: render_part(part, html2.encode()))
html3 = ("<p>" + "hello world " * 60 + "</p>\n") * 11000
print(f"  (8 MB HTML is {len(html3) / 1e6:.1f} MB)")
t(
    "plain 8 MB HTML, whole (issue: 4.1 s on the event loop)",
    lambda: render_part(part, html3.encode(), whole=True),
)
t("plain 8 MB HTML, capped as the reader shows it", lambda: render_part(part, html3.encode()))
