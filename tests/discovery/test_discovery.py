"""Discovery on real parts: autoconfig over verified HTTPS from a loopback site with the
test CA, SRV and MX from a stub DNS server through dnspython, and the probe connecting
to the test Dovecot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import trustme

from mailtui.oauth2.http import HttpClient
from mailtui.setup.autoconfig import AutoconfigError, parse_autoconfig
from mailtui.setup.discovery import AddressError, discover, split_address
from mailtui.setup.presets import Endpoint
from mailtui.setup.probe import probe_imap
from mailtui.setup.srv import DnsResolver
from tests.support.discovery_servers import HttpsSite, StubDns
from tests.support.dovecot import Dovecot

DOMAIN = "example.test"
AUTOCONFIG_PATH = "/mail/config-v1.1.xml"
WELL_KNOWN_PATH = "/.well-known/autoconfig/mail/config-v1.1.xml"


def client_config(imap_port: int, *, socket: str = "SSL", extra: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="{DOMAIN}">
    <domain>{DOMAIN}</domain>
    <displayName>Example Mail</displayName>
    {extra}
    <incomingServer type="imap">
      <hostname>127.0.0.1</hostname>
      <port>{imap_port}</port>
      <socketType>{socket}</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILLOCALPART%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.{DOMAIN}</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>
""".encode()


@pytest.fixture
def site(dovecot: Dovecot) -> Iterator[HttpsSite]:
    """autoconfig.example.test and example.test over HTTPS, signed by Dovecot's test CA."""
    with HttpsSite(dovecot.ca, f"autoconfig.{DOMAIN}", DOMAIN) as s:
        yield s


def http_for(site: HttpsSite, dovecot: Dovecot) -> HttpClient:
    return HttpClient(ca_file=dovecot.ca_file, connect_to=site.connect_to, timeout=5)


def test_presets_answer_without_the_network() -> None:
    found = discover("Someone@GMail.com", HttpClient(connect_to={}, timeout=0.01), None)
    [best] = found.candidates
    assert (best.source, best.imap.host, best.auth, best.oauth2_provider) == (
        "preset",
        "imap.gmail.com",
        "oauth2",
        "google",
    )
    assert best.preset is not None and best.preset.server_saves_sent


def test_autoconfig_then_probe_finds_a_working_server(site: HttpsSite, dovecot: Dovecot) -> None:
    site.serve(f"autoconfig.{DOMAIN}", AUTOCONFIG_PATH, client_config(dovecot.imaps_port))
    found = discover(f"ann@{DOMAIN}", http_for(site, dovecot), None)
    [best] = found.candidates
    assert best.source == "autoconfig"
    assert best.detail == f"https://autoconfig.{DOMAIN}{AUTOCONFIG_PATH}"
    assert best.imap == Endpoint("127.0.0.1", dovecot.imaps_port, "tls")
    assert best.smtp == Endpoint(f"smtp.{DOMAIN}", 587, "starttls")
    assert best.username == "ann"  # %EMAILLOCALPART%
    assert site.requests == [(f"autoconfig.{DOMAIN}", AUTOCONFIG_PATH)]  # no address sent

    report = probe_imap(best.imap, ca_file=dovecot.ca_file)
    assert report.ok, report.error
    assert "PLAIN" in report.mechanisms
    assert report.auth_choices() == ["password"]  # this Dovecot has no OAuth2


def test_well_known_location_is_the_second_try(site: HttpsSite, dovecot: Dovecot) -> None:
    site.serve(DOMAIN, WELL_KNOWN_PATH, client_config(dovecot.imaps_port))
    found = discover(f"ann@{DOMAIN}", http_for(site, dovecot), None)
    assert found.candidates[0].source == "autoconfig"
    assert site.requests == [(f"autoconfig.{DOMAIN}", AUTOCONFIG_PATH), (DOMAIN, WELL_KNOWN_PATH)]
    assert any("HTTP 404" in t for t in found.tried)


def test_a_certificate_from_another_ca_is_not_believed(dovecot: Dovecot) -> None:
    with HttpsSite(trustme.CA(), f"autoconfig.{DOMAIN}", DOMAIN) as rogue:
        rogue.serve(f"autoconfig.{DOMAIN}", AUTOCONFIG_PATH, client_config(dovecot.imaps_port))
        found = discover(f"ann@{DOMAIN}", http_for(rogue, dovecot), None)
    assert all(c.source == "guess" for c in found.candidates)
    assert any("certificate not trusted" in t for t in found.tried)


def test_a_redirect_is_not_followed(site: HttpsSite, dovecot: Dovecot) -> None:
    site.serve(
        f"autoconfig.{DOMAIN}",
        AUTOCONFIG_PATH,
        b"",
        status=302,
        Location="https://attacker.example/config.xml",
    )
    found = discover(f"ann@{DOMAIN}", http_for(site, dovecot), None)
    assert found.candidates[0].source == "guess"
    assert any("HTTP 302" in t for t in found.tried)


