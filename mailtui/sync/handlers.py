"""The read commands, run in a worker thread: list folders, sync, fetch, search.

Each handler takes the host (the service, as `HandlerHost`), the worker whose
connection and cache it uses, and the command; what it returns is the command's
result (`Done.result`). Write actions never come here: they are operations
(sync/ops/), applied at `submit()` and sent by the journal writer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from mailtui.backend import Session, query
from mailtui.cache.store import HeaderCache
from mailtui.errors import FolderGone, MailtuiError, ProtocolError
from mailtui.model import ROLE_ORDER, BodyPart, Folder, Role, SyncStats
from mailtui.sync import commands as cmd
from mailtui.sync import events
from mailtui.sync.host import HandlerHost
from mailtui.sync.names import raw_name
from mailtui.sync.resync import FolderSyncer, SyncCancelled
from mailtui.sync.worker import Worker

log = logging.getLogger("mailtui.sync")


def refresh_folders(host: HandlerHost, worker: Worker, command: cmd.Command) -> list[Folder]:
    """LIST (with counts where offered) into the cache. A synced folder whose counts on
    the server differ from the cache's was changed elsewhere: resync it, so the tree
    shows what the server holds rather than counting stale rows."""
    session = worker.connected_session()
    # Dovecot counts the folder this connection has selected as the connection last
    # saw it (mail delivered since is missing until the next command on it): leave it,
    # so the periodic LIST finds changes there too.
    session.unselect()
    folders = session.list_folders()
    # SyncAll syncs every folder next anyway: counting the cache's rows (25 ms a 100k
    # folder) to find the stale ones would only delay it.
    resync = not isinstance(command, cmd.SyncAll)
    stale = [
        f.name
        for f in folders
        if resync
        and f.total is not None
        and f.unread is not None
        and worker.cache.folder_state(f.name).synced
        and worker.cache.counts(f.name) != (f.total, f.unread)
    ]
    worker.cache.replace_folders(folders)
    features = store_features(session)
    if "labels" in features and "labels" not in worker.cache.store_features():
        # Rows cached before the store's labels were fetched (an older version) hold
        # none: those folders start again from a cold sync, which fetches them.
        for folder in worker.cache.folders():
            if worker.cache.folder_state(folder.name).uidvalidity:
                worker.cache.reset_folder(folder.name, 0)
    worker.cache.set_store_features(features)
    # The LIST's own counts for SyncAll (as fresh, and each folder is synced and
    # counted next): counting a 100k folder's cached rows here delayed every sync.
    listed = worker.cache.folders(counts=resync)
    host.folders_listed()
    host.emit(events.FoldersListed(account=host.account, folders=tuple(listed)))
    for name in stale:
        host.submit(cmd.SyncFolder(folder=name))
    return listed


def store_features(session: Session) -> frozenset[str]:
    """The session's capabilities that change what actions mean (see ops/labels.py)."""
    return frozenset({"labels"} if session.caps.labels else ())


def sync_folder(host: HandlerHost, worker: Worker, command: cmd.SyncFolder) -> SyncStats:
    session = worker.connected_session()
    if worker.cache.raw_name(command.folder) is None:
        refresh_folders(host, worker, command)
        if worker.cache.raw_name(command.folder) is None:
            raise FolderGone(f"There is no folder named {command.folder!r}")
    syncer = FolderSyncer(host.account, session, worker.cache, host.emit, worker.cancel)
    with host.folder_lock(command.folder):
        return syncer.sync(command.folder, command.refetch)


def sync_order(folders: Sequence[Folder]) -> list[Folder]:
    """INBOX first, then special folders in ROLE_ORDER, then the rest by name."""
    rank = {role: i for i, role in enumerate(ROLE_ORDER)}
    return sorted(
        folders,
        key=lambda f: (rank.get(f.role, len(rank)) if f.role != Role.NONE else len(rank), f.name),
    )


def sync_all(host: HandlerHost, worker: Worker, command: cmd.SyncAll) -> list[SyncStats]:
    listed = refresh_folders(host, worker, command)
    wanted = set(command.folders)
    if wanted:
        known = {f.name for f in listed}
        missing = wanted - known
        if missing:
            raise FolderGone(f"No such folder: {', '.join(sorted(missing))}")
        targets = [f for f in listed if f.name in wanted]
    else:
        targets = [f for f in listed if f.selectable]
    results = []
    failed: list[str] = []
    for folder in sync_order(targets):
        if worker.cancel.is_set():
            raise SyncCancelled(folder.name)
        session = worker.connected_session()
        syncer = FolderSyncer(host.account, session, worker.cache, host.emit, worker.cancel)
        try:
            with host.folder_lock(folder.name):
                results.append(syncer.sync(folder.name))
        except FolderGone:
            continue  # deleted by another client since LIST: the next LIST drops it
        except ProtocolError as exc:
            # One folder the server cannot serve must not stop the others.
            log.warning("syncing %s failed: %s", folder.name, exc)
            failed.append(f"{folder.name}: {exc}")
    if failed:
        raise ProtocolError(
            f"{len(failed)} folder(s) could not be synced — {failed[0]}",
            "the other folders are up to date; try again, or check the server's log",
        )
    return results


