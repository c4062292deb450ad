"""Case 11: nothing lost, end to end. 50 monitors follow a scripted schedule of up and down
phases (fixed seed) while the worker is SIGKILLed and replaced, and Redis (the channel layer,
and the broker unless it is RabbitMQ) is restarted, at scripted moments; on each broker. At the
end SQL compares what was stored with the script:

* incidents equal the qualifying down phases (long enough for failure_threshold checks), per
  monitor, each opened inside its phase;
* every incident has exactly one delivery per channel and event, ending delivered or failed,
  and the receiver accepted exactly one request per idempotency key;
* no result is duplicated (one per task id, none two within half an interval).
"""

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db.models import Count

from incidents.models import Incident
from monitors.models import CheckResult, MonitoringGap
from notifications.delivery import ATTEMPT_LEASE_SECONDS
from notifications.models import Delivery
from tests.factories import MonitorFactory, NotificationChannelFactory, UserFactory
from tests.support.pipeline import Pipeline
from tests.support.rabbitmq import rabbitmq_vhost
from tests.support.switchable import PasswordRedis

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

SEED = 20261127
MONITORS = 50
SCRIPT_SECONDS = 60
# Down phases are either blips (at most one check can land in one: no incident with a threshold
# of 2) or outages long enough for two failures even across a worker restart. Checks of a 1 s
# monitor are 1 s apart when on time, but a check that ran late (queued behind a worker's
# restart) may be followed by the next on-time one half an interval later: the claim lets a
# scheduled check through from half an interval on (Monitor.claim_check). So a blip is shorter
# than half a second, with a margin for the jitter between a check's claim and its request.
BLIP = (0.2, 0.4)
OUTAGE = (12.0, 16.0)
UP = (8.0, 12.0)
KILLS_AT = (14.0, 31.0, 47.0)
REDIS_RESTARTS_AT = (22.0, 39.0)
REDIS_DOWN_SECONDS = 3.0


@dataclass(frozen=True)
class Phase:
    start: float
    end: float
    up: bool

    @property
    def is_outage(self) -> bool:
        return not self.up and self.end - self.start >= OUTAGE[0]


def script(rng: random.Random) -> list[Phase]:
    """Up first and last, outages and blips between, over SCRIPT_SECONDS."""
    phases, at = [], 0.0
    while at < SCRIPT_SECONDS:
        up_for = rng.uniform(*UP)
        phases.append(Phase(at, at + up_for, True))
        at += up_for
        if at >= SCRIPT_SECONDS:
            break
        down_for = rng.uniform(*(OUTAGE if rng.random() < 0.5 else BLIP))
        phases.append(Phase(at, at + down_for, False))
        at += down_for
    # Up long enough at the end for every outage to resolve and be announced.
    phases.append(Phase(at, float("inf"), True))
    return phases


class ScriptedTarget:
    """GET /<n> answers 200 or 503 by monitor n's script, on the clock started by start()."""

    def __init__(self, scripts: list[list[Phase]]) -> None:
        self.scripts = scripts
        self.started = None
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                up = target.is_up(int(self.path.strip("/")))
                body = b"ok" if up else b"down"
                self.send_response(200 if up else 503)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{n}"

    def start(self) -> None:
        self.started = time.time()

    def is_up(self, n: int) -> bool:
        if self.started is None:
            return True
        elapsed = time.time() - self.started
        return next(phase.up for phase in self.scripts[n] if phase.start <= elapsed < phase.end)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request, tmp_path):
    """(broker URL for the processes, the Redis they share, a label). Redis here keeps nothing
    on disk: a restart loses every message queued in it."""
    redis_server = PasswordRedis("nothing-lost", tmp_path).bring_up()
    try:
        if request.param == "redis":
            yield "", redis_server, "Redis broker"
        else:
            with rabbitmq_vhost() as url:
                yield url, redis_server, "RabbitMQ broker"
    finally:
        redis_server.take_down()


