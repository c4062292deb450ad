"""Case 3: Redis restarts in the middle of an outage. Redis here keeps nothing on disk, so
every queued message is lost with it: what must survive is what the database owns (results,
the incident, the outbox's deliveries), and the processes must come back by themselves."""

import time

import pytest
import redis
from django.utils import timezone
from kombu import Queue
from kombu.exceptions import OperationalError
from playwright.sync_api import expect

from config.celery_app import app
from config.settings.base import channel_layers
from incidents.models import Incident
from monitors.checking import run_check
from monitors.models import CheckResult
from notifications.models import Delivery
from tests.factories import MonitorFactory, NotificationChannelFactory
from tests.support.freezing_relay import FreezingRelay
from tests.support.pipeline import Pipeline
from tests.support.switchable import PasswordRedis
from tests.support.webserver import WebServer, child_env, collect_static
from tests.uptime.browser import chromium, log_in, outside_the_browser_loop, wait_for_live

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

RECOVERY_LIMIT = 30
OUTAGE_SECONDS = 10
# Longer than the broker connections' read timeout and health check (config/settings/base.py).
FREEZE_SECONDS = 15
# A delivery whose publish failed is pending; the sweep runs every 30 s and takes rows pending
# for over 60 s.
OUTBOX_SWEEP_LIMIT = 60 + 30 + 15


@pytest.fixture
def broker(tmp_path):
    """A redis-server of the test's own, which it stops and starts; stopped at the end."""
    server = PasswordRedis("restart-me", tmp_path).bring_up()
    yield server
    server.take_down()


def redis_url(server: PasswordRedis, port: int | None = None) -> str:
    return f"redis://:{server.password}@127.0.0.1:{port or server.port}/0"


def test_a_redis_restart_during_an_outage_loses_nothing_the_database_owns(
    tmp_path, settings, broker, target, receiver, fault_report
):
    settings.UPTIME_MIN_INTERVAL_SECONDS = 1
    # Each failing check hangs for its whole 3 s timeout, so the test can take Redis away
    # while one is in flight: the incident it opens is committed with Redis gone, and so is
    # the outbox row of its notification, whose publish fails.
    monitor = MonitorFactory(url=target.url("/health"), interval_seconds=4, timeout_seconds=3,
                             failure_threshold=1)
    NotificationChannelFactory(owner=monitor.owner, config={"url": receiver.url})
    target.slow_seconds = 10

    def results():
        return CheckResult.objects.filter(monitor=monitor)

    def in_flight():
        return results().exists() and type(monitor).objects.filter(
            pk=monitor.pk, check_lease_until__isnull=False).exists()

    with Pipeline(tmp_path, UPTIME_MIN_INTERVAL_SECONDS="1",
                  REDIS_URL=redis_url(broker),
                  CELERY_BROKER_URL="") as pipeline:
        pipeline.wait_for(lambda: results().filter(outcome="ok").exists(), timeout=60,
                          what="the first good check")
        target.mode = "slow"
        pipeline.wait_for(in_flight, timeout=20, what="a check hanging on the target")
        broker.take_down()
        down_at = time.monotonic()
        pipeline.wait_for(lambda: Incident.objects.filter(monitor=monitor).exists(),
                          timeout=20, what="the incident, opened while Redis is down")
        # Long enough for beat's publish retries to give up and for the worker's
        # reconnection attempts to back off, as in a real restart.
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))
        broker.bring_up()
        back_at, back_at_clock = time.monotonic(), timezone.now()
        # A check that starts after the restart: beat dispatched it, the worker took it.
        first_after = pipeline.wait_for(
            lambda: results().filter(checked_at__gte=back_at_clock).last(),
            timeout=RECOVERY_LIMIT + 30, what="a check started after the restart")
        recovered_in = (first_after.checked_at - back_at_clock).total_seconds()
        # The incident.opened delivery was committed while Redis was down: the outbox's
        # sweep (every 30 s, for rows pending over 60 s) publishes it.
        pipeline.wait_for(lambda: receiver.events() == ["incident.opened"],
                          timeout=OUTBOX_SWEEP_LIMIT, what="the incident.opened webhook")
        webhook_in = time.monotonic() - back_at
        target.mode = "up"
        pipeline.wait_for(
            lambda: receiver.events() == ["incident.opened", "incident.resolved"],
            timeout=30, what="the incident.resolved webhook")
        time.sleep(3)
        worker_log = (tmp_path / "worker.log").read_text()
        still_running = [process.poll() is None
                         for process in pipeline.workers + pipeline.beats]

    incidents = Incident.objects.filter(monitor=monitor)
    deliveries = Delivery.objects.filter(incident__monitor=monitor)
    fault_report(
        "3 Redis restarts during an outage",
        f"1 incident, 1 webhook per event; checks back < {RECOVERY_LIMIT} s",
        f"{incidents.count()} incident, webhooks {receiver.events()}; "
        f"checks back in {recovered_in:.1f} s, incident.opened sent {webhook_in:.0f} s "
        f"after Redis returned (outbox sweep)",
    )
    assert all(still_running), f"a process died:\n{worker_log[-3000:]}"
    assert incidents.count() == 1
    assert sorted(deliveries.values_list("event", "status")) == [
        ("incident.opened", "delivered"), ("incident.resolved", "delivered")]
    assert recovered_in < RECOVERY_LIMIT
    # A live event that could not be published while Redis was down is one line, with no
    # traceback after it.
    lines = worker_log.splitlines()
    failed_publishes = [number for number, line in enumerate(lines)
                        if "could not publish live event" in line]
    assert failed_publishes
    assert not [number for number in failed_publishes
                if number + 1 < len(lines) and lines[number + 1].startswith("Traceback")]


