"""Every connection of the process shares one TLS context per CA file (issue 17).

Each connection (two workers, the writer, each IDLE watcher) used to build its own
SSLContext, parsing the system CA store each time: about 1 MB resident and a hundred-odd
ms of CPU apiece on the project's machines, the latter competing with the first screen.
"""

from __future__ import annotations

import os
from pathlib import Path

from mailtui.imap.connect import make_ssl_context
from mailtui.sync import commands
from tests.support.accounts import context_for
from tests.support.dovecot import Dovecot


def test_connections_share_the_context_and_a_new_ca_file_gets_its_own(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(Path(dovecot.ca_file).read_bytes())
    first = make_ssl_context(ca)
    assert make_ssl_context(ca) is first
    stat = ca.stat()
    os.utime(ca, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # replaced
    assert make_ssl_context(ca) is not first
    # The shared context still verifies: a sync over STARTTLS with that CA works.
    user = dovecot.add_user()
    ctx = context_for(dovecot, user, tmp_path, imap={"ca_file": str(ca)})
    try:
        assert ctx.service().run(commands.SyncAll(), timeout=60) is not None
    finally:
        ctx.close()
