"""What a command hands back to the shell: its exit status, its lines and its JSON.

Everything printed may quote a stranger (a subject, a folder name, a server's reply):
text lines go through `text.safe.clean_line`, JSON through `json_text`. A reader that
goes away (`mailtui list | head`) ends the command quietly, as Unix tools do.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_DATAERR = 65  # EX_DATAERR: the message given to `send` cannot be sent as it is
EXIT_QUEUED = 75  # EX_TEMPFAIL: saved, will be sent when the server is reachable
EXIT_SIGN_IN = 77  # EX_NOPERM: the stored sign-in is dead; `mailtui setup --reauth NAME`
EXIT_SOFTWARE = 70  # EX_SOFTWARE: a bug in mailtui
EXIT_SIGPIPE = 141  # what a shell reports for a tool ended by SIGPIPE (128 + 13)


def reader_gone() -> int:
    """The reader of our output went away (`mailtui list | head`): stop quietly, as Unix
    tools do. Python ignores SIGPIPE, so the write raised instead of ending the process;
    stdout now points at /dev/null so the interpreter's final flush cannot raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor behind stdout
        pass
    return EXIT_SIGPIPE


def error(message: str) -> None:
    from mailtui.text.safe import clean_line

    print(f"mailtui: {clean_line(message)}", file=sys.stderr)


def say(message: str) -> None:
    """A line on stderr that may quote a server (an SMTP reply), made inert."""
    from mailtui.text.safe import clean_line

    print(clean_line(message), file=sys.stderr)


def json_text(data: object) -> str:
    """`data` as JSON for stdout, safe to pipe to a terminal.

    json.dumps escapes C0 controls but writes C1 (U+0080–U+009F: U+009B is a CSI),
    bidi overrides, zero-width and other format characters, line separators and lone
    surrogates as they are. Here every character Python deems unprintable is written
    as a \\u escape instead: the JSON means exactly the same (a consumer gets the
    folder's real name back, to pass to `mailtui list`), but no byte of it can act on a
    terminal. Stand-ins (as the text output uses) would change the names.
    """
    text = json.dumps(data, ensure_ascii=False, indent=1)
    # Outside strings json.dumps writes only printable ASCII and the indent's newlines,
    # so escaping line by line can only touch string contents.
    return "\n".join(
        line if line.isprintable() else "".join(map(_json_char, line)) for line in text.split("\n")
    )


def _json_char(ch: str) -> str:
    if ch.isprintable():
        return ch
    code = ord(ch)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # JSON spells a character beyond the BMP as a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def iso(ts: int) -> str:
    """A message date for JSON: ISO 8601 in local time ("" for none)."""
    return datetime.fromtimestamp(ts).astimezone().isoformat() if ts else ""


def short_date(ts: int) -> str:
    """A message date for a text column ("" for none)."""
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else ""