@pytest.mark.parametrize(
    "hostile",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
        b'"&lol;&lol;&lol;&lol;">]><clientConfig>&lol2;</clientConfig>',
        b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<clientConfig>&x;</clientConfig>",
        b"<clientConfig><emailProvider>",
        b"<html><body>Not here</body></html>",
        b"<clientConfig>" + b"<x/>" * 5000 + b"</clientConfig>",
    ],
    ids=["entity-expansion", "external-entity", "truncated", "not-clientconfig", "too-many"],
)
def test_hostile_autoconfig_is_refused(hostile: bytes) -> None:
    with pytest.raises(AutoconfigError):
        parse_autoconfig(hostile, f"ann@{DOMAIN}")


def test_plaintext_and_odd_servers_are_never_offered() -> None:
    with pytest.raises(AutoconfigError, match="no IMAP server with TLS"):
        parse_autoconfig(client_config(143, socket="plain"), f"ann@{DOMAIN}")
    bad_host = client_config(993).replace(b"<hostname>127.0.0.1", b"<hostname>evil host;rm")
    with pytest.raises(AutoconfigError):
        parse_autoconfig(bad_host, f"ann@{DOMAIN}")


def test_srv_records_are_found_through_dns(site: HttpsSite, dovecot: Dovecot) -> None:
    with StubDns() as dns:
        dns.add(
            f"_imaps._tcp.{DOMAIN}", "SRV", f"10 1 993 imap2.{DOMAIN}.", f"0 5 993 imap.{DOMAIN}."
        )
        dns.add(f"_submissions._tcp.{DOMAIN}", "SRV", "0 0 0 .")  # not offered (RFC 6186 §3.4)
        dns.add(f"_submission._tcp.{DOMAIN}", "SRV", f"0 1 587 smtp.{DOMAIN}.")
        found = discover(
            f"ann@{DOMAIN}", http_for(site, dovecot), DnsResolver(["127.0.0.1"], dns.port)
        )
    [best] = found.candidates
    assert best.source == "srv"
    assert best.imap == Endpoint(f"imap.{DOMAIN}", 993, "tls")  # lowest priority wins
    assert best.smtp == Endpoint(f"smtp.{DOMAIN}", 587, "starttls")


def test_custom_domain_hosted_by_google_is_found_by_mx(site: HttpsSite, dovecot: Dovecot) -> None:
    with StubDns() as dns:
        dns.add(DOMAIN, "MX", "10 alt1.aspmx.l.google.com.", "1 aspmx.l.google.com.")
        found = discover(
            f"ann@{DOMAIN}", http_for(site, dovecot), DnsResolver(["127.0.0.1"], dns.port)
        )
        assert (f"_imaps._tcp.{DOMAIN}.", "SRV") in dns.queries
    [best] = found.candidates
    assert (best.source, best.imap.host, best.oauth2_provider) == ("mx", "imap.gmail.com", "google")
    assert best.username == f"ann@{DOMAIN}"


def test_nothing_found_gives_the_two_guesses(site: HttpsSite, dovecot: Dovecot) -> None:
    with StubDns() as dns:
        found = discover(
            f"ann@{DOMAIN}", http_for(site, dovecot), DnsResolver(["127.0.0.1"], dns.port)
        )
    assert [(c.source, c.imap.host) for c in found.candidates] == [
        ("guess", f"imap.{DOMAIN}"),
        ("guess", f"mail.{DOMAIN}"),
    ]


def test_probe_reports_oauth2_when_the_server_offers_it(oauth_dovecot: Dovecot) -> None:
    report = probe_imap(
        Endpoint("127.0.0.1", oauth_dovecot.imaps_port, "tls"), ca_file=oauth_dovecot.ca_file
    )
    assert report.ok, report.error
    assert report.oauth2_mechanism == "OAUTHBEARER"
    assert report.auth_choices() == ["oauth2", "password"]


def test_probe_over_starttls(dovecot: Dovecot) -> None:
    report = probe_imap(
        Endpoint("127.0.0.1", dovecot.imap_port, "starttls"), ca_file=dovecot.ca_file
    )
    assert report.ok, report.error
    assert "STARTTLS" not in report.capabilities  # read again after TLS started


def test_probe_failures_are_one_line(dovecot: Dovecot) -> None:
    untrusted = probe_imap(Endpoint("127.0.0.1", dovecot.imaps_port, "tls"))
    assert not untrusted.ok and "certificate" in untrusted.error
    from tests.support.dovecot import free_ports

    [closed] = free_ports(1)
    refused = probe_imap(Endpoint("127.0.0.1", closed, "tls"), ca_file=dovecot.ca_file)
    assert not refused.ok and "refused" in refused.error


@pytest.mark.parametrize("bad", ["", "no-at-sign", "a@b", "a b@c.d", "@example.com"])
def test_addresses_that_are_not(bad: str) -> None:
    with pytest.raises(AddressError):
        split_address(bad)


def test_an_internationalised_domain_is_looked_up_in_its_ascii_form() -> None:
    assert split_address("anna@Bücher.example") == ("anna", "xn--bcher-kva.example")
