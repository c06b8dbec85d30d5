"""The end-to-end promise, checked: the cache holds what a fresh client reads from the server.

After a scenario (actions, churn by another client, faults, kills), every folder the
cache has synced is compared message by message with what a brand-new IMAP connection
fetches: the same UIDs, and for each the same flags, size, INTERNALDATE, Message-ID
and subject. Counts (total, unread) must agree too. A difference is a broken promise —
"what you see is what the server holds" — and the assertion names it.
"""

from __future__ import annotations

import email.header
import re
from dataclasses import dataclass
from datetime import UTC

import imapclient

from mailtui.context import AppContext

_FIELDS = b"BODY[HEADER.FIELDS (MESSAGE-ID SUBJECT)]"


@dataclass(frozen=True)
class Row:
    """What both sides must agree on for one message."""

    flags: frozenset[str]
    size: int
    internaldate: int
    message_id: str
    subject: str


def server_rows(client: imapclient.IMAPClient, folder: str) -> dict[int, Row]:
    """{uid: Row} as a fresh connection reads the folder (read-only, \\Recent left out)."""
    client.select_folder(folder, readonly=True)
    uids = client.search(["ALL"])
    out: dict[int, Row] = {}
    for start in range(0, len(uids), 1000):
        chunk = uids[start : start + 1000]
        data = client.fetch(
            chunk,
            [
                "FLAGS",
                "RFC822.SIZE",
                "INTERNALDATE",
                "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID SUBJECT)]",
            ],
        )
        for uid, item in data.items():
            flags = {f.decode() if isinstance(f, bytes) else str(f) for f in item[b"FLAGS"]}
            flags.discard("\\Recent")
            when = item[b"INTERNALDATE"]
            if when.tzinfo is None:  # imapclient gives local time unless normalised
                when = when.astimezone()
            mid, subject = _header_fields(item.get(_FIELDS) or b"")
            out[uid] = Row(
                frozenset(flags),
                int(item[b"RFC822.SIZE"]),
                int(when.astimezone(UTC).timestamp()),
                mid,
                subject,
            )
    return out


def cache_rows(ctx: AppContext, folder: str, account: str | None = None) -> dict[int, Row]:
    service = ctx.service(account) if account else ctx.service()
    uids = service.cache().uids(folder)
    envs = service.envelopes(folder, uids)
    return {
        uid: Row(env.flags, env.size, env.internaldate, env.message_id, _norm(env.subject))
        for uid, env in envs.items()
    }


def assert_cache_matches_server(
    ctx: AppContext,
    client: imapclient.IMAPClient,
    folders: list[str] | None = None,
    *,
    account: str | None = None,
) -> int:
    """Fail, naming the first differences, unless every synced folder's cache equals the
    server. Returns how many messages were compared (so a caller can insist on > 0)."""
    service = ctx.service(account) if account else ctx.service()
    if folders is None:
        folders = [f.name for f in service.folders() if service.folder_state(f.name).synced]
    compared = 0
    for folder in folders:
        server = server_rows(client, folder)
        cached = cache_rows(ctx, folder, account)
        problems: list[str] = []
        for uid in sorted(set(server) - set(cached))[:5]:
            problems.append(f"UID {uid} is on the server but not in the cache")
        for uid in sorted(set(cached) - set(server))[:5]:
            problems.append(f"UID {uid} is in the cache but not on the server")
        for uid in sorted(set(server) & set(cached)):
            if server[uid] != cached[uid]:
                problems.append(f"UID {uid}: server {server[uid]} != cache {cached[uid]}")
                if len(problems) > 8:
                    break
        total, unread = service.counts(folder)
        real_unread = sum(1 for r in server.values() if "\\Seen" not in r.flags)
        if (total, unread) != (len(server), real_unread):
            problems.append(
                f"counts: cache {total} total/{unread} unread, server {len(server)}/{real_unread}"
            )
        assert not problems, f"{folder}: cache != server:\n  " + "\n  ".join(problems)
        compared += len(server)
    return compared


def message_ids(client: imapclient.IMAPClient, folder: str) -> list[str]:
    """Every Message-ID in a folder, duplicates kept (a doubled copy is a loss too)."""
    return sorted(r.message_id for r in server_rows(client, folder).values())


def _header_fields(block: bytes) -> tuple[str, str]:
    text = block.decode("utf-8", "replace")
    unfolded = re.sub(r"\r?\n[ \t]+", " ", text)
    mid = subject = ""
    for line in unfolded.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "message-id":
            found = re.search(r"<([^>]*)>", value)
            mid = found.group(1) if found else value.strip()
        elif name.strip().lower() == "subject":
            try:
                subject = str(email.header.make_header(email.header.decode_header(value.strip())))
            except Exception:
                subject = value.strip()
    return mid, _norm(subject)


def _norm(text: str) -> str:
    return " ".join(text.split())
