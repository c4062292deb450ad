"""One monitor of each kind through real beat and worker processes, all at once.

Every target is a real server on loopback that the test takes down and brings back: an HTTP
server, a TCP listener, a TLS server whose certificate turns expired, a DNS server whose name
turns NXDOMAIN, a relay in front of the machine's PostgreSQL, a redis-server with a password;
and a heartbeat whose job pings it over HTTP (a real web server), stops, and pings again.
For each monitor an incident must open and incident.opened reach the webhook receiver, then,
once its target is back, the incident must resolve and incident.resolved arrive.
"""

import datetime
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import trustme

from incidents.models import Incident
from monitors.models import CheckResult, Monitor
from tests.factories import MonitorFactory, NotificationChannelFactory, UserFactory
from tests.support.dns_server import DnsServer
from tests.support.heartbeat_job import HeartbeatJob
from tests.support.machine import needs_machine_postgres
from tests.support.pipeline import Pipeline
from tests.support.switchable import PasswordRedis, TcpListener, TcpRelay, TlsService
from tests.support.webserver import WebServer, child_env

# The postgres kind's target is a relay to the machine's PostgreSQL.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), needs_machine_postgres]

MACHINE_POSTGRES_PORT = 5432
REDIS_PASSWORD = "e2e-kinds-s3cret"
DNS_NAME = "service.e2e.test"
# The shortest checks the test settings allow; two failures in a row open an incident (one
# for the heartbeat, its default: a missed deadline is the news).
INTERVAL_SECONDS = 1
TIMEOUT_SECONDS = 1
FAILURE_THRESHOLD = 2
# A heartbeat is missed interval + grace after its last ping; its job pings well within that.
GRACE_SECONDS = 1
PING_EVERY_SECONDS = 0.5
# Generous for a loaded CI machine; a healthy run takes a few seconds per phase.
PHASE_TIMEOUT_SECONDS = 45
NOW = datetime.datetime.now(tz=datetime.UTC)


@dataclass
class KindTarget:
    """A monitor's fields, the real server behind them, and what taking it down looks like."""

    kind: str
    fields: dict
    take_down: Callable[[], None]
    bring_up: Callable[[], None]
    outcome_when_down: str
    # Anything the target itself knows about what went wrong, for a failure message.
    troubles: Callable[[], str] = lambda: ""
    monitor: Monitor | None = field(default=None, init=False)


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def http_kind(target) -> KindTarget:
    return KindTarget("http", {"url": target.url("/health")},
                      target.take_down, target.bring_up, "connection_refused")


@pytest.fixture
def tcp_kind() -> Iterator[KindTarget]:
    listener = TcpListener().bring_up()
    yield KindTarget("tcp", {"url": f"tcp://127.0.0.1:{listener.port}"},
                     listener.take_down, listener.bring_up, "connection_refused")
    listener.take_down()


@pytest.fixture
def tls_kind(ca) -> Iterator[KindTarget]:
    valid = ca.issue_cert("127.0.0.1", not_after=NOW + datetime.timedelta(days=90))
    expired = ca.issue_cert("127.0.0.1", not_before=NOW - datetime.timedelta(days=60),
                            not_after=NOW - datetime.timedelta(days=1))
    server = TlsService(valid).bring_up()

    def expire() -> None:
        server.certificate = expired

    def renew() -> None:
        server.certificate = valid

    yield KindTarget("tls", {"url": f"https://127.0.0.1:{server.port}"},
                     expire, renew, "tls_expired")
    server.take_down()


@pytest.fixture
def dns_kind() -> Iterator[KindTarget]:
    records = {"A": ["192.0.2.10"]}
    server = DnsServer({DNS_NAME: records}).start()

    def forget_the_name() -> None:
        server.zone.pop(DNS_NAME, None)

    def answer_again() -> None:
        server.zone[DNS_NAME] = records

    yield KindTarget("dns", {"url": f"dns://{DNS_NAME}", "dns_record_type": "A",
                             "dns_expected": ["192.0.2.10"], "dns_resolver": server.address},
                     forget_the_name, answer_again, "dns_failure")
    server.stop()


@pytest.fixture
def postgres_kind() -> Iterator[KindTarget]:
    # A relay, so the machine's PostgreSQL (which this run's database may live on) stays up.
    relay = TcpRelay(MACHINE_POSTGRES_PORT).bring_up()
    yield KindTarget("postgres", {"url": f"postgres://postgres@127.0.0.1:{relay.port}/postgres"},
                     relay.take_down, relay.bring_up, "connection_refused")
    relay.take_down()


@pytest.fixture
def redis_kind(tmp_path) -> Iterator[KindTarget]:
    server = PasswordRedis(REDIS_PASSWORD, tmp_path).bring_up()
    yield KindTarget("redis", {"url": f"redis://:{REDIS_PASSWORD}@127.0.0.1:{server.port}/0"},
                     server.take_down, server.bring_up, "connection_refused")
    server.take_down()


