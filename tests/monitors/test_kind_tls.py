"""Kind `tls`: real TLS servers on loopback with certificates made by trustme."""

import datetime
import hashlib
import socket
import ssl
import threading
import time

import pytest
import trustme

from monitors.checking import run_check
from monitors.kinds.tls import TlsExecutor, expiry_message
from monitors.models import CheckResult
from monitors.outcomes import CheckSpec, Outcome
from tests.factories import MonitorFactory

NOW = datetime.datetime.now(tz=datetime.UTC)


class TlsServer:
    """Accepts connections on 127.0.0.1 and does the server side of a TLS handshake with
    `certificate`; with certificate=None it is a plain TCP service that writes `greeting`
    (not TLS at all); with greeting=None too, it accepts and never says a word."""

    def __init__(self, certificate: trustme.LeafCert | None, greeting: bytes | None = None):
        self.context = None
        if certificate is not None:
            self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            certificate.configure_cert(self.context)
        self.greeting = greeting
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.held: list[socket.socket] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, host: str = "localhost") -> str:
        return f"https://{host}:{self.port}"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            connection.settimeout(5)
            try:
                if self.context is not None:
                    with self.context.wrap_socket(connection, server_side=True):
                        pass
                elif self.greeting is not None:
                    connection.sendall(self.greeting)
                else:
                    self.held.append(connection)
                    continue
            except OSError:
                pass  # the client gave up on a certificate it does not accept
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()
        for connection in self.held:
            connection.close()
        self.sock.close()


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def serve():
    servers = []

    def start(certificate, greeting=None) -> TlsServer:
        servers.append(TlsServer(certificate, greeting))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def trusting(ca):
    """An executor that trusts `ca`, as it trusts the public CAs in production."""
    with ca.cert_pem.tempfile() as ca_path:
        return TlsExecutor(allow_private=True, verify=ca_path)


def check(executor: TlsExecutor, url: str, **options) -> object:
    return executor.run(CheckSpec(kind="tls", url=url, timeout_seconds=2, options=options))


def fingerprint(leaf: trustme.LeafCert) -> str:
    """SHA-256 of the leaf's DER, as the server sends it."""
    der = ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode())
    return hashlib.sha256(der).hexdigest()


def test_a_valid_certificate_is_ok_with_its_expiry(ca, serve, trusting):
    not_after = NOW + datetime.timedelta(days=90, hours=1)
    leaf = ca.issue_cert("localhost", not_after=not_after)
    server = serve(leaf)

    result = check(trusting, server.url(), tls_warn_days=14)

    assert result.outcome == Outcome.OK
    assert result.message == f"valid until {not_after:%Y-%m-%d}, 90 days"
    assert result.response_ms is not None
    assert result.certificate.fingerprint == fingerprint(leaf)
    assert result.certificate.expires_at == not_after.replace(microsecond=0)


def test_a_certificate_expiring_within_the_warning_days_is_degraded(ca, serve, trusting):
    not_after = NOW + datetime.timedelta(days=5, hours=1)
    leaf = ca.issue_cert("localhost", not_after=not_after)
    server = serve(leaf)

    result = check(trusting, server.url(), tls_warn_days=14)

    assert result.outcome == Outcome.DEGRADED
    assert result.is_up
    assert result.message == f"expires in 5 days (valid until {not_after:%Y-%m-%d})"
    assert result.certificate.fingerprint == fingerprint(leaf)
    assert result.certificate.expires_at == not_after.replace(microsecond=0)
    # The same certificate, with a shorter warning period, is simply valid.
    shorter = check(trusting, server.url(), tls_warn_days=3)
    assert shorter.outcome == Outcome.OK
    assert shorter.message == f"valid until {not_after:%Y-%m-%d}, 5 days"


def test_an_address_in_the_url_is_checked_against_the_certificate(ca, serve, trusting):
    server = serve(ca.issue_cert("127.0.0.1"))

    assert check(trusting, server.url("127.0.0.1")).outcome == Outcome.OK


def test_an_expired_certificate_is_tls_expired(ca, serve, trusting):
    server = serve(ca.issue_cert(
        "localhost",
        not_before=NOW - datetime.timedelta(days=60),
        not_after=NOW - datetime.timedelta(days=1),
    ))

    result = check(trusting, server.url())

    assert result.outcome == Outcome.TLS_EXPIRED
    assert result.message == f"localhost:{server.port}: certificate verify failed: " \
        "certificate has expired"


