"""From what discovery and the probe found to a proposal, and to the account's TOML block.

`propose` probes the candidates in order and keeps the first IMAP server that answers,
with the sign-in methods it really offers (a preset's wish for OAuth2 is dropped when the
server does not offer it). `account_block` writes the `[accounts.NAME]` block setup
appends to the config: commented, with the settings the provider's habits call for
(sent_copy off where the server files sent mail itself, Gmail's folder names), and never
a secret — only where the secret comes from.

The CLI asks the questions and appends the text (0600, other accounts untouched).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from mailtui.setup.discovery import Candidate, Discovery
from mailtui.setup.presets import Endpoint
from mailtui.setup.probe import ProbeReport, probe_imap, probe_smtp

Auth = Literal["password", "oauth2"]
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Proposal:
    """A candidate that answered, and what its servers offer."""

    candidate: Candidate
    imap: ProbeReport
    smtp: ProbeReport | None
    auth_choices: tuple[Auth, ...]

    @property
    def preferred_auth(self) -> Auth | None:
        """The preset's method when the server offers it, else the first offered."""
        wish = "oauth2" if self.candidate.auth == "oauth2" else "password"
        if wish in self.auth_choices:
            return wish
        return self.auth_choices[0] if self.auth_choices else None


@dataclass
class Attempts:
    """Every probe made, for the "nothing found" screen (guesses prefilled)."""

    reports: list[ProbeReport] = field(default_factory=list)


def propose(
    found: Discovery, *, ca_file: Path | None = None, attempts: Attempts | None = None
) -> Proposal | None:
    """The first candidate whose IMAP server answers, probed with its SMTP server."""
    for candidate in found.candidates:
        imap = probe_imap(candidate.imap, ca_file=ca_file)
        if attempts is not None:
            attempts.reports.append(imap)
        if not imap.ok:
            continue
        smtp = probe_smtp(candidate.smtp, ca_file=ca_file) if candidate.smtp else None
        if attempts is not None and smtp is not None:
            attempts.reports.append(smtp)
        offered = [a for a in ("oauth2", "password") if a in imap.auth_choices()]
        return Proposal(candidate, imap, smtp, tuple(offered))  # type: ignore[arg-type]
    return None


@dataclass(frozen=True)
class AccountChoice:
    """Everything the block says; built from a proposal and the user's answers."""

    name: str
    email: str
    imap: Endpoint
    username: str
    auth: Auth
    smtp: Endpoint | None = None
    display_name: str = ""
    oauth2_provider: str | None = None
    password_command: str | None = None
    oauth2_token_file: str | None = None
    # Explicit `oauth2_*` keys (a custom provider, or overrides of a preset): key, value;
    # "scopes" holds space-separated scope names.
    oauth2_settings: tuple[tuple[str, str], ...] = ()
    sent_folder: str | None = None
    trash_folder: str | None = None
    sent_copy: bool = True
    found_by: str = ""
    ca_file: str | None = None  # a private CA the servers' certificates chain to


def choice_from(
    proposal: Proposal, name: str, email: str, auth: Auth, **answers: object
) -> AccountChoice:
    """An AccountChoice with the candidate's servers and habits and the user's answers."""
    cand = proposal.candidate
    preset = cand.preset
    base = {
        "name": name,
        "email": email,
        "imap": cand.imap,
        "smtp": cand.smtp,
        "username": cand.username,
        "auth": auth,
        "oauth2_provider": cand.oauth2_provider if auth == "oauth2" else None,
        "sent_folder": preset.sent_folder if preset else None,
        "trash_folder": preset.trash_folder if preset else None,
        "sent_copy": not (preset and preset.server_saves_sent),
        "found_by": f"{cand.source}: {cand.detail}" if cand.detail else cand.source,
    }
    base.update(answers)
    return AccountChoice(**base)  # type: ignore[arg-type]


def toml_str(value: str) -> str:
    """A TOML basic string (JSON's escapes are a subset of TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else toml_str(name)


def _server_lines(choice: AccountChoice, ep: Endpoint) -> list[str]:
    lines = [
        f"host = {toml_str(ep.host)}",
        f"port = {ep.port}",
        f"security = {toml_str(ep.security)}",
    ]
    if choice.username != choice.email:
        lines.append(f"username = {toml_str(choice.username)}")
    if choice.ca_file:
        lines.append(f"ca_file = {toml_str(choice.ca_file)}")
    if choice.auth == "oauth2":
        lines.append('auth = "oauth2"')
        lines.append(f"oauth2_provider = {toml_str(choice.oauth2_provider or 'custom')}")
        for key, value in choice.oauth2_settings:
            if key == "scopes":
                scopes = ", ".join(toml_str(x) for x in value.split())
                lines.append(f"oauth2_scopes = [{scopes}]")
            else:
                lines.append(f"oauth2_{key} = {toml_str(value)}")
        if choice.oauth2_token_file:
            lines.append("# The refresh token (0600; refused if others can read it).")
            lines.append(f"oauth2_token_file = {toml_str(choice.oauth2_token_file)}")
    elif choice.password_command:
        lines.append("# Prints the password on its first line.")
        lines.append(f"password_command = {toml_str(choice.password_command)}")
    else:
        lines.append("# The password is in the system keyring (`mailtui login`).")
    return lines


def account_block(choice: AccountChoice) -> str:
    """The commented `[accounts.NAME]` block for the config file (no secret in it)."""
    acct = f"accounts.{_key(choice.name)}"
    out = [""]
    if choice.found_by:
        out.append(f"# Added by `mailtui setup` (found by {choice.found_by}).")
    out += [f"[{acct}]", f"email = {toml_str(choice.email)}"]
    if choice.display_name:
        out.append(f"name = {toml_str(choice.display_name)}")
    if not choice.sent_copy:
        out.append("# The server files sent mail in Sent itself: no second copy.")
        out.append("sent_copy = false")
    for key in ("sent_folder", "trash_folder"):
        value = getattr(choice, key)
        if value:
            out.append(f"{key} = {toml_str(value)}")
    out += ["", f"[{acct}.imap]", *_server_lines(choice, choice.imap)]
    if choice.smtp is not None:
        out += ["", f"[{acct}.smtp]", *_server_lines(choice, choice.smtp)]
    return "\n".join(out) + "\n"
