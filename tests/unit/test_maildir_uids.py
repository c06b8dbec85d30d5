"""UIDs for Maildir files: stable across reopening, consistent across concurrent sessions."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from mailtui.maildir.session import MaildirSession
from mailtui.maildir.uidmap import UidMap

MESSAGE = b"From: a@example.test\nSubject: s\n\nbody\n"


def _tree(root: Path, count: int, *, start: int = 1_700_000_000) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for i in range(count):
        _drop(root, f"{start + i}.M{i}P1Q{i}.host", start + i)
    return root


def _drop(root: Path, name: str, mtime: float, info: str = "S") -> None:
    path = root / "cur" / f"{name}:2,{info}"
    path.write_bytes(MESSAGE)
    os.utime(path, (mtime, mtime))


def _uids(session: MaildirSession, folder: str = "INBOX") -> dict[str, int]:
    session.select(folder)
    assert session._view is not None
    return {m.unique: uid for uid, m in session._view.by_uid.items()}


def _session(root: Path, db: Path) -> MaildirSession:
    session = MaildirSession(root, "t", db)
    session.connect()
    return session


def test_uids_follow_mtime_then_name_and_survive_reopening(tmp_path: Path) -> None:
    root = _tree(tmp_path / "Mail", 0)
    _drop(root, "b.later", 2000)
    _drop(root, "a.first", 1000)
    _drop(root, "c.same-time", 2000)
    db = tmp_path / "uids.sqlite3"
    first = _session(root, db)
    uids = _uids(first)
    validity = first.select("INBOX").uidvalidity
    first.close()
    assert uids == {"a.first": 1, "b.later": 2, "c.same-time": 3}
    second = _session(root, db)
    assert _uids(second) == uids
    assert second.select("INBOX").uidvalidity == validity
    second.close()
    assert oct(db.stat().st_mode & 0o777) == "0o600"


def test_flag_renames_keep_the_uid_and_a_returning_name_gets_a_new_one(tmp_path: Path) -> None:
    root = _tree(tmp_path / "Mail", 3)
    session = _session(root, tmp_path / "uids.sqlite3")
    before = _uids(session)
    name = "1700000001.M1P1Q1.host"
    os.rename(root / "cur" / f"{name}:2,S", root / "cur" / f"{name}:2,FRS")
    assert _uids(session) == before
    # Moved away (another program) and back: a new UID, as IMAP requires.
    os.rename(root / "cur" / f"{name}:2,FRS", tmp_path / "away")
    assert name not in _uids(session)
    os.rename(tmp_path / "away", root / "cur" / f"{name}:2,FRS")
    assert _uids(session)[name] == 4
    session.close()


def test_lost_map_means_new_uidvalidity(tmp_path: Path) -> None:
    root = _tree(tmp_path / "Mail", 2)
    session = _session(root, tmp_path / "one.sqlite3")
    validity = session.select("INBOX").uidvalidity
    session.close()
    session = _session(root, tmp_path / "one.sqlite3")
    uids = _uids(session)
    db = UidMap(tmp_path / "one.sqlite3")
    db.forget_all()
    db.close()
    # The open session notices: new UIDVALIDITY, fresh UIDs (never its cached map).
    assert session.select("INBOX").uidvalidity > validity
    assert _uids(session) == uids
    other = _session(root, tmp_path / "one.sqlite3")
    assert _uids(other) == uids
    other.close()
    session.close()


def test_two_sessions_assign_each_file_one_uid(tmp_path: Path) -> None:
    root = _tree(tmp_path / "Mail", 50)
    db = tmp_path / "uids.sqlite3"
    sessions = [_session(root, db) for _ in range(2)]
    errors: list[BaseException] = []
    seen: list[dict[str, int]] = []

    def deliver(offset: int) -> None:
        for i in range(100):
            _drop(root, f"1800000000.M{offset + i}P2Q{i}.other", 1_800_000_000 + i)

    def scan(session: MaildirSession) -> None:
        try:
            for _ in range(30):
                seen.append(_uids(session))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    workers = [threading.Thread(target=deliver, args=(0,))]
    workers += [threading.Thread(target=scan, args=(s,)) for s in sessions]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors
    final = [_uids(s) for s in sessions]
    assert final[0] == final[1] and len(final[0]) == 150
    assert sorted(final[0].values()) == list(range(1, 151))
    # Every intermediate view agreed with the final one on the names it had.
    for view in seen:
        assert all(final[0][name] == uid for name, uid in view.items())
    for s in sessions:
        s.close()


SCRIPT = """
import sys
from pathlib import Path
from mailtui.maildir.session import MaildirSession
s = MaildirSession(Path(sys.argv[1]), "t", Path(sys.argv[2]))
s.connect()
for _ in range(20):
    s.select("INBOX")
s.select("INBOX")
print(",".join(f"{m.unique}={u}" for u, m in sorted(s._view.by_uid.items())))
"""


def test_two_processes_agree(tmp_path: Path) -> None:
    root = _tree(tmp_path / "Mail", 200)
    db = tmp_path / "uids.sqlite3"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(root), str(db)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(set(outputs)) == 1
    pairs = dict(item.split("=") for item in outputs[0].split(","))
    assert sorted(int(v) for v in pairs.values()) == list(range(1, 201))


def test_a_map_serves_one_maildir(tmp_path: Path) -> None:
    """Another tree under the same account name gets numbers of its own."""
    one, two = _tree(tmp_path / "One", 3), _tree(tmp_path / "Two", 2, start=1_800_000_000)
    db = tmp_path / "uids.sqlite3"
    first = _session(one, db)
    validity = first.select("INBOX").uidvalidity
    first.close()
    second = _session(two, db)
    result = second.select("INBOX")
    assert result.uidvalidity > validity and result.uidnext == 3
    second.close()
    again = _session(one, db)
    assert again.select("INBOX").uidvalidity > result.uidvalidity
    again.close()