def test_a_certificate_for_another_host_is_tls_wrong_host(ca, serve, trusting):
    server = serve(ca.issue_cert("status.example.com"))

    result = check(trusting, server.url())

    assert result.outcome == Outcome.TLS_WRONG_HOST
    assert "Hostname mismatch" in result.message
    assert result.message.startswith(f"localhost:{server.port}: certificate verify failed")


def test_a_certificate_for_another_address_is_tls_wrong_host(ca, serve, trusting):
    server = serve(ca.issue_cert("127.0.0.2"))

    assert check(trusting, server.url("127.0.0.1")).outcome == Outcome.TLS_WRONG_HOST


def test_a_certificate_from_an_unknown_authority_is_tls_unknown_ca(serve, trusting):
    server = serve(trustme.CA().issue_cert("localhost"))

    result = check(trusting, server.url())

    assert result.outcome == Outcome.TLS_UNKNOWN_CA
    assert "unable to get local issuer certificate" in result.message


def test_the_default_bundle_does_not_trust_a_private_ca(ca, serve):
    server = serve(ca.issue_cert("localhost"))

    result = check(TlsExecutor(allow_private=True), server.url())

    assert result.outcome == Outcome.TLS_UNKNOWN_CA


def test_a_service_that_does_not_speak_tls_is_a_tls_error(serve, trusting):
    server = serve(None, greeting=b"SSH-2.0-OpenSSH_9.6\r\n")

    result = check(trusting, server.url())

    assert result.outcome == Outcome.TLS_ERROR
    assert result.message.startswith(f"TLS handshake with localhost:{server.port} failed: ")


def test_a_server_that_never_answers_the_handshake_times_out(serve, trusting):
    server = serve(None)

    started = time.monotonic()
    result = trusting.run(CheckSpec(kind="tls", url=server.url(), timeout_seconds=1))

    assert result.outcome == Outcome.TIMEOUT
    assert result.message == f"TLS handshake with localhost:{server.port} timed out after 1.0 s"
    assert time.monotonic() - started < 1.5


def test_a_closed_port_is_connection_refused(trusting):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    result = check(trusting, f"https://127.0.0.1:{port}")

    assert result.outcome == Outcome.CONNECTION_REFUSED


def test_an_unresolvable_host_is_a_dns_failure(trusting):
    result = check(trusting, "https://uptime-check.invalid")

    assert result.outcome == Outcome.DNS_FAILURE


def test_a_private_address_is_blocked_before_the_handshake(ca, serve):
    server = serve(ca.issue_cert("localhost"))
    with ca.cert_pem.tempfile() as ca_path:
        guarded = TlsExecutor(allow_private=False, verify=ca_path)

    result = check(guarded, server.url())

    assert result.outcome == Outcome.BLOCKED_ADDRESS
    assert result.message.startswith("localhost: ")
    time.sleep(0.2)
    assert server.accepted == 0


def test_the_expiry_message_counts_whole_days():
    not_after = datetime.datetime(2027, 1, 3, 12, tzinfo=datetime.UTC)

    def at(days, hours=0):
        return not_after - datetime.timedelta(days=days, hours=hours)

    assert expiry_message(not_after, at(37), 14) == "valid until 2027-01-03, 37 days"
    assert expiry_message(not_after, at(14), 14) == "valid until 2027-01-03, 14 days"
    assert expiry_message(not_after, at(13, 23), 14) == (
        "expires in 13 days (valid until 2027-01-03)"
    )
    assert expiry_message(not_after, at(1), 14) == "expires in 1 day (valid until 2027-01-03)"
    assert expiry_message(not_after, at(0, 3), 14) == (
        "expires today (valid until 2027-01-03 12:00 UTC)"
    )


@pytest.mark.django_db
def test_the_pipeline_records_a_tls_outcome(ca, serve, without_first_checks):
    # The registry's executor trusts certifi's bundle only, so the test CA is unknown to it.
    server = serve(ca.issue_cert("localhost"))
    monitor = MonitorFactory(kind="tls", url=server.url(), timeout_seconds=2)

    result = run_check(monitor.pk, scheduled=False)

    assert result.outcome == Outcome.TLS_UNKNOWN_CA
    assert result.error.startswith(f"localhost:{server.port}: certificate verify failed")
    assert CheckResult.objects.get(monitor=monitor).get_outcome_display() == (
        "TLS certificate from an unknown authority"
    )
