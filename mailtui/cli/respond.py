"""`mailtui unsubscribe FOLDER UID` and `mailtui invite FOLDER UID [ANSWER]`: the
reader's B and i keys, headless.

The same use cases as the app (`usecase.unsubscribe`, `usecase.invitation`): what the
message offers is printed first, and nothing leaves the machine without a yes — asked
on a terminal, or `--yes` in a script (without a terminal and without `--yes`, nothing
is sent). A one-click unsubscribe is one HTTPS POST (certificate verified, no cookies,
no redirect followed); a mailto: one and an invitation's answer are sent like
`mailtui send` (outbox, SMTP, Sent copy, \\Answered); a plain page link is printed,
never fetched.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from mailtui.cli.access import open_context, require_uids
from mailtui.cli.output import EXIT_ERROR, EXIT_QUEUED, EXIT_USAGE, error, say

if TYPE_CHECKING:
    from mailtui.compose.draft import Draft
    from mailtui.config.model import AccountSettings
    from mailtui.context import AppContext
    from mailtui.sync.service import SyncService

__all__ = ["add_parsers", "cmd_invite", "cmd_unsubscribe"]

ANSWERS = ("accept", "tentative", "decline")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from mailtui.cli.args import parse_uid

    p = sub.add_parser(
        "unsubscribe",
        help="leave a message's mailing list (one-click POST, a message, or its page)",
        description=(
            "Reads the message's List-Unsubscribe. One-click (RFC 8058): one HTTPS POST "
            "after you confirm. mailto: the prefilled message is shown, then sent with a "
            "Sent copy. A plain https page is printed for you to open; it is never fetched."
        ),
    )
    p.add_argument("folder")
    p.add_argument("uid", type=parse_uid)
    p.add_argument("--account", "-a")
    p.add_argument("--yes", "-y", action="store_true", help="do it without asking")
    p.set_defaults(func=cmd_unsubscribe)

    p = sub.add_parser(
        "invite",
        help="show a calendar invitation; accept, tentative or decline answers it",
        description=(
            "Prints the invitation in a message. With an answer, sends the iTIP REPLY to "
            "the organiser (after you confirm) with a Sent copy."
        ),
    )
    p.add_argument("folder")
    p.add_argument("uid", type=parse_uid)
    p.add_argument("answer", nargs="?", choices=ANSWERS)
    p.add_argument("--account", "-a")
    p.add_argument("--yes", "-y", action="store_true", help="send the answer without asking")
    p.set_defaults(func=cmd_invite)


def _confirm(question: str, assume_yes: bool) -> bool | None:
    """True to go on; False when the user said no; None: nobody to ask (no terminal)."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        return None
    try:
        answer = input(f"{question} [y/N] ").strip().lower()
    except EOFError:
        return False
    return answer in ("y", "yes")


def _not_confirmed(answer: bool | None) -> int:
    if answer is None:
        error("Nothing was sent: confirm on a terminal, or pass --yes")
        return EXIT_USAGE
    say("Nothing was sent")
    return EXIT_ERROR


def _send(account: AccountSettings, service: SyncService, draft: Draft) -> int:
    """Deliver like `mailtui send`: outbox, SMTP, Sent copy, flags through the journal."""
    from mailtui.compose.flow import send_draft
    from mailtui.usecase.store import service_store

    report = send_draft(account, draft, store=service_store(service, account))
    service.wait_writer_idle(timeout=30)
    say(report.summary())
    return 0 if report.sent else EXIT_QUEUED


def _show_draft(draft: Draft) -> None:
    from mailtui.text.safe import clean_line, clean_text

    print(f"To: {clean_line(', '.join(a.full() for a in draft.to))}")
    print(f"Subject: {clean_line(draft.subject)}")
    for att in draft.attachments:
        print(f"Attached: {clean_line(att.filename)} ({clean_line(att.mime_type)})")
    print()
    print(clean_text(draft.body).rstrip("\n"))
    print()


@contextmanager
def _message(args: argparse.Namespace) -> Iterator[tuple[AppContext, AccountSettings, SyncService]]:
    """The context, account and service of FOLDER UID (which must exist); closed after."""
    ctx = open_context(args)
    try:
        account = ctx.account(args.account)
        service = ctx.service(account.name)
        require_uids(service, args.folder, [args.uid], changes=False)
        yield ctx, account, service
    finally:
        ctx.close()


def cmd_unsubscribe(args: argparse.Namespace) -> int:
    from mailtui.usecase.unsubscribe import message_plan, perform_one_click, unsubscribe_draft

    with _message(args) as (ctx, account, service):
        plan = message_plan(service, args.folder, args.uid)
        if plan.kind == "none":
            error(
                "This message names no way to unsubscribe (no https: or mailto: List-Unsubscribe)"
            )
            return EXIT_ERROR
        if plan.kind == "link":
            print(plan.describe())
            say("mailtui does not fetch it: open it in your browser if you trust it")
            return 0
        if plan.kind == "one-click":
            print(plan.describe() + " (an HTTPS POST, RFC 8058)")
            answer = _confirm(f"Send it to {plan.host}?", args.yes)
            if not answer:
                return _not_confirmed(answer)
            result = perform_one_click(plan, ca_file=ctx.settings.ui.https_ca_file)
            (say if result.ok else error)(result.message)
            return 0 if result.ok else EXIT_ERROR
        draft = unsubscribe_draft(account, plan)
        print(plan.describe() + ":\n")
        _show_draft(draft)
        answer = _confirm("Send this message?", args.yes)
        if not answer:
            return _not_confirmed(answer)
        return _send(account, service, draft)


def cmd_invite(args: argparse.Namespace) -> int:
    from mailtui.mime.calendar import Answer
    from mailtui.model import MessageRef
    from mailtui.usecase.invitation import answer_draft, load_invitation

    with _message(args) as (_ctx, account, service):
        shown = load_invitation(service, args.folder, args.uid, account)
        if shown is None:
            error(f"Message {args.uid} in {args.folder!r} holds no calendar invitation")
            return EXIT_ERROR
        print("\n".join(shown.lines()))
        if args.answer is None:
            return 0
        answer = {"accept": Answer.ACCEPTED, "tentative": Answer.TENTATIVE}.get(
            args.answer, Answer.DECLINED
        )
        env = service.envelope(args.folder, args.uid)
        draft = answer_draft(
            account,
            shown,
            answer,
            message_id=env.message_id if env is not None else "",
            ref=MessageRef(args.folder, args.uid),
        )
        print()
        _show_draft(draft)
        confirmed = _confirm("Send this answer?", args.yes)
        if not confirmed:
            return _not_confirmed(confirmed)
        return _send(account, service, draft)
