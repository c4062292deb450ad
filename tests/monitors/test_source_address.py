"""UPTIME_SOURCE_ADDRESS: a worker's checks connect from the address given, so that several
region workers on one machine (127.0.0.1, 127.0.0.3, ...) look, to a target, like checks from
different networks. Real servers on loopback record where each connection came from."""

import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from monitors.kinds import executor_for
from monitors.outcomes import CheckSpec, Outcome
from tests.support.dns_server import DnsServer

REGION_ADDRESS = "127.0.0.3"


class PeerRecordingServer:
    """Answers HTTP 200, or 503 to connections from `refuse_from` (a target that is down for
    one region only); over TLS with `context`. `peers` lists each connection's source."""

    def __init__(self, *, refuse_from: str | None = None,
                 context: ssl.SSLContext | None = None) -> None:
        self.refuse_from, self.context = refuse_from, context
        self.peers: list[str] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, (peer, _) = self.listener.accept()
            except OSError:
                return
            self.peers.append(peer)
            threading.Thread(target=self._answer, args=(connection, peer), daemon=True).start()

    def _answer(self, connection: socket.socket, peer: str) -> None:
        try:
            if self.context is not None:
                connection = self.context.wrap_socket(connection, server_side=True)
            connection.settimeout(2)
            connection.recv(4096)
            status = b"503 Service Unavailable" if peer == self.refuse_from else b"200 OK"
            connection.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\n"
                               b"Connection: close\r\n\r\nok")
        except OSError:
            pass  # a tcp or tls check hangs up without a request
        finally:
            connection.close()

    def seen(self, count: int) -> list[str]:
        """The sources of the first `count` connections. A tcp check hangs up as soon as it
        connects, maybe before this server's accept loop has noted the connection."""
        deadline = time.monotonic() + 5
        while len(self.peers) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.peers

    def stop(self) -> None:
        self.listener.close()


@pytest.fixture
def server():
    started = PeerRecordingServer(refuse_from=REGION_ADDRESS)
    yield started
    started.stop()


def check(kind: str, url: str, **options):
    return executor_for(kind).run(CheckSpec(url=url, kind=kind, timeout_seconds=3,
                                            options=options))


def test_by_default_checks_leave_from_the_systems_choice(server):
    assert check("http", f"http://127.0.0.1:{server.port}/").outcome == Outcome.OK
    assert server.seen(1) == ["127.0.0.1"]


@pytest.mark.parametrize("kind,url", [
    ("http", "http://127.0.0.1:{port}/"),
    ("tcp", "tcp://127.0.0.1:{port}"),
])
def test_http_and_tcp_checks_leave_from_the_source_address(settings, server, kind, url):
    settings.UPTIME_SOURCE_ADDRESS = REGION_ADDRESS

    check(kind, url.format(port=server.port))

    assert server.seen(1) == [REGION_ADDRESS]


def test_a_target_down_for_one_region_is_down_only_from_its_address(settings, server):
    url = f"http://127.0.0.1:{server.port}/"
    elsewhere = check("http", url)
    settings.UPTIME_SOURCE_ADDRESS = REGION_ADDRESS
    from_the_region = check("http", url)

    assert elsewhere.outcome == Outcome.OK
    assert from_the_region.outcome == Outcome.WRONG_STATUS and from_the_region.status_code == 503


def test_tls_checks_leave_from_the_source_address(settings, tls_ca, tmp_path):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_ca.issue_cert("127.0.0.1").configure_cert(context)
    tls_server = PeerRecordingServer(context=context)
    ca_file = tmp_path / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(ca_file))
    settings.UPTIME_TLS_CA_FILE = str(ca_file)
    settings.UPTIME_SOURCE_ADDRESS = REGION_ADDRESS
    try:
        assert check("tls", f"https://127.0.0.1:{tls_server.port}").outcome == Outcome.OK
        assert check("http", f"https://127.0.0.1:{tls_server.port}/").outcome == Outcome.OK
    finally:
        tls_server.stop()

    assert tls_server.seen(2) == [REGION_ADDRESS, REGION_ADDRESS]


def test_dns_queries_leave_from_the_source_address(settings):
    server = DnsServer({"up.test": {"A": ["192.0.2.10"]}}).start()
    settings.UPTIME_SOURCE_ADDRESS = REGION_ADDRESS
    try:
        result = check("dns", "dns://up.test", dns_record_type="A", dns_expected=[],
                       dns_resolver=server.address)
    finally:
        server.stop()

    assert result.outcome == Outcome.OK
    assert server.clients == [REGION_ADDRESS]


def test_redis_checks_leave_from_the_source_address(settings, server):
    settings.UPTIME_SOURCE_ADDRESS = REGION_ADDRESS

    # Not a Redis (it answers HTTP to PING): where the connection came from is what counts.
    check("redis", f"redis://127.0.0.1:{server.port}/0")

    assert server.seen(1) == [REGION_ADDRESS]


def test_an_address_that_is_not_an_ip_stops_start_up(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={"DJANGO_SETTINGS_MODULE": "config.settings.local", "PATH": "/usr/bin:/bin",
             "UPTIME_SOURCE_ADDRESS": "eu-west", "UPTIME_VAR_DIR": str(tmp_path)},
        capture_output=True, text=True, cwd=Path(__file__).parents[2],
    )
    assert result.returncode != 0
    assert "UPTIME_SOURCE_ADDRESS: 'eu-west' is not an IP address" in result.stderr
