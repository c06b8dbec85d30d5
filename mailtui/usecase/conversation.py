"""A conversation across folders: the use case the reader's conversation view and
`mailtui thread` share.

`cache/conversations.py` finds every cached message linked to the one opened, in any
folder of the account (Sent and the archive included), with no network. Here the
copies of one message stored in several folders (a copy, Gmail's All Mail beside its
labels) become one entry that says where else it is, and each entry gets its
envelope, oldest first, as a conversation is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailtui.cache.conversations import Member, conversation_members, identity
from mailtui.model import Envelope, Role

if TYPE_CHECKING:
    from mailtui.sync.service import SyncService

__all__ = ["COPY_ORDER", "ConversationMessage", "copy_rank", "find_conversation", "first_lines"]

# Which copy of a message stored in several folders is shown: the folder opened first,
# then where people file mail, with the catch-alls and bins last.
COPY_ORDER = {
    Role.INBOX: 0,
    Role.NONE: 1,
    Role.ARCHIVE: 2,
    Role.SENT: 3,
    Role.FLAGGED: 4,
    Role.DRAFTS: 5,
    Role.ALL: 6,
    Role.JUNK: 7,
    Role.TRASH: 8,
}


@dataclass(frozen=True)
class ConversationMessage:
    """One message of a conversation: its copy shown, and the other folders holding it."""

    folder: str
    uid: int
    envelope: Envelope
    role: Role = Role.NONE
    also_in: tuple[str, ...] = ()


def copy_rank(folder: str, roles: dict[str, Role], opened: str = "") -> tuple[bool, int]:
    """Sort key of one copy of a message: the folder opened, then by COPY_ORDER."""
    return (folder != opened, COPY_ORDER.get(roles.get(folder, Role.NONE), 1))


def _dedupe(members: list[Member], roles: dict[str, Role], opened: str) -> list[list[Member]]:
    """Copies grouped by the store's message id (Gmail's X-GM-MSGID), else by
    Message-ID (messages with neither stay alone), in date order."""
    groups: dict[tuple, list[Member]] = {}
    out: list[list[Member]] = []
    for member in members:
        ident = identity(member.key, member.message_id)
        group = groups.get(ident) if ident is not None else None
        if group is None:
            group = []
            out.append(group)
            if ident is not None:
                groups[ident] = group
        group.append(member)
    for group in out:
        group.sort(key=lambda m: copy_rank(m.folder, roles, opened))
    return out


def find_conversation(service: SyncService, folder: str, uid: int) -> list[ConversationMessage]:
    """The conversation of (folder, uid) from the cache, oldest first; empty when that
    message is not cached. Reads only the cache: call it from any thread, offline."""
    cache = service.cache()
    members = conversation_members(cache, folder, uid)
    if not members:
        return []
    roles = {f.name: f.role for f in cache.folders()}
    groups = _dedupe(members, roles, folder)
    by_folder: dict[str, list[int]] = {}
    for group in groups:
        by_folder.setdefault(group[0].folder, []).append(group[0].uid)
    envelopes = {name: cache.envelopes(name, uids) for name, uids in by_folder.items()}
    out = []
    for group in groups:
        shown = group[0]
        env = envelopes.get(shown.folder, {}).get(shown.uid)
        if env is None:  # expunged between the two reads
            continue
        others = tuple(dict.fromkeys(m.folder for m in group[1:] if m.folder != shown.folder))
        out.append(
            ConversationMessage(
                shown.folder, shown.uid, env, roles.get(shown.folder, Role.NONE), others
            )
        )
    return out


def first_lines(text: str, count: int = 2, width: int = 200) -> str:
    """The start of what a message says, for a folded entry: its first lines that are
    neither quoted nor blank nor the "On …, X wrote:" line before a quote."""
    lines = text.splitlines()
    picked: list[str] = []
    for index, line in enumerate(lines[:400]):
        stripped = line.strip()
        if not stripped or stripped.startswith(">"):
            continue
        following = next((n.strip() for n in lines[index + 1 : index + 3] if n.strip()), "")
        if stripped.endswith(":") and following.startswith(">"):
            continue  # the attribution line of the quote below
        if stripped in ("--", "-- "):
            break  # the signature
        picked.append(stripped[:width])
        if len(picked) >= count:
            break
    return " ".join(picked)
