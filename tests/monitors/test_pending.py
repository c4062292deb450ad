"""Pending: a monitor failing fewer times in a row than its threshold shows trouble building
up before an incident opens, as "Pending (2 of 3 failed)"."""

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident
from monitors.checking import record_result
from monitors.models import Monitor
from monitors.outcomes import Outcome, ProbeResult
from tests.factories import MonitorFactory

pytestmark = pytest.mark.django_db

UP = ProbeResult(Outcome.OK, "HTTP 200", status_code=200, response_ms=12)
DOWN = ProbeResult(Outcome.CONNECTION_REFUSED, "connection refused by 127.0.0.1:9")


def statuses(monitor, *results) -> list[str]:
    """The monitor's stored status after each result."""
    seen = []
    for result in results:
        record_result(monitor.pk, result)
        monitor.refresh_from_db()
        seen.append(monitor.status)
    return seen


@pytest.fixture
def monitor():
    return MonitorFactory(failure_threshold=3)


def test_failures_below_the_threshold_make_it_pending_and_the_threshold_down(monitor):
    assert statuses(monitor, DOWN, DOWN, DOWN) == ["pending", "pending", "down"]
    assert Incident.objects.open().filter(monitor=monitor).exists()


def test_a_pending_monitor_that_was_up_shows_pending_and_no_incident(monitor):
    assert statuses(monitor, UP, DOWN, DOWN) == ["up", "pending", "pending"]
    assert monitor.consecutive_failures == 2
    assert not Incident.objects.exists()


def test_a_down_monitor_stays_down_while_it_fails_and_is_up_on_a_success(monitor):
    statuses(monitor, DOWN, DOWN, DOWN)

    assert statuses(monitor, DOWN, DOWN) == ["down", "down"]
    assert statuses(monitor, UP) == ["up"]
    assert monitor.consecutive_failures == 0


def test_a_success_ends_pending(monitor):
    assert statuses(monitor, DOWN, UP) == ["pending", "up"]


def test_a_down_monitor_stays_down_when_its_threshold_is_raised_above_the_failures(monitor):
    statuses(monitor, DOWN, DOWN, DOWN)
    monitor.failure_threshold = 10
    monitor.save()

    assert statuses(monitor, DOWN) == ["down"]
    assert monitor.consecutive_failures == 4


def test_a_threshold_of_one_is_never_pending():
    monitor = MonitorFactory(failure_threshold=1)

    assert statuses(monitor, UP, DOWN, DOWN, UP, DOWN) == ["up", "down", "down", "up", "down"]


def test_a_paused_monitor_stays_paused_whatever_its_check_in_flight_found(monitor):
    claimed = Monitor.from_db("default", ["id"], [monitor.pk])
    assert claimed.claim_check(scheduled=False)
    monitor.pause()

    record_result(monitor.pk, DOWN, claimed=claimed)

    monitor.refresh_from_db()
    assert monitor.status == Monitor.Status.PAUSED
    assert monitor.consecutive_failures == 1


def test_resuming_starts_again_from_unknown_and_counts_afresh(monitor):
    statuses(monitor, DOWN, DOWN)
    monitor.pause()
    monitor.resume()
    monitor.refresh_from_db()
    assert (monitor.status, monitor.consecutive_failures) == ("unknown", 0)

    assert statuses(monitor, DOWN) == ["pending"]
    assert monitor.status_label == "Pending (1 of 3 failed)"


def test_editing_a_pending_monitor_keeps_it_pending(monitor):
    statuses(monitor, DOWN, DOWN)
    monitor.name = "renamed"
    monitor.failure_threshold = 5
    monitor.save()

    monitor.refresh_from_db()
    assert monitor.status == "pending"
    assert monitor.status_label == "Pending (2 of 5 failed)"


def test_the_label_says_how_many_of_the_threshold_failed(monitor):
    statuses(monitor, DOWN, DOWN)

    assert monitor.status_label == "Pending (2 of 3 failed)"
    statuses(monitor, DOWN)
    assert monitor.status_label == "Down"


def record_claimed(monitor, result) -> list[str]:
    """Record a result the way a check does (after its claim); the statements it ran."""
    claimed = Monitor.from_db("default", ["id"], [monitor.pk])
    assert claimed.claim_check(scheduled=False)
    with CaptureQueriesContext(connection) as queries:
        record_result(monitor.pk, result, claimed=claimed)
    return [query["sql"].split()[0].upper() for query in queries
            if "SAVEPOINT" not in query["sql"].upper()]


def test_a_check_that_makes_a_monitor_pending_costs_no_statement_more(monitor):
    # The check path is hot: pending is a CASE in the UPDATE that a check always ran.
    assert record_claimed(monitor, UP) == ["UPDATE", "INSERT"]
    assert record_claimed(monitor, DOWN) == ["UPDATE", "INSERT"]
    assert Monitor.objects.get(pk=monitor.pk).status == "pending"


def test_the_migration_marks_monitors_failing_below_their_threshold_pending():
    from importlib import import_module

    mark_pending = import_module("monitors.migrations.0005_pending_status").mark_pending
    failing = MonitorFactory(failure_threshold=3)
    Monitor.objects.filter(pk=failing.pk).update(status="up", consecutive_failures=2)
    down = MonitorFactory(failure_threshold=3)
    Monitor.objects.filter(pk=down.pk).update(status="down", consecutive_failures=2)
    paused = MonitorFactory(failure_threshold=3, is_paused=True)
    Monitor.objects.filter(pk=paused.pk).update(consecutive_failures=1)
    healthy = MonitorFactory(status="up")

    mark_pending(apps, None)

    assert dict(Monitor.objects.values_list("pk", "status")) == {
        failing.pk: "pending", down.pk: "down", paused.pk: "paused", healthy.pk: "up",
    }


def test_the_dashboard_counts_and_filters_pending_monitors(client, alice):
    pending = MonitorFactory(owner=alice, failure_threshold=3)
    statuses(pending, DOWN, DOWN)
    MonitorFactory(owner=alice, status="up")
    client.force_login(alice)

    context = client.get("/").context
    assert (context["counts"]["pending"], context["counts"]["up"]) == (1, 1)
    filtered = client.get("/", {"status": "pending"})
    assert [row[0] for row in filtered.context["rows"]] == [pending]
    assert "Pending (2 of 3 failed)" in filtered.content.decode()
