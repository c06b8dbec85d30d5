"""mailtui: a keyboard-driven terminal mail client."""

import logging

from mailtui import warmstart

__version__ = "0.1.0"

# Log records quote servers and senders (an [ALERT], a file name). Without a handler,
# Python's last-resort handler would print them raw to the terminal; they go only to
# the private --log file (config.logs), and users see the sanitised error lines.
logging.getLogger(__name__).addHandler(logging.NullHandler())

# Compiled dataclass methods are reused across runs (see warmstart: a third of the
# app's import time); before any mailtui module defines a dataclass.
warmstart.install()
