"""One-key unsubscribe (mailtui.usecase.unsubscribe): header plans and the RFC 8058 POST
against a real loopback HTTPS server with a throw-away trustme CA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from mailtui.config.model import AccountSettings
from mailtui.usecase.unsubscribe import (
    MAX_URIS,
    ONE_CLICK_BODY,
    UnsubscribePlan,
    perform_one_click,
    plan_unsubscribe,
    unsubscribe_draft,
)
from tests.support.https_server import HttpsServer, serve
from tests.unit.test_complexity import assert_linear

ONE_CLICK = "List-Unsubscribe=One-Click"


# --------------------------------------------------------------------------- plans


def test_one_click_with_a_mailto_alternative() -> None:
    plan = plan_unsubscribe(
        "<mailto:leave@lists.example?subject=unsubscribe>, <https://lists.example/u/Xy12?l=9>",
        ONE_CLICK,
    )
    assert plan.kind == "one-click"
    assert plan.one_click == plan.link == "https://lists.example/u/Xy12?l=9"
    assert plan.mailto is not None and [a.addr for a in plan.mailto.to] == ["leave@lists.example"]
    assert plan.host == "lists.example"
    assert plan.describe() == "Unsubscribe by a one-click request to lists.example"


def test_without_the_post_header_an_https_uri_is_only_a_link() -> None:
    plan = plan_unsubscribe("<https://lists.example/u/Xy12>")
    assert plan.kind == "link" and not plan.one_click
    assert plan.describe() == "Unsubscribe on the list's page: https://lists.example/u/Xy12"
    # The Post header must be exactly the one key/value pair (RFC 8058 §3.1).
    assert not plan_unsubscribe("<https://a.example/u>", "List-Unsubscribe=Yes").one_click
    assert not plan_unsubscribe("<https://a.example/u>", ONE_CLICK + "&x=1").one_click
    assert plan_unsubscribe("<https://a.example/u>", f"  {ONE_CLICK} ").one_click


def test_mailto_only() -> None:
    plan = plan_unsubscribe("<mailto:list-request@example.org?subject=unsubscribe%20me>", ONE_CLICK)
    assert plan.kind == "mailto" and not plan.one_click and not plan.link
    assert plan.describe() == "Unsubscribe by sending a message to list-request@example.org"


@pytest.mark.parametrize(
    "header",
    [
        "<http://lists.example/u>",  # not encrypted: never offered
        "<javascript:alert(1)>",
        "<https://bank.example@evil.example/u>",  # user@host disguises the host
        "<https://lists.example:99999/u>",
        "<https:///nohost>",
        "<https://lists.example/u\x1b]8;;x\x07>",
        "https://lists.example/u",  # no angle brackets: not an RFC 2369 URI
        "<mailto:>",
        "",
    ],
)
def test_what_is_never_offered(header: str) -> None:
    plan = plan_unsubscribe(header, ONE_CLICK)
    assert plan.kind == "none" and plan == UnsubscribePlan()
    assert plan.describe() == "This message names no way to unsubscribe"


def test_folded_whitespace_inside_brackets_is_ignored_and_comments_skipped() -> None:
    plan = plan_unsubscribe("(use this one) <https://lists.example/\r\n  u/abc>", ONE_CLICK)
    assert plan.one_click == "https://lists.example/u/abc"


def test_huge_headers_are_capped_and_linear() -> None:
    many = ", ".join(f"<http://x{i}.example/>" for i in range(10_000)) + ", <https://ok.example/>"
    assert plan_unsubscribe(many, ONE_CLICK).kind == "none"  # past MAX_URIS: not looked at
    within = ", ".join(["<http://x.example/>"] * (MAX_URIS - 1) + ["<https://ok.example/>"])
    assert plan_unsubscribe(within, ONE_CLICK).one_click == "https://ok.example/"

    def shapes(size: int) -> dict[str, str]:
        return {
            "open brackets": "<" * size,
            "long uri": "<https://a.example/" + "a" * size + ">",
            "commas": "," * size,
            "pairs": "<>" * (size // 2),
        }

    small, large = shapes(10_000), shapes(100_000)
    assert_linear(
        "plan_unsubscribe",
        lambda header: plan_unsubscribe(header, ONE_CLICK),
        [(k, small[k], large[k]) for k in small],
    )


def test_mailto_draft_has_only_to_subject_and_body() -> None:
    account = AccountSettings(name="t", email="me@example.org", display_name="Me")
    plan = plan_unsubscribe(
        "<mailto:leave@lists.example?cc=boss@example.org&bcc=spy@evil.example"
        "&attach=/etc/passwd&body=please%20remove%20me>"
    )
    draft = unsubscribe_draft(account, plan)
    assert [a.addr for a in draft.to] == ["leave@lists.example"]
    assert draft.cc == () and draft.bcc == () and draft.attachments == ()
    assert draft.subject == "unsubscribe"  # none given: what list servers expect
    assert draft.body.startswith("please remove me")
    with pytest.raises(ValueError):
        unsubscribe_draft(account, plan_unsubscribe("<https://a.example/u>"))


# --------------------------------------------------------------------------- the POST


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    authority = trustme.CA()
    path = tmp_path_factory.mktemp("unsub-ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return authority, path


@pytest.fixture
def https(ca: tuple[trustme.CA, Path]) -> Iterator[HttpsServer]:
    yield from serve(ca[0], ca[1])


def test_one_click_posts_exactly_the_rfc_8058_body_once(https: HttpsServer) -> None:
    plan = plan_unsubscribe(f"<{https.url('/u/Xy12?list=9&who=abc')}>", ONE_CLICK)
    result = perform_one_click(plan, timeout=10, ca_file=str(https.ca_file))
    assert result.ok and result.status == 200
    assert result.message == "Unsubscribe request accepted by 127.0.0.1 (200)"
    (seen,) = https.requests
    assert seen.method == "POST"
    assert seen.path == "/u/Xy12?list=9&who=abc"
    assert seen.body == ONE_CLICK_BODY == b"List-Unsubscribe=One-Click"
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "cookie" not in seen.headers and "authorization" not in seen.headers


@pytest.mark.parametrize("path", ["/redirect302", "/redirect307"])
def test_a_redirect_is_not_followed(https: HttpsServer, path: str) -> None:
    plan = plan_unsubscribe(f"<{https.url(path)}>", ONE_CLICK)
    result = perform_one_click(plan, timeout=10, ca_file=str(https.ca_file))
    assert not result.ok and result.status in (302, 307)
    assert "redirect" in result.message
    assert [(s.method, s.path) for s in https.requests] == [("POST", path)]  # no GET, no re-POST


def test_a_server_error_is_reported(https: HttpsServer) -> None:
    plan = plan_unsubscribe(f"<{https.url('/fail')}>", ONE_CLICK)
    result = perform_one_click(plan, timeout=10, ca_file=str(https.ca_file))
    assert not result.ok and result.status == 500
    assert result.message == "127.0.0.1 refused the unsubscribe (500)"


def test_an_untrusted_certificate_sends_nothing(ca: tuple[trustme.CA, Path]) -> None:
    for server in serve(trustme.CA(), ca[1]):  # signed by a CA the client does not trust
        plan = plan_unsubscribe(f"<{server.url('/u')}>", ONE_CLICK)
        result = perform_one_click(plan, timeout=10, ca_file=str(ca[1]))
        assert not result.ok and result.message.startswith("Could not reach 127.0.0.1")
        assert server.requests == []


def test_a_link_or_mailto_plan_is_never_fetched(https: HttpsServer) -> None:
    for plan in (
        plan_unsubscribe(f"<{https.url('/u')}>"),  # link only: no Post header
        plan_unsubscribe("<mailto:leave@lists.example>", ONE_CLICK),
    ):
        result = perform_one_click(plan, timeout=10, ca_file=str(https.ca_file))
        assert not result.ok and result.message == "This list offers no one-click unsubscribe"
    assert https.requests == []


def test_the_system_store_is_trusted_and_ca_file_adds_to_it(
    https: HttpsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ca_file: the system's CAs only (which do not know the test CA) — refused,
    nothing received; OpenSSL's SSL_CERT_FILE (a user's own store) is honoured."""
    plan = plan_unsubscribe(f"<{https.url('/u')}>", ONE_CLICK)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    refused = perform_one_click(plan, timeout=10)
    assert not refused.ok and refused.message.startswith("Could not reach 127.0.0.1")
    assert https.requests == []
    monkeypatch.setenv("SSL_CERT_FILE", str(https.ca_file))
    assert perform_one_click(plan, timeout=10).ok
    assert [(s.method, s.body) for s in https.requests] == [("POST", ONE_CLICK_BODY)]
