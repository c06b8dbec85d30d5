"""Fixtures shared by the whole suite, and the rule that a skipped test fails the run.

Dovecot fixtures (see tests/support/dovecot.py):
- `dovecot`: one server for the whole session; never stop or reconfigure it.
- `mail_user`: a fresh user on it per test, so tests never see each other's mail.
- `private_dovecot` / `dovecot_factory`: servers of the test's own, for tests that
  stop, restart or configure the server.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.dovecot import Dovecot, MailUser

# The scripted IMAP server's fixtures (scripted_imap, scripted_imap_factory).
pytest_plugins = ["tests.support.scripted_fixture"]

ALLOW_SKIPS_ENV = "MAILTUI_ALLOW_SKIPS"

# Modules whose tests compare wall-clock times (a latency bound, a growth ratio, a
# floor measured in the same test): scripts/test runs them alone, after the parallel
# pass, so other workers' load cannot make them fail. Any test named *linear* too.
SERIAL_MODULES = frozenset(
    {
        "tests/crypto/test_timing.py",
        "tests/imap/test_live_updates.py",
        "tests/maildir/test_live.py",
        "tests/perf/test_quit.py",
        "tests/providers/test_label_codec.py",
        "tests/ui/test_hostile_screen.py",
        "tests/ui/test_live.py",
        "tests/ui/test_render_responsive.py",
        "tests/unit/test_complexity.py",
        "tests/unit/test_hostile_corpus.py",
        "tests/unit/test_mime_html.py",
        "tests/unit/test_mime_threads.py",
        "tests/unit/test_uidset.py",
        "tests/unit/test_wire_hostile.py",
    }
)


def pytest_configure(config: pytest.Config) -> None:
    """Room for descriptors: each test process starts hundreds of apps, services and
    servers, and a soft limit of 1024 (common in containers) would end a long run in
    EMFILE. Descriptors above 1024 are fine: mailtui waits with poll (readable.py), and
    tests/imap/test_high_fds.py checks it."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if want < 8192 and os.geteuid() == 0:
        want = hard = 65536  # root (CI) may raise the hard limit too
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError):
            pass  # keep the limit we were given


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(__file__).resolve().parent.parent
    for item in items:
        path = item.path.resolve()
        module = path.relative_to(root).as_posix() if path.is_relative_to(root) else ""
        if module in SERIAL_MODULES or "linear" in item.name or "quadratic" in item.name:
            item.add_marker(pytest.mark.serial)


# --------------------------------------------------------------------------------------
# Dovecot


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    """The shared test IMAP server, started once per run."""
    server = Dovecot(tmp_path_factory.mktemp("dovecot"))
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def mail_user(dovecot: Dovecot) -> MailUser:
    """A new, empty account on the shared server."""
    return dovecot.add_user()


@pytest.fixture
def dovecot_factory(tmp_path: Path) -> Iterator[Callable[..., Dovecot]]:
    """Start private servers with `Dovecot` keyword arguments; all stopped after the test."""
    servers: list[Dovecot] = []

    def make(**kwargs: Any) -> Dovecot:
        server = Dovecot(tmp_path / f"dovecot{len(servers)}", **kwargs)
        servers.append(server)
        server.start()
        return server

    try:
        yield make
    finally:
        for server in servers:
            server.close()


@pytest.fixture
def private_dovecot(dovecot_factory: Callable[..., Dovecot]) -> Dovecot:
    """A server of this test's own, free to stop and restart."""
    return dovecot_factory()


# --------------------------------------------------------------------------------------
# A skipped test must never count as a pass: a run with skips exits non-zero unless
# MAILTUI_ALLOW_SKIPS=1. (A run that collects no test already exits 5.)

_skipped: list[str] = []


def _note_skip(report: pytest.CollectReport | pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid or str(report.fspath))


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _note_skip(report)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _note_skip(report)


def _skips_fail_run() -> bool:
    return bool(_skipped) and os.environ.get(ALLOW_SKIPS_ENV) != "1"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int) -> None:
    from tests.support import hardening

    # The hardening figures stand for checks that passed: only a green run prints them.
    stats = terminalreporter.stats
    green = (
        exitstatus == pytest.ExitCode.OK
        and not stats.get("failed")
        and not stats.get("error")
        and not _skips_fail_run()
    )
    if green and hardening.any_recorded():
        terminalreporter.write_line(f"hardening: {hardening.summary()}")
    if _skips_fail_run():
        terminalreporter.section("skipped tests fail this run", sep="=", red=True, bold=True)
        for nodeid in _skipped:
            terminalreporter.write_line(f"SKIPPED {nodeid}")
        terminalreporter.write_line(
            f"A skipped test is not a passed test. Fix the cause, or set {ALLOW_SKIPS_ENV}=1 "
            "to accept skips for this run."
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skips_fail_run() and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