def test_nothing_is_lost_while_workers_are_killed(tmp_path, settings, receiver, broker,
                                                  fault_report):
    broker_url, redis_server, broker_label = broker
    settings.UPTIME_MIN_INTERVAL_SECONDS = 1
    rng = random.Random(SEED)
    scripts = [script(rng) for _ in range(MONITORS)]
    target = ScriptedTarget(scripts)
    owner = UserFactory()
    NotificationChannelFactory(owner=owner, config={"url": receiver.url})
    monitors = [
        MonitorFactory(owner=owner, name=f"scripted {n}", url=target.url(n), interval_seconds=1,
                       timeout_seconds=1, failure_threshold=2)
        for n in range(MONITORS)
    ]
    expected = {monitor.pk: sum(p.is_outage for p in scripts[n])
                for n, monitor in enumerate(monitors)}
    # Long enough for what the last Redis restart lost to come back: the outbox sweep (every
    # 30 s) takes deliveries pending for over 60 s. The loop ends as soon as all is settled.
    # And for a delivery whose worker was killed mid-attempt: its claim lapses after
    # ATTEMPT_LEASE_SECONDS, then the sweep publishes it again.
    settle = max(REDIS_RESTARTS_AT[-1] + REDIS_DOWN_SECONDS + 60 + 30,
                 KILLS_AT[-1] + ATTEMPT_LEASE_SECONDS + 30) + 15 - SCRIPT_SECONDS + 30

    try:
        with Pipeline(tmp_path, pool="threads", UPTIME_MIN_INTERVAL_SECONDS="1",
                      UPTIME_NOTIFICATION_BACKOFF_SECONDS="1", CELERY_BROKER_URL=broker_url,
                      REDIS_URL=f"redis://:nothing-lost@127.0.0.1:{redis_server.port}/0"
                      ) as pipeline:
            pipeline.wait_for(
                lambda: CheckResult.objects.values("monitor").distinct().count() == MONITORS,
                timeout=60, what="a first check of every monitor")
            target.start()
            kills, restarts = list(KILLS_AT), list(REDIS_RESTARTS_AT)
            redis_back_at = None
            while (elapsed := time.time() - target.started) < SCRIPT_SECONDS + settle:
                if kills and elapsed >= kills[0]:
                    kills.pop(0)
                    pipeline.kill(pipeline.workers[-1])
                    pipeline.start_worker()
                if restarts and elapsed >= restarts[0]:
                    restarts.pop(0)
                    redis_server.take_down()
                    redis_back_at = elapsed + REDIS_DOWN_SECONDS
                if redis_back_at is not None and elapsed >= redis_back_at:
                    redis_server.bring_up()
                    redis_back_at = None
                time.sleep(0.2)
                if elapsed > SCRIPT_SECONDS + OUTAGE[1] and _settled(expected):
                    break
            logs = pipeline.logs()
    finally:
        target.stop()

    found = dict(Incident.objects.filter(monitor__in=monitors).values_list("monitor")
                 .annotate(n=Count("id")))
    wrong = {pk: (found.get(pk, 0), n) for pk, n in expected.items() if found.get(pk, 0) != n}
    # A check that died with its worker and is not run again keeps its monitor unchecked for
    # its lease (timeout + 50 s): on Redis always (the message comes back after the visibility
    # timeout), on RabbitMQ when no worker takes the redelivery within the check's 1 s
    # interval (RabbitMQ drops it at its TTL; the next worker takes seconds to start). Phases
    # inside that hole go unseen, and failures on either side of it are consecutive results.
    # That is the documented cost (README, Failure behaviour), and it must show as a recorded
    # monitoring gap long enough to swallow a phase, never as silence: only such monitors may
    # differ from the script.
    long_gaps = [gap for gap in MonitoringGap.objects.filter(monitor__in=monitors)
                 if gap.ended_at and gap.duration.total_seconds() >= UP[0]]
    blind = {gap.monitor_id for gap in long_gaps} & set(wrong)
    # At most the checks in flight when the worker (2 threads) was killed.
    assert len(blind) <= 2 * len(KILLS_AT), blind
    unexplained = {pk: counts for pk, counts in wrong.items() if pk not in blind}
    deliveries = Delivery.objects.filter(incident__monitor__in=monitors)
    per_incident_event = Counter(deliveries.values_list("incident_id", "event"))
    unfinished = deliveries.exclude(status__in=["delivered", "failed"]).count()
    accepted = Counter(
        {name.lower(): value for name, value in request.headers.items()}["idempotency-key"]
        for request in receiver.requests if request.status == 200)
    duplicates = _duplicated_results(monitors, since=target.started)
    fault_report(
        f"11 {MONITORS} scripted monitors, worker SIGKILLed {len(KILLS_AT)}x, "
        f"Redis restarted {len(REDIS_RESTARTS_AT)}x ({broker_label})",
        "incidents = outages; 1 delivery per incident+event; no duplicate result",
        f"{sum(found.values())}/{sum(expected.values())} incidents"
        f"{f' ({len(blind)} monitors blind behind a dead check, gaps flagged)' if blind else ''}, "
        f"{deliveries.count()} deliveries ({unfinished} unfinished), "
        f"{len(duplicates)} duplicated results",
    )
    assert not unexplained, (f"monitor: (incidents, outages scripted) {unexplained}\n"
                             f"{_timelines(unexplained, monitors, scripts, target.started)}\n"
                             f"{logs}")
    assert set(per_incident_event.values()) == {1}
    assert len(per_incident_event) == 2 * sum(found.values())
    assert unfinished == 0
    assert set(accepted.values()) == {1} and len(accepted) == deliveries.count()
    assert not duplicates
    for incident in Incident.objects.filter(monitor__in=monitors).select_related("monitor"):
        n = monitors.index(incident.monitor)
        offset = incident.opened_at.timestamp() - target.started
        assert any(p.is_outage and p.start <= offset <= p.end + 2 for p in scripts[n]), (
            f"{incident.monitor.name}: incident opened at +{offset:.1f} s, outside an outage")


