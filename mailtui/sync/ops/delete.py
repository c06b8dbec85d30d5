"""Deleting messages: to Trash (a move), or for good in Trash or with `delete = "expunge"`.

Not an operation of its own on the server: it journals as a "move" or an "expunge".
"""

from __future__ import annotations

from dataclasses import dataclass

from mailtui.cache.store import HeaderCache
from mailtui.model import Role
from mailtui.sync.ops.base import (
    ActionError,
    Applied,
    Applying,
    Operation,
    UndoRecord,
    folder_known,
    some_selected,
)
from mailtui.sync.ops.expunge import apply_expunge
from mailtui.sync.ops.move import apply_move
from mailtui.sync.request import Action


@dataclass(frozen=True, kw_only=True)
class DeleteMessages(Action):
    """Move to Trash; in Trash (or with `delete = "expunge"`) \\Deleted + UID EXPUNGE of just these."""

    # Remove for good whatever the delete policy (a draft replaced by its new version).
    permanent: bool = False


class Delete(Operation):
    commands = (DeleteMessages,)

    def apply(
        self, log: Applying, cache: HeaderCache, command: DeleteMessages
    ) -> tuple[Applied, UndoRecord]:
        folder, uids = command.folder, command.uids
        folder_known(cache, folder)
        if command.permanent:
            return apply_expunge(cache, folder, uids)
        some_selected(uids)
        trash = None
        if log.policy.delete != "expunge":
            try:
                trash = log.role_folder(cache, Role.TRASH, log.policy.trash_folder)
            except ActionError:
                trash = None
        if trash is not None and trash != folder:
            return apply_move(cache, folder, uids, trash, kind="delete")
        return apply_expunge(cache, folder, uids)


OP = Delete()
