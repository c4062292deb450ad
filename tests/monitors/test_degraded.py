"""Degraded: up, but not well. HTTP assertions marked "degrade" against the loopback target,
through the probe and through the check pipeline; the monitor turns amber, never opens an
incident, resolves one that is open, and says so on the websocket."""

import pytest
from asgiref.sync import sync_to_async

from incidents.models import Incident
from monitors.checking import run_check
from monitors.models import CheckResult, Monitor
from monitors.outcomes import CheckSpec, Outcome
from tests.factories import MonitorFactory
from tests.support.probing import probe
from tests.uptime.conftest import (  # noqa: F401  (fixtures, used by name)
    close_worker_thread_connections,
    next_event,
    status_socket,
    token_headers,
)

SLOW = {"type": "response_time_ms", "below": 1, "degrade": True}
NOT_HEALTHY = {"type": "body_contains", "value": "healthy", "degrade": True}
STATUS_OK = {"type": "json_path", "path": "$.status", "equals": "ok"}
STATUS_DOWN = {"type": "json_path", "path": "$.status", "equals": "down"}


def run(target, *assertions):
    target.mode_for_path["/health.json"] = "json"
    return probe().run(CheckSpec(url=target.url("/health.json"),
                                 options={"assertions": list(assertions)}))


# --- the probe --------------------------------------------------------------------------

def test_a_failed_degrade_assertion_makes_the_check_degraded_with_its_message(target):
    result = run(target, STATUS_OK, NOT_HEALTHY)

    assert result.outcome == Outcome.DEGRADED
    assert result.is_up and result.is_degraded
    assert result.message.startswith('body_contains "healthy": not in the body (body ')
    assert result.status_code == 200


def test_the_degraded_message_is_the_one_the_same_assertion_fails_with(target):
    plain = dict(NOT_HEALTHY, degrade=False)

    assert run(target, NOT_HEALTHY).message == run(target, plain).message
    assert run(target, plain).outcome == Outcome.ASSERTION_FAILED


def test_a_slow_response_with_a_degrade_time_limit_is_degraded(target):
    target.mode_for_path["/slow"] = "slow"
    target.slow_seconds = 0.05

    result = probe().run(CheckSpec(url=target.url("/slow"), options={"assertions": [SLOW]}))

    assert result.outcome == Outcome.DEGRADED
    assert result.message.startswith("response_time_ms below 1: took ")


@pytest.mark.parametrize("order", ["degrade first", "plain first"])
def test_a_failed_plain_assertion_wins_over_a_degrade_one_wherever_it_is(target, order):
    assertions = [NOT_HEALTHY, STATUS_DOWN] if order == "degrade first" else [
        STATUS_DOWN, NOT_HEALTHY]

    result = run(target, *assertions)

    assert result.outcome == Outcome.ASSERTION_FAILED
    assert result.message == 'json_path $.status equals "down": got "ok"'


def test_the_first_failed_degrade_assertion_is_the_one_reported(target):
    result = run(target, {"type": "body_contains", "value": "first", "degrade": True},
                 {"type": "body_contains", "value": "second", "degrade": True})

    assert result.outcome == Outcome.DEGRADED
    assert result.message.startswith('body_contains "first"')


def test_degrade_assertions_that_hold_leave_the_check_ok(target):
    result = run(target, STATUS_OK, dict(STATUS_OK, degrade=True))

    assert (result.outcome, result.message) == (Outcome.OK, "HTTP 200")


def test_a_wrong_status_is_down_whatever_the_degrade_assertions_say(target):
    target.mode = "error"

    result = probe().run(CheckSpec(url=target.url(), options={"assertions": [NOT_HEALTHY]}))

    assert result.outcome == Outcome.WRONG_STATUS


# --- the pipeline -----------------------------------------------------------------------

@pytest.fixture
def degrading(alice, target, without_first_checks):
    """A monitor whose only assertion (a degrade one) fails while the target answers."""
    target.mode_for_path["/health.json"] = "json"
    return MonitorFactory(owner=alice, url=target.url("/health.json"), failure_threshold=1,
                          assertions=[NOT_HEALTHY])


@pytest.mark.django_db
def test_a_degraded_check_makes_the_monitor_degraded_and_keeps_its_message(degrading):
    check = run_check(degrading.pk, scheduled=False)

    degrading.refresh_from_db()
    assert degrading.status == Monitor.Status.DEGRADED
    assert degrading.consecutive_failures == 0
    assert degrading.last_response_ms is not None
    stored = CheckResult.objects.get(pk=check.pk)
    assert stored.outcome == Outcome.DEGRADED
    assert stored.is_up
    assert stored.error.startswith('body_contains "healthy": not in the body')


@pytest.mark.django_db
def test_degraded_checks_never_open_an_incident(degrading):
    for _ in range(3):
        run_check(degrading.pk, scheduled=False)

    degrading.refresh_from_db()
    assert degrading.status == Monitor.Status.DEGRADED
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_a_degraded_check_resolves_an_open_incident(degrading, target):
    target.mode = "error"
    target.mode_for_path.clear()
    run_check(degrading.pk, scheduled=False)
    incident = Incident.objects.get(monitor=degrading)
    assert incident.is_open

    target.mode_for_path["/health.json"] = "json"
    run_check(degrading.pk, scheduled=False)

    incident.refresh_from_db()
    degrading.refresh_from_db()
    assert not incident.is_open
    assert degrading.status == Monitor.Status.DEGRADED


@pytest.mark.django_db
def test_a_passing_check_after_a_degraded_one_is_up_again(degrading):
    run_check(degrading.pk, scheduled=False)
    Monitor.objects.filter(pk=degrading.pk).update(assertions=[STATUS_OK])

    run_check(degrading.pk, scheduled=False)

    degrading.refresh_from_db()
    assert degrading.status == Monitor.Status.UP


# --- the websocket ----------------------------------------------------------------------

check_now = sync_to_async(run_check)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("close_worker_thread_connections")
async def test_becoming_degraded_is_a_monitor_degraded_event(alice, target):
    target.mode_for_path["/health.json"] = "json"
    monitor = await sync_to_async(MonitorFactory)(
        owner=alice, url=target.url("/health.json"), assertions=[NOT_HEALTHY]
    )
    async with status_socket(headers=await token_headers(alice)) as socket:
        await socket.receive_json_from()  # the snapshot

        await check_now(monitor.pk, scheduled=False)
        check = await next_event(socket, "check")
        flipped = await next_event(socket, "monitor.degraded")
        # Still degraded: no second flip.
        await check_now(monitor.pk, scheduled=False)
        await next_event(socket, "check")
        assert await socket.receive_nothing(timeout=0.5)

    assert check["check"]["outcome"] == "degraded"
    assert check["check"]["error"].startswith('body_contains "healthy"')
    assert check["monitor"]["status"] == "degraded"
    assert flipped["monitor"]["status"] == "degraded"
