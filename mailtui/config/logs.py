"""Log files that can be attached to a bug report: private, and never holding a secret.

Redaction sits on the handlers (a filter on a logger misses records its child loggers
propagate): LOGIN/AUTHENTICATE arguments are masked, and so is every secret value the
credential sources handed out in this process, wherever it appears.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path

from mailtui.config import paths

_secrets: set[str] = set()
_lock = threading.Lock()
_LOGIN = re.compile(r"(?i)\b(LOGIN|AUTHENTICATE)\b.*")
MASK = "**REDACTED**"


def remember_secret(value: str) -> None:
    """Called by the credential sources: this value must never reach a log line."""
    if value and len(value) >= 3:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    text = _LOGIN.sub(rf"\1 {MASK}", text)
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class Redactor(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks are formatted later: redact the exception text now.
            exc = record.exc_info[1]
            text = redact(str(exc))
            if text != str(exc):
                record.exc_info = None
                record.msg = f"{record.msg} ({type(exc).__name__}: {text})"
        return True


def _private_handler(path: Path) -> logging.Handler:
    paths.ensure_private_dir(path.parent)
    paths.private_file(path)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(threadName)s %(name)s %(levelname)s %(message)s")
    )
    handler.addFilter(Redactor())
    return handler


def setup(log_file: str | Path | None = None, *, protocol: bool = False) -> list[Path]:
    """Attach private, redacting log files; returns the files in use."""
    files: list[Path] = []
    if log_file is not None:
        path = Path(log_file).expanduser()
        handler = _private_handler(path)
        handler.setLevel(logging.DEBUG)
        logger = logging.getLogger("mailtui")
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        files.append(path)
    if protocol:
        path = paths.data_dir() / "logs" / "protocol.log"
        handler = _private_handler(path)
        for name in ("imapclient", "mailtui.imap.protocol"):
            logger = logging.getLogger(name)
            logger.addHandler(handler)
            logger.setLevel(logging.DEBUG)
        files.append(path)
    return files


def protocol_logging_active() -> bool:
    return any(
        isinstance(h, logging.FileHandler) and any(isinstance(f, Redactor) for f in h.filters)
        for h in logging.getLogger("mailtui.imap.protocol").handlers
    )


def wants_protocol_log(servers: Iterable[object]) -> bool:
    return any(getattr(s, "log_protocol", False) for s in servers if s is not None)
