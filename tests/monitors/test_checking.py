import base64
import json
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry

from config.celery_app import app
from incidents.models import Incident
from monitors.checking import record_result, run_check
from monitors.models import CheckResult, Monitor
from monitors.outcomes import Outcome, ProbeResult
from monitors.tasks import check_now
from tests.factories import IncidentFactory, MonitorFactory
from tests.support.stalling import SilentServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitor(target):
    return MonitorFactory(url=target.url("/health"), timeout_seconds=2, failure_threshold=2)


def test_a_good_check_is_recorded_and_marks_the_monitor_up(monitor):
    result = run_check(monitor.pk)

    assert result.outcome == "ok" and result.status_code == 200
    assert result.region == "default"
    monitor.refresh_from_db()
    assert monitor.status == Monitor.Status.UP
    assert monitor.last_checked_at == result.checked_at
    assert monitor.last_response_ms == result.response_ms
    assert monitor.check_lease_until is None


def test_a_target_going_down_opens_an_incident_after_the_threshold(monitor, target):
    run_check(monitor.pk, scheduled=False)
    target.take_down()
    first = run_check(monitor.pk, scheduled=False)
    assert first.outcome == "connection_refused"
    assert not Incident.objects.exists()

    run_check(monitor.pk, scheduled=False)

    incident = Incident.objects.get()
    assert "refused" in incident.cause
    target.bring_up()
    run_check(monitor.pk, scheduled=False)
    incident.refresh_from_db()
    assert incident.resolved_at is not None


def test_a_paused_or_deleted_monitor_is_not_checked(monitor, target):
    monitor.pause()
    assert run_check(monitor.pk) is None
    monitor.delete()
    assert run_check(monitor.pk) is None
    assert target.requests_seen == []


def test_a_check_in_flight_makes_a_second_delivery_step_aside(monitor, target):
    assert monitor.claim_check(scheduled=False)
    assert run_check(monitor.pk, scheduled=False) is None
    assert target.requests_seen == []


def test_a_duplicate_tick_right_after_a_check_steps_aside(monitor):
    assert run_check(monitor.pk) is not None
    assert run_check(monitor.pk) is None  # the same tick, delivered again
    assert run_check(monitor.pk, scheduled=False) is not None  # "check now" still runs
    assert CheckResult.objects.count() == 2


def test_a_redelivered_message_is_not_checked_again(monitor, target):
    run_check(monitor.pk, task_id="message-1", scheduled=False)
    assert run_check(monitor.pk, task_id="message-1", scheduled=False) is None
    assert len(target.requests_seen) == 1


def test_the_claim_holds_the_monitors_own_lease_and_loads_what_the_check_needs(monitor):
    claimed = Monitor.from_db("default", ["id"], [monitor.pk])
    before = timezone.now()

    assert claimed.claim_check(scheduled=True)

    lease = timedelta(seconds=monitor.limits.claim_lease)
    assert before + lease - timedelta(seconds=1) < claimed.check_lease_until
    assert claimed.check_lease_until < timezone.now() + lease + timedelta(seconds=1)
    monitor.refresh_from_db()
    assert monitor.check_lease_until == claimed.check_lease_until
    assert claimed.check_spec() == monitor.check_spec()
    assert (claimed.owner_id, claimed.name, claimed.status) == (
        monitor.owner_id, monitor.name, monitor.status
    )
    assert claimed.has_open_incident is False


def test_an_expired_lease_can_be_claimed_again(monitor):
    Monitor.objects.filter(pk=monitor.pk).update(
        check_lease_until=timezone.now() - timedelta(seconds=1)
    )

    assert monitor.claim_check(scheduled=False)


@pytest.mark.parametrize(("ago", "claimed"), [(0.4, False), (0.6, True)])
def test_a_scheduled_check_steps_aside_within_half_an_interval_of_the_last(monitor, ago, claimed):
    Monitor.objects.filter(pk=monitor.pk).update(
        last_checked_at=timezone.now() - timedelta(seconds=monitor.interval_seconds * ago)
    )

    assert monitor.claim_check(scheduled=True) is claimed
    # "Check now" ignores the last check but not a lease the scheduled claim just took.
    assert monitor.claim_check(scheduled=False) is not claimed


