"""Plain questions on a terminal: one line each, the default in brackets, Enter takes it.

`mailtui setup` runs over SSH at 80x24 with no mouse, so each question is `input()`
on one line. With `--yes` nothing is asked: every answer is its default (or the flag
given), and the line is still printed so a log shows what was chosen. Without a
terminal the answers are read from stdin, one per line, so a script can pipe them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from mailtui.errors import MailtuiError


class NoAnswer(MailtuiError):
    """stdin ended before a question was answered."""


class Prompter:
    """Asks the setup questions (or answers them itself with `assume_yes`)."""

    def __init__(self, assume_yes: bool) -> None:
        self.assume_yes = assume_yes

    def say(self, text: str = "") -> None:
        print(text, flush=True)

    def _read(self, prompt: str) -> str:
        try:
            return input(prompt).strip()
        except EOFError:
            print(flush=True)
            raise NoAnswer(
                "no answer (input ended)", "answer on a terminal, or pass the flags with --yes"
            ) from None

    def ask(
        self,
        question: str,
        default: str,
        *,
        check: Callable[[str], str | None] | None = None,
    ) -> str:
        """One answer; `check` returns a reason to ask again (or None when fine)."""
        shown = f"{question} [{default}]: "
        if self.assume_yes:
            self.say(shown + default)
            problem = check(default) if check else None
            if problem:
                raise MailtuiError(f"{question}: {problem}")
            return default
        for _ in range(5):
            answer = self._read(shown) or default
            problem = check(answer) if check else ("an answer is needed" if not answer else None)
            if not problem:
                return answer
            self.say(f"  {problem}")
        raise MailtuiError(f"{question}: no usable answer")

    def choose(self, question: str, options: Sequence[str], default: str) -> str:
        """One of `options` (a unique prefix will do)."""

        def check(answer: str) -> str | None:
            return None if _pick(answer, options) else "choose one of: " + ", ".join(options)

        answer = self.ask(f"{question} ({'/'.join(options)})", default, check=check)
        picked = _pick(answer, options)
        assert picked is not None
        return picked

    def confirm(self, question: str, default: bool = True) -> bool:
        answer = self.choose(question, ("yes", "no"), "yes" if default else "no")
        return answer == "yes"

    def secret(self, question: str) -> str:
        """A password: hidden on a terminal, else one line of stdin ("" when none)."""
        import getpass

        stdin = sys.stdin
        if stdin is not None and stdin.isatty():
            try:
                return getpass.getpass(f"{question}: ")
            except EOFError:
                return ""
        if stdin is None:
            return ""
        return stdin.readline().rstrip("\r\n")


def _pick(answer: str, options: Sequence[str]) -> str | None:
    answer = answer.strip().lower()
    if answer in options:
        return answer
    matches = [o for o in options if answer and o.startswith(answer)]
    return matches[0] if len(matches) == 1 else None
