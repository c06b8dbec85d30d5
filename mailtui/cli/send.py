"""Sending: `send` a whole message from stdin (like sendmail -t), `outbox` shows or retries.

Both go through the use case the app uses (`usecase.sending`): outbox first, SMTP,
then the Sent copy and flags through the service's journal.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from mailtui.cli.access import open_context
from mailtui.cli.output import EXIT_DATAERR, EXIT_QUEUED, error, say
from mailtui.errors import MailtuiError


def cmd_send(args: argparse.Namespace) -> int:
    """Send a whole message from stdin; Sent copy and outbox as in the app."""
    import contextlib
    from dataclasses import replace

    from mailtui.compose.draft import DraftError
    from mailtui.compose.flow import send_raw
    from mailtui.crypto import CryptoError, Pinentry
    from mailtui.sync import commands
    from mailtui.usecase.protect import PgpChoice, send_protected
    from mailtui.usecase.store import service_store

    raw = sys.stdin.buffer.read()
    ctx = open_context(args)
    try:
        account = ctx.account(args.account)
        service = ctx.service(account.name)
        if not service.folders():
            with contextlib.suppress(MailtuiError):
                service.run(commands.RefreshFolders(), timeout=60)
        choice = PgpChoice.for_account(account)
        if args.sign:
            choice = replace(choice, sign=True)
        if args.encrypt:
            choice = replace(choice, encrypt="on")
        try:
            if choice.active or account.autocrypt:
                # A locked key's passphrase: gpg-agent's pinentry asks, not this command.
                report = send_protected(
                    account,
                    raw,
                    choice,
                    store=service_store(service, account),
                    service=service,
                    pinentry=Pinentry.agent(),
                )
            else:
                report = send_raw(account, raw, store=service_store(service, account))
        except DraftError as exc:
            error(exc.sentence())
            return EXIT_DATAERR
        except CryptoError as exc:  # nothing was sent
            error(exc.sentence())
            return EXIT_DATAERR
        service.wait_writer_idle(timeout=30)
    finally:
        ctx.close()
    say(report.summary())
    return 0 if report.sent else EXIT_QUEUED


def cmd_outbox(args: argparse.Namespace) -> int:
    from mailtui.compose.outbox import Outbox
    from mailtui.usecase.sending import OutboxSender

    ctx = open_context(args)
    try:
        account = ctx.account(args.account)
        outbox = Outbox.for_account(account.name)
        if not args.retry:
            from mailtui.text.safe import clean_line

            for item in outbox.pending():
                when = datetime.fromtimestamp(item.created).strftime("%Y-%m-%d %H:%M")
                error = f"  ({clean_line(item.last_error)})" if item.last_error else ""
                # When it goes: "due" (the next try sends it), else the time it waits for.
                due = (
                    "due"
                    if item.due()
                    else f"{datetime.fromtimestamp(item.not_before):%Y-%m-%d %H:%M}"
                )
                print(f"{when}  {item.state:<8} {due:<16}  {clean_line(item.subject)}{error}")
            return 0
        service = ctx.service(account.name)
        reports = OutboxSender(account, service, outbox=outbox).retry()
        service.wait_writer_idle(timeout=30)
    finally:
        ctx.close()
    for report in reports:
        say(report.summary())
    return 0 if all(r.sent for r in reports) else EXIT_QUEUED


def outbox_help() -> str:
    """`mailtui outbox --help`: what is listed, and the cron line for messages sent later."""
    return (
        "Lists what waits to be sent: when it was queued, its state, when it goes (due, or "
        "the time chosen with the review screen's L), its subject. --retry sends what is "
        "due. With the app closed, a cron line sends messages at their time:  "
        "*/5 * * * * mailtui outbox --retry  (one line per account, with --account)"
    )