def test_a_check_that_waited_out_its_timeout_does_not_crowd_out_the_next_slot():
    # Timeout at half the interval, target hanging: the check ends at the middle of the
    # interval. The next scheduled check, one interval after it started, must still run.
    server = SilentServer().start()
    try:
        hanging = MonitorFactory(url=server.url(), interval_seconds=2, timeout_seconds=1)
        started = time.monotonic()
        first = run_check(hanging.pk)
        time.sleep(max(0.0, started + 2 - time.monotonic()))

        second = run_check(hanging.pk)
    finally:
        server.stop()

    assert first.outcome == second.outcome == Outcome.TIMEOUT
    assert second.checked_at - first.checked_at >= timedelta(seconds=2)


def test_a_success_resolves_an_incident_even_under_a_stale_up_status(monitor):
    # An edit saved from a stale form can write status "up" and no failures over an outage;
    # the claim itself sees the open incident, so the next success still resolves it.
    incident = IncidentFactory(monitor=monitor)
    Monitor.objects.filter(pk=monitor.pk).update(status="up", consecutive_failures=0)

    run_check(monitor.pk, scheduled=False)

    incident.refresh_from_db()
    assert incident.resolved_at is not None


def test_a_monitor_paused_while_its_check_was_in_flight_stays_paused(monitor):
    claimed = Monitor.from_db("default", ["id"], [monitor.pk])
    assert claimed.claim_check(scheduled=False)
    monitor.pause()

    record_result(monitor.pk, ProbeResult(Outcome.OK, "HTTP 200", 200, 5), claimed=claimed)

    monitor.refresh_from_db()
    assert monitor.status == Monitor.Status.PAUSED
    assert monitor.check_lease_until is None
    assert CheckResult.objects.filter(monitor=monitor).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_one_slow_target_check_it_once(target):
    monitor = MonitorFactory(url=target.url("/"), timeout_seconds=5)
    target.mode = "slow"
    target.slow_seconds = 1.0
    results = []

    def worker():
        from django.db import connection

        results.append(run_check(monitor.pk))
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=15)

    assert sorted(result is None for result in results) == [False, True]
    assert CheckResult.objects.count() == 1
    assert len(target.requests_seen) == 1


def test_check_now_enqueues_with_the_monitors_own_limits(monitor, queue_length, redis_server):
    check_now(monitor)

    assert queue_length("checks") == 1
    headers = json.loads(redis_server.lindex("checks", 0))["headers"]
    limits = monitor.limits
    assert headers["task"] == "monitors.run_check"
    assert headers["timelimit"] == [limits.hard_time_limit, limits.soft_time_limit]
    assert headers["expires"] is not None


def test_beat_sends_the_monitors_task_with_its_limits_and_expiry(
    monitor, queue_length, redis_server
):
    monitor.regions = ["eu-west"]
    monitor.save()
    entry = ModelEntry(monitor.periodic_task, app=app)

    # A stock beat: one message, to the first region's queue (its worker fans it out).
    DatabaseScheduler(app=app, lazy=True).apply_async(entry, advance=False)

    assert queue_length("checks") == 0
    message = json.loads(redis_server.lindex("checks.eu-west", 0))
    redis_server.delete("checks.eu-west")
    headers = message["headers"]
    assert headers["task"] == "monitors.run_check"
    assert headers["timelimit"] == [
        monitor.limits.hard_time_limit, monitor.limits.soft_time_limit
    ]
    assert headers["expires"] is not None
    args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    assert (args, kwargs) == ([monitor.pk], {"regions": ["eu-west"]})


def test_a_stock_beats_single_message_is_fanned_out_to_each_region(monitor, redis_server):
    # A stock django-celery-beat sends the row's one message (kwargs "regions") to the first
    # region's queue; the worker that takes it sends each region its own.
    from monitors.tasks import run_check as run_check_task

    redis_server.delete("checks.eu-west", "checks.us")

    run_check_task.apply((monitor.pk,), {"regions": ["eu-west", "us"]})

    for region in ("eu-west", "us"):
        (message,) = redis_server.lrange(f"checks.{region}", 0, -1)
        assert json.loads(message)["headers"]["kwargsrepr"] == (
            f"{{'scheduled': True, 'region': '{region}'}}")
    redis_server.delete("checks.eu-west", "checks.us")
    assert not CheckResult.objects.exists()  # the fan-out itself checks nothing