def _timelines(pks, monitors, scripts, started: float) -> str:
    """For a failure message: each wrong monitor's script, results and incidents, in seconds
    from the script's start."""
    lines = []
    for monitor in monitors:
        if monitor.pk not in pks:
            continue
        n = monitors.index(monitor)
        script = ", ".join(f"{'up' if p.up else 'DOWN'} {p.start:.1f}-{p.end:.1f}"
                           for p in scripts[n])
        results = " ".join(
            f"{at.timestamp() - started:.1f}{'+' if outcome == 'ok' else '-'}"
            for at, outcome in CheckResult.objects.filter(monitor=monitor)
            .order_by("checked_at").values_list("checked_at", "outcome"))
        incidents = ", ".join(
            f"{opened.timestamp() - started:.1f}-"
            f"{resolved.timestamp() - started if resolved else 'open'}"
            for opened, resolved in Incident.objects.filter(monitor=monitor)
            .order_by("opened_at").values_list("opened_at", "resolved_at"))
        lines.append(f"{monitor.name}: script {script}\n  results {results}\n"
                     f"  incidents {incidents}")
    return "\n".join(lines)


def _settled(expected: dict[int, int]) -> bool:
    """Every scripted outage has its incident, resolved, no incident is open and every delivery
    is done. A monitor blind behind a dead check (a recorded gap long enough to swallow a phase,
    which the assertions allow) may have fewer: waiting for it would only run out the clock."""
    if (Incident.objects.filter(resolved_at__isnull=True).exists()
            or Delivery.objects.exclude(status__in=["delivered", "failed"]).exists()):
        return False
    resolved = dict(Incident.objects.values_list("monitor").annotate(n=Count("id")))
    gaps = MonitoringGap.objects.filter(monitor__in=list(expected), ended_at__isnull=False)
    blind = {gap.monitor_id for gap in gaps if gap.duration.total_seconds() >= UP[0]}
    return all(resolved.get(pk, 0) == n or pk in blind for pk, n in expected.items())


def _duplicated_results(monitors, *, since: float) -> list[tuple]:
    """Results of one monitor less than half an interval apart: a slot checked twice. From the
    script's start: each monitor's first check (queued when it was created, outside the
    schedule) may land beside its first scheduled one."""
    duplicated = []
    start = datetime.fromtimestamp(since, tz=UTC)
    for monitor in monitors:
        times = list(CheckResult.objects.filter(monitor=monitor, checked_at__gte=start)
                     .order_by("checked_at")
                     .values_list("checked_at", flat=True))
        duplicated += [(monitor.pk, later) for earlier, later in zip(times, times[1:],
                                                                    strict=False)
                       if (later - earlier).total_seconds() < 0.5]
    return duplicated