def test_a_dashboard_resyncs_after_a_redis_restart(tmp_path, settings, broker, alice, target,
                                                   fault_report):
    url = redis_url(broker)
    # The checks below run in this process: they publish to the Redis the server listens on.
    settings.CHANNEL_LAYERS = channel_layers(url)
    monitor = MonitorFactory(owner=alice, name="Checkout API", url=target.url("/health"),
                             failure_threshold=1)
    run_check(monitor.pk, scheduled=False)
    collect_static(tmp_path / "static")
    server = WebServer(env=child_env(STATIC_ROOT=str(tmp_path / "static"), REDIS_URL=url),
                       log_path=tmp_path / "daphne.log").start()
    try:
        with chromium() as page:
            log_in(page, server.url("/"), "alice")
            status = page.locator(f'[data-monitor-row="{monitor.pk}"] [data-field="status"]')
            expect(status).to_have_attribute("data-status", "up")
            wait_for_live(page)
            live_state = page.locator("html")

            broker.take_down()
            # The socket's group subscription died with Redis: the socket must not stay open
            # looking healthy while it can never hear another event.
            expect(live_state).to_have_attribute("data-live", "reconnecting", timeout=10_000)
            target.take_down()
            outside_the_browser_loop(run_check, monitor.pk, scheduled=False)  # lost: logged
            time.sleep(2)
            broker.bring_up()
            back_at = time.monotonic()
            # The fresh snapshot of the reconnected socket shows what happened meanwhile.
            expect(status).to_have_attribute("data-status", "down",
                                             timeout=RECOVERY_LIMIT * 1000)
            resynced_in = time.monotonic() - back_at
            expect(live_state).to_have_attribute("data-live", "connected")
            # And the new subscription hears the next event.
            target.bring_up()
            outside_the_browser_loop(run_check, monitor.pk, scheduled=False)
            expect(status).to_have_attribute("data-status", "up", timeout=10_000)
            assert page.evaluate("window.notReloaded") is True
    finally:
        server.stop()

    fault_report(
        "3 Redis restarts under a live dashboard",
        f"socket drops, fresh snapshot < {RECOVERY_LIMIT} s, events after it",
        f"resynced {resynced_in:.1f} s after Redis returned",
    )
    assert resynced_in < RECOVERY_LIMIT


def test_a_producer_whose_channel_died_with_redis_publishes_again(broker):
    """Beat's producer. A publish that gives up while Redis is down has kombu close the
    producer's channel; the next batch of publishes must reconnect once Redis is back, where
    kombu 5.7 raised "'NoneType' object has no attribute 'client'" for ever."""
    client = redis.Redis(port=broker.port, password=broker.password)
    retry_policy = {"max_retries": 1, "interval_start": 0}
    try:
        with app.connection_for_write(redis_url(broker)) as connection:
            producer = connection.Producer(auto_declare=False)
            producer.publish({"before": True}, routing_key="checks",
                             declare=[Queue("checks", routing_key="checks")])
            broker.take_down()
            with pytest.raises(OperationalError):
                producer.publish({"during": True}, routing_key="checks", retry=True,
                                 retry_policy=retry_policy)
            broker.bring_up()

            with producer.batch():
                producer.publish({"after": True}, routing_key="checks", retry=True,
                                 retry_policy=retry_policy)

            assert client.llen("checks") == 1  # this Redis kept nothing from before
    finally:
        client.close()


def test_a_redis_that_vanishes_without_closing_its_connections_is_left_behind(
    tmp_path, settings, broker, target, fault_report
):
    """A failover or a dead host: the connections workers and beat hold get no answer and no
    FIN. Only their read timeout and health checks can tell, and must, or they wait for ever."""
    settings.UPTIME_MIN_INTERVAL_SECONDS = 1
    monitor = MonitorFactory(url=target.url("/health"), interval_seconds=2, timeout_seconds=1)
    results = CheckResult.objects.filter(monitor=monitor)
    relay = FreezingRelay(broker.port).bring_up()
    try:
        with Pipeline(tmp_path, UPTIME_MIN_INTERVAL_SECONDS="1",
                      REDIS_URL=redis_url(broker, relay.port),
                      CELERY_BROKER_URL="") as pipeline:
            pipeline.wait_for(results.exists, timeout=60, what="the first check")
            relay.freeze()
            time.sleep(FREEZE_SECONDS)
            relay.thaw()
            back_at_clock = timezone.now()
            first_after = pipeline.wait_for(
                lambda: results.filter(checked_at__gte=back_at_clock).last(),
                timeout=RECOVERY_LIMIT + 30, what="a check started after Redis answered again")
            recovered_in = (first_after.checked_at - back_at_clock).total_seconds()
    finally:
        relay.take_down()

    fault_report(
        "3 Redis vanishes: no answer, no FIN",
        f"checks back < {RECOVERY_LIMIT} s after it answers",
        f"checks back {recovered_in:.1f} s after a {FREEZE_SECONDS} s silence",
    )
    assert recovered_in < RECOVERY_LIMIT
