"""Deleting messages: to Trash (a move), or for good in Trash or with `delete = "expunge"`.

Not an operation of its own on the server: it journals as a "move" or an "expunge" (on
a store with labels, a "purge", and in Spam too deletion is for good: ops/labels.py).
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
from mailtui.sync.ops.labels import apply_purge, uses_labels
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
        labels = uses_labels(cache)
        trash = None
        if log.policy.delete != "expunge" or labels:
            try:
                trash = log.role_folder(cache, Role.TRASH, log.policy.trash_folder)
            except ActionError:
                trash = None
        info = cache.folder(folder)
        if labels and info is not None and info.role in (Role.TRASH, Role.JUNK):
            return apply_expunge(cache, folder, uids)  # Gmail: deleted for good there
        if trash is not None and trash != folder:
            if labels and log.policy.delete == "expunge":
                # Expunging in a label's folder would only remove the label.
                return apply_purge(cache, folder, uids, trash)
            return apply_move(cache, folder, uids, trash, kind="delete")
        return apply_expunge(cache, folder, uids)


OP = Delete()