@pytest.fixture
def heartbeat_kind(tmp_path) -> Iterator[KindTarget]:
    # Pings go to a real web server, over HTTP, as a cron job's curl would send them; its rate
    # limit is raised for a job that runs twice a second.
    web = WebServer(env=child_env(UPTIME_PING_RATE="600/minute"),
                    log_path=tmp_path / "web.log").start()
    token = uuid.uuid4()
    job = HeartbeatJob(web.url(f"/ping/{token}"), every=PING_EVERY_SECONDS)

    def troubles() -> str:
        return f"{job.pings_answered} pings answered; failed: {job.failures[-3:]}"

    yield KindTarget("heartbeat", {"ping_token": token, "grace_seconds": GRACE_SECONDS,
                                   "failure_threshold": 1},
                     job.stop_pinging, job.resume_pinging, "missed_heartbeat", troubles)
    job.close()
    web.stop()


@pytest.fixture
def kind_targets(http_kind, tcp_kind, tls_kind, dns_kind, postgres_kind, redis_kind,
                 heartbeat_kind) -> list[KindTarget]:
    return [http_kind, tcp_kind, tls_kind, dns_kind, postgres_kind, redis_kind, heartbeat_kind]


@pytest.fixture
def pipeline(tmp_path, ca) -> Iterator[Pipeline]:
    # The tls monitor's server has a certificate of the test's own CA, which the worker
    # trusts as a team trusts its internal CA: UPTIME_TLS_CA_FILE.
    ca_file = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with Pipeline(tmp_path, UPTIME_MIN_INTERVAL_SECONDS="1",
                  UPTIME_TLS_CA_FILE=str(ca_file)) as pipeline:
        yield pipeline


def webhook_events(receiver, monitor: Monitor) -> list[str]:
    return [payload["event"] for payload in list(receiver.received)
            if payload.get("monitor", {}).get("id") == monitor.pk]


def describe(targets: list[KindTarget], receiver) -> str:
    """Where each monitor stands, for a failure message: status, last check, webhooks."""
    lines = []
    for target in targets:
        monitor = Monitor.objects.get(pk=target.monitor.pk)
        last = CheckResult.objects.filter(monitor=monitor).order_by("-checked_at").first()
        seen = f"{last.outcome}: {last.error}" if last else "no check yet"
        lines.append(f"  {target.kind:9} {monitor.status:8} last check {seen!r}; "
                     f"webhooks {webhook_events(receiver, monitor)} {target.troubles()}")
    return "\n".join(lines)


def wait_for_every_kind(pipeline, targets, receiver, *, what: str,
                        done: Callable[[KindTarget], bool]) -> None:
    def all_done() -> bool:
        return all(done(target) for target in targets)

    started = time.monotonic()
    deadline = started + PHASE_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if all_done():
            return
        time.sleep(0.25)
    waiting = [target.kind for target in targets if not done(target)]
    pytest.fail(
        f"timed out after {PHASE_TIMEOUT_SECONDS}s waiting for {what} of {', '.join(waiting)}\n"
        f"{describe(targets, receiver)}\n{pipeline.logs()}"
    )


def test_each_kind_opens_an_incident_when_its_target_goes_down_and_resolves_it_when_back(
    kind_targets, receiver, settings, pipeline
):
    settings.UPTIME_MIN_INTERVAL_SECONDS = INTERVAL_SECONDS
    owner = UserFactory()
    NotificationChannelFactory(owner=owner, config={"url": receiver.url})
    for target in kind_targets:
        target.monitor = MonitorFactory(**{
            "owner": owner, "name": f"e2e {target.kind}", "kind": target.kind,
            "interval_seconds": INTERVAL_SECONDS, "timeout_seconds": TIMEOUT_SECONDS,
            "failure_threshold": FAILURE_THRESHOLD, **target.fields,
        })
        # Every target is up from the start; for a heartbeat, its job begins to ping.
        target.bring_up()

    def status(target: KindTarget) -> str:
        return Monitor.objects.get(pk=target.monitor.pk).status

    wait_for_every_kind(pipeline, kind_targets, receiver, what="a first good check",
                        done=lambda target: status(target) == "up")

    for target in kind_targets:
        target.take_down()
    wait_for_every_kind(pipeline, kind_targets, receiver, what="incident.opened",
                        done=lambda target: "incident.opened" in webhook_events(
                            receiver, target.monitor))
    for target in kind_targets:
        incident = Incident.objects.get(monitor=target.monitor)
        assert incident.resolved_at is None, target.kind
        assert incident.opening_check.outcome == target.outcome_when_down, (
            target.kind, incident.cause)
        assert status(target) == "down", target.kind

    for target in kind_targets:
        target.bring_up()
    wait_for_every_kind(pipeline, kind_targets, receiver, what="incident.resolved",
                        done=lambda target: "incident.resolved" in webhook_events(
                            receiver, target.monitor))

    for target in kind_targets:
        incident = Incident.objects.get(monitor=target.monitor)
        assert incident.resolved_at is not None, target.kind
        assert [event.kind for event in incident.events.all()] == ["opened", "resolved"], (
            target.kind)
        assert webhook_events(receiver, target.monitor) == [
            "incident.opened", "incident.resolved"
        ], target.kind
        assert status(target) == "up", target.kind
    # A URL's password is write-only: no notification may carry it.
    leaking = [request.body.decode() for request in receiver.requests
               if REDIS_PASSWORD.encode() in request.body]
    assert not leaking, f"a webhook carried the redis monitor's password: {leaking}"
