import os
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailtui.config import paths
from mailtui.config.load import load_settings, make_settings
from mailtui.config.model import AccountSettings, ServerSettings, Settings, UiSettings
from mailtui.config.trust import is_loopback
from mailtui.errors import ConfigError

BENCH_CONFIG = """\
[accounts.bench]
email = "bench@example.test"

[accounts.bench.imap]
host = "127.0.0.1"
port = 10143
security = "starttls"      # "tls" (implicit, the default, port 993) | "starttls" | "none" (refused unless host is loopback)
username = "bench"
password_command = "printf bench"
ca_file = "/tmp/test-ca.pem" # optional, added to the system CAs
"""


def write(tmp_path: Path, text: str, mode: int = 0o600, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    path.chmod(mode)
    return path


def error_of(tmp_path: Path, text: str, mode: int = 0o600) -> ConfigError:
    path = write(tmp_path, text, mode)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(path) in str(info.value)
    return info.value


def code_error(accounts: Any, ui: Any = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        make_settings(accounts, ui)
    return info.value


IMAP = {"email": "me@example.com", "imap": {"host": "imap.example.com"}}


@pytest.fixture
def bench_ca() -> Any:
    """The bench config names /tmp/test-ca.pem; create it if the bench has not."""
    ca = Path("/tmp/test-ca.pem")
    created = not ca.exists()
    if created:
        ca.write_text("-----BEGIN CERTIFICATE-----\n")
    yield ca
    if created:
        ca.unlink(missing_ok=True)


# --- the bench config, exactly --------------------------------------------------------


def test_bench_config_loads_exactly_as_it_stands(tmp_path: Path, bench_ca: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(BENCH_CONFIG)  # default umask mode: commands are not secrets
    s = load_settings(path)
    assert s.path == path
    assert list(s.accounts) == ["bench"]
    assert s.default_account == "bench"
    acct = s.account()
    assert acct.email == "bench@example.test"
    assert acct.imap == ServerSettings(
        host="127.0.0.1",
        port=10143,
        security="starttls",
        username="bench",
        password_command="printf bench",
        ca_file=Path("/tmp/test-ca.pem"),
    )
    assert acct.imap.auth_source == "password_command"
    assert acct.smtp is None and acct.maildir is None
    assert s.ui == UiSettings()


def test_bench_config_via_cli_path_and_env(
    tmp_path: Path, bench_ca: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, BENCH_CONFIG)
    monkeypatch.setenv(paths.CONFIG_ENV, str(path))
    assert load_settings().path == path
    other = write(
        tmp_path,
        BENCH_CONFIG.replace("bench]", "cli]", 1).replace("bench.", "cli."),
        name="cli.toml",
    )
    assert list(load_settings(cli_path=str(other)).accounts) == ["cli"]


# --- defaults -------------------------------------------------------------------------


def test_defaults_for_a_minimal_account() -> None:
    s = make_settings({"work": IMAP})
    acct = s.account("work")
    assert acct == AccountSettings(name="work", email="me@example.com", imap=acct.imap, smtp=None)
    assert acct.imap == ServerSettings(
        host="imap.example.com", port=993, security="tls", username="me@example.com"
    )
    assert acct.imap.auth_source == "keyring"
    assert acct.delete == "trash" and acct.idle and acct.poll_interval == 60
    assert acct.part_cache_mb == 200 and acct.sent_copy is None and acct.signature == ""
    assert s.path is None


@pytest.mark.parametrize(
    ("protocol", "security", "port"),
    [
        ("imap", "tls", 993),
        ("imap", "starttls", 143),
        ("imap", "none", 143),
        ("smtp", "tls", 465),
        ("smtp", "starttls", 587),
        ("smtp", "none", 25),
    ],
)
def test_default_ports(protocol: str, security: str, port: int) -> None:
    server = {"host": "localhost", "security": security}
    acct = {"email": "me@example.com", "imap": {"host": "localhost"}, protocol: server}
    got = make_settings({"a": acct}).account("a")
    assert getattr(got, protocol).port == port


def test_display_name_comes_from_the_name_key(tmp_path: Path) -> None:
    s = make_settings({"work": {**IMAP, "name": "Ada Lovelace"}})
    assert s.account("work").name == "work"
    assert s.account("work").display_name == "Ada Lovelace"
    assert s.account("work").address.full() == "Ada Lovelace <me@example.com>"


def test_accounts_keep_file_order_and_default(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        """
        [accounts.zeta]
        email = "z@example.com"
        maildir = "~/Mail/z"
        [accounts.alpha]
        email = "a@example.com"
        maildir = "mail/a"
        default = true
        [accounts.mid]
        email = "m@example.com"
        maildir = "/abs/m"
        """,
    )
    s = load_settings(p)
    assert list(s.accounts) == ["zeta", "alpha", "mid"]
    assert s.default_account == "alpha"
    assert s.account().name == "alpha"
    assert s.account("zeta").maildir == Path("~/Mail/z").expanduser()
    assert s.account("alpha").maildir == tmp_path / "mail" / "a"  # relative to the file
    assert s.account("mid").maildir == Path("/abs/m")


def test_first_account_is_default_without_a_flag() -> None:
    s = make_settings({"b": IMAP, "a": IMAP})
    assert s.default_account == "b"


def test_unknown_account_lists_known_ones() -> None:
    s = make_settings({"work": IMAP, "home": IMAP})
    with pytest.raises(ConfigError) as info:
        s.account("wrok")
    msg = str(info.value)
    assert "'wrok'" in msg and "work, home" in msg and "did you mean 'work'" in msg


def test_ui_settings(tmp_path: Path) -> None:
    s = make_settings(
        {"a": IMAP},
        ui={
            "theme": "nord",
            "mark_read_delay": 0,
            "mark_read": "On-Open",
            "download_dir": "~/dl",
            "open_command": "xdg-open",
            "threaded": True,
            "sort": "Subject",
            "reverse": False,
            "prefer_html": True,
            "keys": {"archive": "a, y", "delete": ["d", "delete"]},
            "themes_dir": tmp_path,
        },
    )
    ui = s.ui
    assert ui.theme == "nord" and ui.mark_read_delay == 0.0 and ui.mark_read == "on-open"
    assert ui.download_dir == Path("~/dl").expanduser()
    assert ui.sort == "subject" and not ui.reverse and ui.threaded and ui.prefer_html
    assert ui.keys == {"archive": "a,y", "delete": "d,delete"}
    assert ui.themes_dir == tmp_path


def test_ui_defaults() -> None:
    ui = UiSettings()
    assert ui.theme is None and ui.mark_read_delay == 0.5 and ui.sort == "date"
    assert ui.mark_read == "on-view"
    assert ui.reverse and not ui.threaded and not ui.prefer_html and ui.keys == {}
    assert ui.download_dir == Path("~/Downloads").expanduser()
    assert ui.themes_dir == paths.config_dir(create=False) / "themes"


def test_negative_mark_read_delay_means_never() -> None:
    assert make_settings({"a": IMAP}, ui={"mark_read_delay": -1}).ui.mark_read_delay == -1


def test_ignore_capabilities_upper_cased() -> None:
    acct = {**IMAP, "imap": {"host": "h.example", "ignore_capabilities": ["qresync", "IDLE"]}}
    assert make_settings({"a": acct}).account().imap.ignore_capabilities == ("QRESYNC", "IDLE")


def test_settings_repr_hides_commands() -> None:
    acct = {**IMAP, "imap": {"host": "h.example", "password_command": "echo hunter2"}}
    assert "hunter2" not in repr(make_settings({"a": acct}))


# --- errors ---------------------------------------------------------------------------


def test_missing_file_says_where_and_how(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_settings(cli_path=str(missing))
    err = info.value
    assert str(missing) in str(err) and "--config" in str(err)
    assert "mailtui setup" in err.hint and "mailtui --demo" in err.hint  # issue 15


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="directory"):
        load_settings(tmp_path)


def test_toml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    err = error_of(tmp_path, '[accounts.a]\nemail = "a@b.c"\nhost = imap\n')
    assert "line 3, column 8" in str(err)


def test_toml_error_at_end_of_document(tmp_path: Path) -> None:
    err = error_of(tmp_path, '[accounts.a]\nemail = "a@b.c')
    assert "line 2" in str(err)


def test_not_utf8(tmp_path: Path) -> None:
    p = tmp_path / "config.toml"
    p.write_bytes(b'[accounts.a]\nemail = "\xff"\n')
    p.chmod(0o600)
    with pytest.raises(ConfigError, match=r"line 2.*UTF-8"):
        load_settings(p)


def test_unknown_key_suggests(tmp_path: Path) -> None:
    err = error_of(
        tmp_path,
        """
        [accounts.bench]
        email = "bench@example.test"
        [accounts.bench.imap]
        hots = "127.0.0.1"
        """,
    )
    msg = str(err)
    assert "accounts.bench.imap.hots" in msg and "did you mean 'host'" in msg
    assert "allowed here" in msg and "password_command" in msg


def test_unknown_top_level_key(tmp_path: Path) -> None:
    err = error_of(tmp_path, '[account.a]\nemail = "a@b.c"\n')
    assert "account:" in str(err) or "account" in str(err)
    assert "did you mean 'accounts'" in str(err)


def test_quoted_account_names_in_dotted_keys() -> None:
    err = code_error({"my work": {**IMAP, "imap": {"host": "h", "prot": 1}}})
    assert 'accounts."my work".imap.prot' in str(err)


@pytest.mark.parametrize(
    ("server", "key", "words"),
    [
        ({"host": "h", "port": "993"}, "imap.port", "integer"),
        ({"host": "h", "port": True}, "imap.port", "integer"),
        ({"host": "h", "port": 0}, "imap.port", "1 to 65535"),
        ({"host": "h", "port": 70000}, "imap.port", "1 to 65535"),
        ({"host": 5}, "imap.host", "string"),
        ({"host": ""}, "imap.host", "empty"),
        ({"host": "me@example.com"}, "imap.host", "email"),
        ({"host": "a b"}, "imap.host", "host name"),
        ({"host": "h", "security": "ssl"}, "imap.security", '"tls", "starttls", "none"'),
        ({"host": "h", "timeout": 0}, "imap.timeout", "range"),
        ({"host": "h", "timeout": float("nan")}, "imap.timeout", "finite"),
        ({"host": "h", "log_protocol": "yes"}, "imap.log_protocol", "true or false"),
        ({"host": "h", "ignore_capabilities": "IDLE"}, "imap.ignore_capabilities", "array"),
        (
            {"host": "h", "ignore_capabilities": ["a b"]},
            "imap.ignore_capabilities[0]",
            "capability",
        ),
        ({"host": "h", "username": "a\nb"}, "imap.username", "line breaks"),
        ({"host": "h\x1b[2J"}, "imap.host", "control character"),
    ],
)
def test_server_errors(server: dict[str, Any], key: str, words: str) -> None:
    err = code_error({"a": {"email": "a@example.com", "imap": server}})
    msg = str(err)
    assert f"accounts.a.{key}" in msg, msg
    assert words in msg, msg


@pytest.mark.parametrize(
    ("account", "key", "words"),
    [
        ({"email": "nope", "maildir": "m"}, "email", "not an email"),
        ({"maildir": "m"}, "email", "required"),
        ({"email": "a@b.c", "maildir": "m", "delete": "shred"}, "delete", '"trash", "expunge"'),
        ({"email": "a@b.c", "maildir": "m", "poll_interval": 1.5}, "poll_interval", "integer"),
        ({"email": "a@b.c", "maildir": "m", "part_cache_mb": -1}, "part_cache_mb", "range"),
        ({"email": "a@b.c", "maildir": "m", "idle": 1}, "idle", "true or false"),
        ({"email": "a@b.c", "maildir": 3}, "maildir", "path"),
        ({"email": "a@b.c", "maildir": "m", "trash_folder": ""}, "trash_folder", "empty"),
        ({"email": "a@b.c", "maildir": "m", "signature": 1}, "signature", "string"),
        ({"email": "a@b.c", "maildir": "m", "imap": {"host": "h"}}, "maildir", "exactly one"),
        ({"email": "a@b.c", "imap": "imap.example.com"}, "imap", "table"),
        ({"email": "a@b.c", "maildir": "m", "name": "Eve\r\nBcc: x"}, "name", "line breaks"),
        ({"email": "a@b.c", "maildir": "m", "identities": "x@y.z"}, "identities", "array"),
        ({"email": "a@b.c", "maildir": "m", "identities": [{}]}, "identities[0].email", "required"),
        (
            {"email": "a@b.c", "maildir": "m", "identities": [{"email": "a@b", "nick": "x"}]},
            "identities[0]",
            "nick",
        ),
    ],
)
def test_account_errors(account: dict[str, Any], key: str, words: str) -> None:
    msg = str(code_error({"a": account}))
    assert f"accounts.a.{key}" in msg, msg
    assert words in msg, msg


def test_account_without_mail_source() -> None:
    err = code_error({"a": {"email": "a@b.c"}})
    assert "accounts.a:" in str(err) and "no mail source" in str(err)
    assert "maildir" in err.hint


def test_no_accounts(tmp_path: Path) -> None:
    err = error_of(tmp_path, '[ui]\ntheme = "x"\n')
    assert "no accounts" in str(err) and "mailtui setup" in err.hint  # issue 15
    assert "at least one" in str(code_error({}))


def test_two_defaults() -> None:
    a = {**IMAP, "default": True}
    err = code_error({"a": a, "b": a})
    assert "accounts.b.default" in str(err) and "accounts.a" in str(err)


def test_two_password_sources(tmp_path: Path) -> None:
    err = error_of(
        tmp_path,
        """
        [accounts.a]
        email = "a@example.com"
        [accounts.a.imap]
        host = "imap.example.com"
        password_command = "pass show a"
        oauth2_token_command = "oauth2 get a"
        """,
    )
    assert "accounts.a.imap.oauth2_token_command" in str(err)
    assert "password_command" in str(err) and "exactly one" in str(err)


def test_plaintext_refused_for_remote_host(tmp_path: Path) -> None:
    err = error_of(
        tmp_path,
        """
        [accounts.a]
        email = "a@example.com"
        [accounts.a.smtp]
        host = "smtp.example.com"
        security = "none"
        [accounts.a.imap]
        host = "localhost"
        security = "none"
        """,
    )
    assert "accounts.a.smtp.security" in str(err) and "loopback" in str(err)
    assert "tls" in err.hint


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.3.4.5", "::1", "[::1]", "localhost", "LOCALHOST", "::ffff:127.0.0.1"]
)
def test_plaintext_allowed_on_loopback(host: str) -> None:
    acct = {"email": "a@b.c", "imap": {"host": host, "security": "none"}}
    assert make_settings({"a": acct}).account().imap.security == "none"


@pytest.mark.parametrize(
    "host", ["128.0.0.1", "10.0.0.1", "::2", "localhost.example.com", "0.0.0.0", "evil.localhost"]
)
def test_not_loopback(host: str) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize("key", ["password", "pass", "Password"])
def test_password_key_refused_anywhere(tmp_path: Path, key: str) -> None:
    err = error_of(
        tmp_path,
        f"""
        [accounts.work]
        email = "a@example.com"
        [accounts.work.imap]
        host = "imap.example.com"
        {key} = "hunter2"
        """,
    )
    assert f"accounts.work.imap.{key}" in str(err)
    assert "hunter2" not in str(err) and "hunter2" not in err.hint
    assert "mailtui login work" in err.hint and "password_command" in err.hint


def test_password_key_refused_in_code_and_in_ui() -> None:
    err = code_error({"a": IMAP}, ui={"pass": "x"})
    assert "ui.pass" in str(err)


def test_password_in_readable_file_says_exposed(tmp_path: Path) -> None:
    err = error_of(tmp_path, '[accounts.a]\npassword = "x"\n', mode=0o644)
    assert "readable by other users" in str(err) and "644" in str(err)


def test_readable_file_with_secret_looking_key_refused(tmp_path: Path) -> None:
    text = """
        [accounts.a]
        email = "a@example.com"
        [accounts.a.imap]
        host = "imap.example.com"
        api_token = "abc"
        """
    err = error_of(tmp_path, text, mode=0o640)
    assert "accounts.a.imap.api_token" in str(err) and "readable by other users" in str(err)
    assert "chmod 600" in err.hint
    # The same file, private: an ordinary unknown-key error instead.
    private = error_of(tmp_path, text, mode=0o600)
    assert "unknown key" in str(private)


def test_ca_file_must_exist(tmp_path: Path) -> None:
    err = error_of(
        tmp_path,
        """
        [accounts.a]
        email = "a@example.com"
        [accounts.a.imap]
        host = "imap.example.com"
        ca_file = "certs/ca.pem"
        """,
    )
    assert "accounts.a.imap.ca_file" in str(err) and "does not exist" in str(err)
    assert str(tmp_path / "certs" / "ca.pem") in str(err)
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_text("pem")
    s = load_settings(tmp_path / "config.toml")
    assert s.account().imap.ca_file == tmp_path / "certs" / "ca.pem"


def test_ca_file_directory_refused(tmp_path: Path) -> None:
    acct = {**IMAP, "imap": {"host": "h", "ca_file": str(tmp_path)}}
    assert "not a readable file" in str(code_error({"a": acct}))


def test_unknown_user_in_path() -> None:
    acct = {"email": "a@b.c", "maildir": "~no_such_user_hopefully_xyz/Mail"}
    assert "accounts.a.maildir" in str(code_error({"a": acct}))


@pytest.mark.parametrize(
    ("ui", "key", "words"),
    [
        ({"sort": "color"}, "ui.sort", '"date", "from", "subject", "size"'),
        ({"keys": {"archive": ""}}, "ui.keys.archive", "empty key"),
        ({"keys": {"archive": 1}}, "ui.keys.archive", "string"),
        ({"keys": "a=b"}, "ui.keys", "table"),
        ({"theme": 1}, "ui.theme", "string"),
        ({"mark_read_delay": "soon"}, "ui.mark_read_delay", "number"),
        ({"mark_read_delay": float("inf")}, "ui.mark_read_delay", "finite"),
        ({"mark_read": "on-opne"}, "ui.mark_read", 'did you mean "on-open"'),
        ({"mark_read": "never"}, "ui.mark_read", '"on-view", "on-open"'),
        ({"mark_read": True}, "ui.mark_read", "string"),
        ({"markread": "on-open"}, "ui.markread", "did you mean 'mark_read'"),
        ({"themedir": "x"}, "ui.themedir", "did you mean 'themes_dir'"),
    ],
)
def test_ui_errors(ui: dict[str, Any], key: str, words: str) -> None:
    msg = str(code_error({"a": IMAP}, ui))
    assert key in msg and words in msg, msg


def test_ui_must_be_a_table(tmp_path: Path) -> None:
    err = error_of(tmp_path, 'ui = "dark"\n[accounts.a]\nemail = "a@b.c"\nmaildir = "m"\n')
    assert "ui: must be a table" in str(err)


def test_every_error_names_the_file(tmp_path: Path) -> None:
    err = error_of(tmp_path, '[accounts.a]\nemail = "a@b.c"\nmaildir = "m"\nidle = "no"\n')
    assert str(err).startswith(str(tmp_path / "config.toml") + ": accounts.a.idle:")


def test_hostile_nesting_is_a_config_error(tmp_path: Path) -> None:
    deep = "x = " + "[" * 5000 + "]" * 5000 + "\n"
    error_of(tmp_path, deep)


# --- property tests -------------------------------------------------------------------

_any_text = st.text(max_size=40)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    _any_text,
)
_values = st.recursive(
    _scalars.filter(lambda v: v is not None),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(_any_text, inner, max_size=3)
    ),
    max_leaves=8,
)

