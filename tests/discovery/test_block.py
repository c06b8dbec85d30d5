"""From discovery to a proposal (probing the test Dovecot) and to the config block,
read back by mailtui's own config loader."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

from mailtui.config import load_settings
from mailtui.setup.block import Attempts, account_block, choice_from, propose
from mailtui.setup.discovery import Candidate, Discovery, guesses
from mailtui.setup.presets import Endpoint, preset_for_domain
from tests.support.dovecot import Dovecot, free_ports


def test_first_answering_candidate_is_proposed_with_what_it_offers(dovecot: Dovecot) -> None:
    [closed] = free_ports(1)
    dead = Candidate("autoconfig", Endpoint("127.0.0.1", closed, "tls"), None, "ann")
    alive = Candidate("srv", Endpoint("127.0.0.1", dovecot.imaps_port, "tls"), None, "ann")
    attempts = Attempts()
    proposal = propose(
        Discovery("ann@example.test", [dead, alive]), ca_file=dovecot.ca_file, attempts=attempts
    )
    assert proposal is not None and proposal.candidate is alive
    assert proposal.auth_choices == ("password",)
    assert [r.ok for r in attempts.reports] == [False, True]
    assert "refused" in attempts.reports[0].error


def test_a_preset_wish_for_oauth2_yields_to_what_the_server_offers(dovecot: Dovecot) -> None:
    gmail = preset_for_domain("gmail.com")
    assert gmail is not None
    cand = Candidate(
        "preset",
        Endpoint("127.0.0.1", dovecot.imaps_port, "tls"),
        None,
        "ann@gmail.com",
        auth="oauth2",
        oauth2_provider="google",
        preset=gmail,
    )
    proposal = propose(Discovery("ann@gmail.com", [cand]), ca_file=dovecot.ca_file)
    assert proposal is not None
    assert proposal.preferred_auth == "password"  # this server has no OAUTHBEARER/XOAUTH2


def test_nothing_answering_proposes_nothing_and_keeps_the_reasons() -> None:
    attempts = Attempts()
    found = Discovery("ann@example.invalid", guesses("example.invalid", "ann@example.invalid"))
    # Point the guesses at closed loopback ports: no DNS, no network.
    closed = free_ports(2)
    found.candidates = [
        replace(c, imap=Endpoint("127.0.0.1", p, "tls"))
        for c, p in zip(found.candidates, closed, strict=True)
    ]
    assert propose(found, attempts=attempts) is None
    assert len(attempts.reports) == 2 and all(r.error for r in attempts.reports)


def test_password_block_is_read_back_by_the_config_loader(dovecot: Dovecot, tmp_path: Path) -> None:
    cand = Candidate(
        "autoconfig",
        Endpoint("127.0.0.1", dovecot.imaps_port, "tls"),
        Endpoint("127.0.0.1", 2525, "starttls"),
        "ann",
        detail="https://autoconfig.example.test/mail/config-v1.1.xml",
    )
    proposal = propose(Discovery("ann@example.test", [cand]), ca_file=dovecot.ca_file)
    assert proposal is not None
    choice = choice_from(
        proposal,
        "work mail",
        "ann@example.test",
        "password",
        display_name='Ann "the admin" Ö',
        password_command="pass show mail/work",
    )
    block = account_block(choice)
    assert "# Added by `mailtui setup` (found by autoconfig: https://autoconfig" in block
    path = tmp_path / "config.toml"
    path.write_text(block)
    path.chmod(0o600)
    account = load_settings(path).account("work mail")
    assert account.email == "ann@example.test"
    assert account.display_name == 'Ann "the admin" Ö'
    assert account.imap is not None and account.smtp is not None
    assert (account.imap.host, account.imap.port, account.imap.security) == (
        "127.0.0.1",
        dovecot.imaps_port,
        "tls",
    )
    assert account.imap.username == "ann"
    assert account.imap.password_command == "pass show mail/work"
    assert account.smtp.security == "starttls"


def test_gmail_block_carries_its_habits_and_the_oauth2_keys() -> None:
    gmail = preset_for_domain("gmail.com")
    assert gmail is not None
    from mailtui.setup.block import Proposal
    from mailtui.setup.probe import ProbeReport

    cand = Candidate(
        "preset", gmail.imap, gmail.smtp, "ann@gmail.com", "oauth2", "google", gmail, gmail.name
    )
    proposal = Proposal(cand, ProbeReport(gmail.imap), None, ("oauth2", "password"))
    block = account_block(
        choice_from(proposal, "gmail", "ann@gmail.com", "oauth2", oauth2_token_file="~/.t")
    )
    data = tomllib.loads(block)["accounts"]["gmail"]
    assert data["sent_copy"] is False  # Gmail files sent mail itself
    assert data["sent_folder"] == "[Gmail]/Sent Mail"
    assert data["imap"] == {
        "host": "imap.gmail.com",
        "port": 993,
        "security": "tls",
        "auth": "oauth2",
        "oauth2_provider": "google",
        "oauth2_token_file": "~/.t",
    }
    assert data["smtp"]["host"] == "smtp.gmail.com"
    assert "password" not in block.lower().replace("password_command", "")
