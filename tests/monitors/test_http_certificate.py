"""http checks of https:// URLs see the server's certificate: its expiry and fingerprint go
with the result, and one that expires within tls_warn_days makes an OK check degraded. Real
HTTPS targets on loopback with certificates made by trustme."""

import datetime
import hashlib
import ssl

import pytest
import trustme

from monitors.outcomes import CheckSpec, Outcome
from tests.support.probing import probe
from tests.support.target import TargetServer

NOW = datetime.datetime.now(tz=datetime.UTC)


@pytest.fixture
def https_target(tls_ca):
    """start(not_after=...) -> an HTTPS TargetServer whose certificate, from tls_ca, expires
    then (trustme's default, the year 3000, without one)."""
    servers = []

    def start(not_after: datetime.datetime | None = None) -> TargetServer:
        server = TargetServer(tls=tls_ca)
        leaf = tls_ca.issue_cert("127.0.0.1", "localhost", not_after=not_after)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        leaf.configure_cert(context)
        # The target makes its own certificate; this one has the expiry the test needs.
        server._tls_context = context
        server.leaf = leaf
        servers.append(server.start())
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def trusting(tls_ca):
    with tls_ca.cert_pem.tempfile() as ca_path:
        yield probe(verify=ca_path)


def fingerprint(leaf: trustme.LeafCert) -> str:
    der = ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode())
    return hashlib.sha256(der).hexdigest()


def check(executor, url: str, **options):
    return executor.run(CheckSpec(url=url, timeout_seconds=3, options=options))


def test_an_https_check_carries_the_certificate_it_saw(https_target, trusting):
    server = https_target()

    result = check(trusting, server.url("/health"), tls_warn_days=14)

    assert (result.outcome, result.message) == (Outcome.OK, "HTTP 200")
    assert result.certificate.fingerprint == fingerprint(server.leaf)
    assert result.certificate.expires_at == datetime.datetime(3000, 1, 1, tzinfo=datetime.UTC)


def test_a_plain_http_check_has_no_certificate(target):
    result = check(probe(), target.url("/health"))

    assert result.outcome == Outcome.OK
    assert result.certificate is None


def test_a_certificate_expiring_within_the_warning_days_makes_the_check_degraded(
    https_target, trusting
):
    not_after = NOW + datetime.timedelta(days=5, hours=1)
    server = https_target(not_after)

    result = check(trusting, server.url("/health"), tls_warn_days=14)

    assert result.outcome == Outcome.DEGRADED
    assert result.is_up
    assert result.message == f"certificate expires in 5 days (valid until {not_after:%Y-%m-%d})"
    assert result.status_code == 200
    assert result.certificate.expires_at == not_after.replace(microsecond=0)
    assert result.certificate.fingerprint == fingerprint(server.leaf)


def test_the_same_certificate_is_ok_with_fewer_warning_days(https_target, trusting):
    server = https_target(NOW + datetime.timedelta(days=5, hours=1))

    result = check(trusting, server.url("/health"), tls_warn_days=3)

    assert result.outcome == Outcome.OK
    assert result.certificate is not None


def test_a_failing_check_is_down_and_still_reports_the_certificate(https_target, trusting):
    server = https_target(NOW + datetime.timedelta(days=5, hours=1))
    server.mode = "error"

    result = check(trusting, server.url("/health"), tls_warn_days=14)

    assert result.outcome == Outcome.WRONG_STATUS
    assert result.certificate.fingerprint == fingerprint(server.leaf)


def test_a_failed_degrade_assertion_keeps_its_own_message(https_target, trusting):
    server = https_target(NOW + datetime.timedelta(days=5, hours=1))

    result = check(trusting, server.url("/health"), tls_warn_days=14, assertions=[
        {"type": "body_contains", "value": "healthy", "degrade": True},
    ])

    assert result.outcome == Outcome.DEGRADED
    assert result.message.startswith('body_contains "healthy"')
    assert result.certificate is not None


def test_the_certificate_is_the_monitored_hosts_own_through_redirects(https_target, trusting,
                                                                       target):
    server = https_target(NOW + datetime.timedelta(days=5, hours=1))
    server.mode = "redirect_private"
    server.redirect_to = target.url("/health")

    result = check(trusting, server.url("/old"), tls_warn_days=14)

    # The redirect went to plain http; the warning is about the https:// host monitored.
    assert result.outcome == Outcome.DEGRADED
    assert result.certificate.fingerprint == fingerprint(server.leaf)
    assert target.requests_seen


def test_an_untrusted_certificate_is_a_tls_error_with_no_certificate(https_target):
    server = https_target()

    result = check(probe(), server.url("/health"))

    assert result.outcome == Outcome.TLS_ERROR
    assert result.certificate is None