def ensure_selected(session: Session, cache: HeaderCache, folder: str) -> None:
    raw = raw_name(cache, folder)
    if session.selected != raw:
        session.select(raw)


def fetch_structure(host: HandlerHost, worker: Worker, command: cmd.FetchStructure) -> BodyPart:
    cached = worker.cache.bodystructure(command.folder, command.uid)
    if cached is not None:
        return cached
    session = worker.connected_session()
    ensure_selected(session, worker.cache, command.folder)
    part = session.fetch_bodystructure(command.uid)
    worker.cache.set_bodystructure(command.folder, command.uid, part)
    return part


def fetch_previews(host: HandlerHost, worker: Worker, command: cmd.FetchPreviews) -> dict[int, str]:
    """Previews from the cache, the rest from the server in one go (and kept)."""
    from mailtui.cache.previews import cached_previews, store_previews

    found = cached_previews(worker.cache, command.folder, command.uids)
    missing = [u for u in command.uids if u not in found]
    if missing:
        session = worker.connected_session()
        ensure_selected(session, worker.cache, command.folder)
        fetched, structures = session.fetch_previews(missing)
        store_previews(worker.cache, command.folder, fetched)
        for uid, part in structures.items():
            if worker.cache.bodystructure(command.folder, uid) is None:
                worker.cache.set_bodystructure(command.folder, uid, part)
        found.update(fetched)
    return found


def fetch_part(host: HandlerHost, worker: Worker, command: cmd.FetchPart) -> bytes:
    cached = worker.cache.get_part(command.folder, command.uid, command.section)
    if cached is None:
        cached = _from_whole(worker.cache, command)
    if cached is not None:
        return cached
    session = worker.connected_session()
    ensure_selected(session, worker.cache, command.folder)
    data = session.fetch_section(command.uid, command.section)
    if command.cache:
        worker.cache.put_part(command.folder, command.uid, command.section, data)
    return data


def _from_whole(cache: HeaderCache, command: cmd.FetchPart) -> bytes | None:
    """A numbered part cut from the whole message when that is cached (`prefetch =
    "all"` keeps it): attachments open offline. The same numbering as the server's
    (mime.parse numbers parts as RFC 9051 §6.4.5 does)."""
    if not command.section or not all(p.isdigit() for p in command.section.split(".")):
        return None
    whole = cache.get_part(command.folder, command.uid, "")
    if whole is None:
        return None
    from mailtui.mime.parse import parse_message

    return parse_message(whole).wire_section(command.section) or None


def search(host: HandlerHost, worker: Worker, command: cmd.Search) -> list[int]:
    """Server-side UID SEARCH (or the local cache when asked); newest first."""
    q = query.parse(command.query)
    if command.local or query.local_only(q):  # `muted` only the cache knows
        return worker.cache.search(command.folder, q)
    session = worker.connected_session()
    ensure_selected(session, worker.cache, command.folder)
    # Mail the cache learnt on another connection must be known to this one, or the
    # search misses it (RFC 9051 §7.4.1): one NOOP when the cache is ahead.
    session.ensure_visible(worker.cache.folder_state(command.folder).uidnext - 1)
    uids = session.search(q)
    order = {uid: i for i, uid in enumerate(worker.cache.view(command.folder))}
    return sorted(uids, key=lambda u: (order.get(u, -1), -u))


HANDLERS: dict[type, Callable[..., Any]] = {
    cmd.Search: search,
    cmd.RefreshFolders: refresh_folders,
    cmd.SyncFolder: sync_folder,
    cmd.SyncAll: sync_all,
    cmd.FetchStructure: fetch_structure,
    cmd.FetchPart: fetch_part,
    cmd.FetchPreviews: fetch_previews,
}


def dispatch(host: HandlerHost, worker: Worker, command: cmd.Command) -> Any:
    """Run a read command on `worker`: its result, or the handler's MailtuiError."""
    handler = HANDLERS.get(type(command))
    if handler is None:
        raise MailtuiError(f"Unsupported request: {type(command).__name__}")
    return handler(host, worker, command)
