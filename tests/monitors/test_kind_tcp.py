"""Kind `tcp`: real listeners on loopback, accepting, refusing and too busy to answer."""

import socket
import threading
import time

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from monitors.checking import run_check
from monitors.kinds.tcp import TcpExecutor
from monitors.models import CheckResult, Monitor
from monitors.outcomes import CheckSpec, Outcome


class Listener:
    """A TCP listener on 127.0.0.1 that accepts every connection and closes it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"tcp://{host}:{self.port}"

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            connection.close()

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.stop()


@pytest.fixture
def closed_port() -> int:
    # Bound then closed: nothing listens there, so the kernel answers a connect with RST.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def full_backlog():
    """A listener that never accepts, whose backlog is already full: Linux drops further SYNs,
    so a connect gets no answer at all, as from a firewalled port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(0)
    port = sock.getsockname()[1]
    fillers = []
    for _ in range(8):
        filler = socket.socket()
        filler.settimeout(0.3)
        fillers.append(filler)
        try:
            filler.connect(("127.0.0.1", port))
        except TimeoutError:
            break
    else:
        pytest.fail("the backlog never filled up")
    yield port
    for filler in fillers:
        filler.close()
    sock.close()


def executor(**kwargs) -> TcpExecutor:
    return TcpExecutor(**{"allow_private": True, **kwargs})


def test_an_accepting_port_is_ok_timed_by_the_connect(listener):
    result = executor().run(CheckSpec(kind="tcp", url=listener.url(), timeout_seconds=2))

    assert result.outcome == Outcome.OK
    assert result.message == f"connected to 127.0.0.1:{listener.port}"
    assert result.response_ms is not None and 0 <= result.response_ms < 1000
    deadline = time.monotonic() + 2
    while listener.accepted == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert listener.accepted == 1


def test_a_host_name_is_resolved(listener):
    result = executor().run(CheckSpec(kind="tcp", url=listener.url("localhost")))

    assert result.outcome == Outcome.OK


def test_a_closed_port_is_connection_refused(closed_port):
    result = executor().run(CheckSpec(kind="tcp", url=f"tcp://127.0.0.1:{closed_port}"))

    assert result.outcome == Outcome.CONNECTION_REFUSED
    assert result.message == f"connection refused by 127.0.0.1:{closed_port}"


def test_a_port_that_never_answers_times_out_at_the_deadline(full_backlog):
    started = time.monotonic()
    result = executor().run(
        CheckSpec(kind="tcp", url=f"tcp://127.0.0.1:{full_backlog}", timeout_seconds=1)
    )
    seconds = time.monotonic() - started

    assert result.outcome == Outcome.TIMEOUT
    assert result.message == f"connecting to 127.0.0.1:{full_backlog} timed out after 1.0 s"
    assert 0.9 < seconds < 1.5


def test_an_unresolvable_host_is_a_dns_failure():
    # The .invalid top-level domain is reserved never to resolve (RFC 2606).
    result = executor().run(CheckSpec(kind="tcp", url="tcp://uptime-check.invalid:5432"))

    assert result.outcome == Outcome.DNS_FAILURE
    assert result.message == "could not resolve uptime-check.invalid"


def test_a_private_address_is_blocked_before_any_packet_is_sent(listener):
    result = executor(allow_private=False).run(CheckSpec(kind="tcp", url=listener.url()))

    assert result.outcome == Outcome.BLOCKED_ADDRESS
    assert result.message.startswith("127.0.0.1 is not a public address")
    time.sleep(0.2)
    assert listener.accepted == 0


def test_a_name_resolving_to_a_private_address_is_blocked(listener):
    result = executor(allow_private=False).run(
        CheckSpec(kind="tcp", url=listener.url("localhost"))
    )

    assert result.outcome == Outcome.BLOCKED_ADDRESS
    assert result.message.startswith("localhost: ")


