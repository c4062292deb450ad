"""An incident keeps when it opened (the threshold reached) and when the outage began (the
first failed check of the run); what people are told counts from the beginning."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from monitors.checking import record_result
from monitors.outcomes import Outcome, ProbeResult
from tests.factories import IncidentFactory, MonitorFactory
from uptime import live

pytestmark = pytest.mark.django_db

UP = ProbeResult(Outcome.OK, "HTTP 200", status_code=200, response_ms=12)
DOWN = ProbeResult(Outcome.TIMEOUT, "timed out after 5.0 s")
MINUTE = timedelta(minutes=1)


@pytest.fixture
def start():
    return timezone.now().replace(microsecond=0) - timedelta(hours=1)


def feed(monitor, start, results: str) -> list:
    """One check a minute from `start`: "u" up, "d" down. Returns the check rows."""
    return [
        record_result(monitor.pk, UP if kind == "u" else DOWN, checked_at=start + i * MINUTE)
        for i, kind in enumerate(results)
    ]


def test_it_began_at_the_first_failed_check_and_opened_at_the_threshold(start):
    monitor = MonitorFactory(failure_threshold=3)

    checks = feed(monitor, start, "uudddd")

    incident = Incident.objects.get()
    assert incident.started_at == checks[2].checked_at == start + 2 * MINUTE
    assert incident.opened_at == checks[4].checked_at == start + 4 * MINUTE
    assert incident.opening_check == checks[4]


def test_its_duration_counts_from_the_first_failed_check(start):
    monitor = MonitorFactory(failure_threshold=3)

    feed(monitor, start, "udddu")

    incident = Incident.objects.get()
    assert incident.resolved_at == start + 4 * MINUTE
    assert incident.duration == 3 * MINUTE
    assert incident.events.get(kind="resolved").message == "Back up after 3m."


def test_an_open_incident_counts_until_now_from_its_first_failed_check(start):
    monitor = MonitorFactory(failure_threshold=2)
    feed(monitor, start, "dd")

    incident = Incident.objects.get()
    assert incident.duration >= timezone.now() - start - timedelta(seconds=1)


def test_with_a_threshold_of_one_it_began_when_it_opened(start):
    monitor = MonitorFactory(failure_threshold=1)

    feed(monitor, start, "ud")

    incident = Incident.objects.get()
    assert incident.started_at == incident.opened_at == start + MINUTE


def test_a_second_outage_begins_at_its_own_first_failure(start):
    monitor = MonitorFactory(failure_threshold=2)

    feed(monitor, start, "ddudddu")

    first, second = Incident.objects.order_by("opened_at")
    assert (first.started_at, first.opened_at) == (start, start + MINUTE)
    assert (second.started_at, second.opened_at) == (start + 3 * MINUTE, start + 4 * MINUTE)
    assert second.duration == 3 * MINUTE


def test_failures_before_a_pause_are_not_part_of_the_outage_after_it(start):
    monitor = MonitorFactory(failure_threshold=3)
    feed(monitor, start, "dd")
    monitor.pause()
    monitor.resume()

    feed(monitor, start + 10 * MINUTE, "ddd")

    incident = Incident.objects.get()
    assert incident.started_at == start + 10 * MINUTE
    assert incident.opened_at == start + 12 * MINUTE


def test_an_incident_made_without_a_start_began_when_it_opened():
    incident = IncidentFactory()

    assert incident.started_at == incident.opened_at
    assert Incident.objects.get().started_at == incident.opened_at


def test_the_live_incident_state_carries_both_times(start):
    monitor = MonitorFactory(failure_threshold=2)
    feed(monitor, start, "dd")

    state = live.incident_state(Incident.objects.get())

    assert state["started_at"] == start.isoformat()
    assert state["opened_at"] == (start + MINUTE).isoformat()


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_incidents_started_at_equal_to_opened_at(start):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = ("incidents", "0003_newest_first_index")
    after = ("incidents", "0005_incident_started_at_required")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old_apps = executor.loader.project_state([before]).apps
    # Only the incidents app is rolled back: the monitor is one of today's (monitors' own
    # later migrations stay applied, so the historical Monitor would miss their columns).
    monitor = MonitorFactory(name="old", url="https://example.com/")
    old = old_apps.get_model("incidents", "Incident").objects.create(
        monitor_id=monitor.pk, opened_at=start, cause="HTTP 503"
    )

    executor = MigrationExecutor(connection)
    executor.migrate([after])
    # Only the column in question: the model of today has columns of later migrations.
    started_at = Incident.objects.filter(pk=old.pk).values_list("started_at", flat=True).get()
    # Rolling incidents back also unapplied what depends on it (notifications' later
    # migrations): bring every app back to its latest, or later tests meet an old schema.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert started_at == start
