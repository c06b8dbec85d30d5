"""Argument types of the command line: a number that must be 1 or more."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def counted(what: str) -> Callable[[str], int]:
    """An argparse type for a number from 1 up: 0 or -1 would silently mean "nothing"."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(f"{what} must be a number from 1 up, not {text!r}")
        return value

    return parse


parse_limit = counted("the limit")
parse_uid = counted("a UID")
parse_attachment_number = counted("an attachment number")