def test_one_allowed_address_lets_that_address_through_only(listener):
    allowing = executor(allow_private=False, allowed_addresses=frozenset({"127.0.0.1"}))

    assert allowing.run(CheckSpec(kind="tcp", url=listener.url())).outcome == Outcome.OK
    assert (
        allowing.run(CheckSpec(kind="tcp", url=f"tcp://127.0.0.2:{listener.port}")).outcome
        == Outcome.BLOCKED_ADDRESS
    )


# --- through the API and the check pipeline ------------------------------------------------


@pytest.fixture
def as_alice(alice):
    client = APIClient()
    _, token = AuthToken.objects.create(user=alice)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def create(client, **fields):
    return client.post(
        "/api/v1/monitors/",
        {"name": "Queue port", "interval_seconds": 60, "timeout_seconds": 2, **fields},
        format="json",
    )


@pytest.mark.django_db
def test_a_tcp_monitor_made_through_the_api_is_checked(
    as_alice, listener, closed_port, without_first_checks
):
    response = create(as_alice, kind="tcp", url=listener.url())
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "tcp"
    monitor_id = response.json()["id"]

    up = run_check(monitor_id, scheduled=False)
    assert up.outcome == Outcome.OK
    assert Monitor.objects.get(pk=monitor_id).status == Monitor.Status.UP
    # A kind with no status code still has a response time when it succeeds (the connect's).
    assert up.response_ms is not None
    assert Monitor.objects.get(pk=monitor_id).last_response_ms == up.response_ms

    patched = as_alice.patch(
        f"/api/v1/monitors/{monitor_id}/", {"url": f"tcp://127.0.0.1:{closed_port}"},
        format="json",
    )
    assert patched.status_code == 200, patched.content
    down = run_check(monitor_id, scheduled=False)
    assert down.outcome == Outcome.CONNECTION_REFUSED
    assert down.error == f"connection refused by 127.0.0.1:{closed_port}"
    assert down.response_ms is None
    assert list(
        CheckResult.objects.filter(monitor_id=monitor_id).order_by("id")
        .values_list("outcome", flat=True)
    ) == ["ok", "connection_refused"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "url", "message"),
    [
        ("tcp", "http://example.com:80", "Enter a target like tcp://host:port (got http://)."),
        ("tcp", "example.com:80", "Enter a target like tcp://host:port"),
        ("tcp", "tcp://example.com", "The target has no port: enter it like tcp://host:port."),
        ("tcp", "tcp://:5432", "The target has no host: enter it like tcp://host:port."),
        ("tcp", "tcp://example.com:0", "The port must be between 1 and 65535."),
        ("tcp", "tcp://example.com:70000",
         "Enter a target like tcp://host:port, with a port between 1 and 65535."),
        ("tcp", "tcp://example.com:abc",
         "Enter a target like tcp://host:port, with a port between 1 and 65535."),
        ("tcp", "tcp://example.com:5432/db", "without a user, path or query"),
        ("tcp", "tcp://exa mple.com:5432", "has no valid host name"),
        ("tls", "http://example.com", "Enter a target like https://host[:port] (got http://)."),
        ("tls", "https://example.com/health", "without a user, path or query"),
        ("tls", "https://example.com:99999", "with a port between 1 and 65535"),
        ("tls", "https://", "The target has no host"),
    ],
)
def test_a_bad_target_for_the_kind_is_a_400_on_url(as_alice, kind, url, message):
    response = create(as_alice, kind=kind, url=url)

    assert response.status_code == 400, response.content
    assert set(response.json()) == {"url"}
    assert message in " ".join(response.json()["url"])
    assert not Monitor.objects.exists()


@pytest.mark.django_db
def test_an_http_url_is_still_right_for_an_http_monitor_but_not_for_tcp(as_alice):
    assert create(as_alice, url="https://example.com/health").status_code == 201
    assert create(as_alice, kind="tcp", url="https://example.com/health").status_code == 400