_STRING_FIELDS = (
    "email",
    "name",
    "signature",
    "maildir",
    "archive_folder",
    "trash_folder",
    "sent_folder",
    "drafts_folder",
    "delete",
)
_SERVER_STRING_FIELDS = (
    "host",
    "security",
    "username",
    "password_command",
    "oauth2_token_command",
    "ca_file",
)


def _build_or_config_error(accounts: Any, ui: Any = None) -> Settings | None:
    try:
        return make_settings(accounts, ui)
    except ConfigError as exc:
        assert str(exc)
        return None


@settings(max_examples=300, deadline=None)
@given(
    name=_any_text,
    field=st.sampled_from(_STRING_FIELDS),
    value=_any_text,
    server_field=st.sampled_from(_SERVER_STRING_FIELDS),
    server_value=_any_text,
)
def test_arbitrary_strings_never_crash(
    name: str, field: str, value: str, server_field: str, server_value: str
) -> None:
    acct: dict[str, Any] = {"email": "a@example.com", "imap": {"host": "imap.example.com"}}
    acct["imap"][server_field] = server_value
    acct[field] = value
    got = _build_or_config_error({name: acct})
    if got is not None:
        assert list(got.accounts) == [name]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(st.dictionaries(_any_text, _values, max_size=4), st.dictionaries(_any_text, _values))
def test_arbitrary_structures_never_crash(account: dict[str, Any], ui: dict[str, Any]) -> None:
    _build_or_config_error({"a": account}, ui)
    _build_or_config_error({"a": {**IMAP, **account}})


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=200))
def test_arbitrary_files_never_crash(tmp_path: Path, text: str) -> None:
    path = tmp_path / "fuzz.toml"
    try:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    except UnicodeEncodeError:
        return
    os.chmod(path, 0o600)
    try:
        load_settings(path)
    except ConfigError:
        pass
