"""The API's view of pending monitors (status "pending", ?status=pending) and of when an
outage began (an incident's started_at, and its duration counted from there)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from monitors.checking import record_result
from monitors.outcomes import Outcome, ProbeResult
from tests.factories import MonitorFactory

pytestmark = pytest.mark.django_db

UP = ProbeResult(Outcome.OK, "HTTP 200", status_code=200, response_ms=12)
DOWN = ProbeResult(Outcome.CONNECTION_REFUSED, "connection refused by 127.0.0.1:9")
MINUTE = timedelta(minutes=1)


def failing(monitor, times: int, *, start=None) -> None:
    start = start or timezone.now() - timedelta(hours=1)
    for i in range(times):
        record_result(monitor.pk, DOWN, checked_at=start + i * MINUTE)


@pytest.fixture
def monitors(alice):
    pending = MonitorFactory(owner=alice, name="pending", failure_threshold=3)
    failing(pending, 2)
    down = MonitorFactory(owner=alice, name="down", failure_threshold=3)
    failing(down, 3)
    up = MonitorFactory(owner=alice, name="up")
    record_result(up.pk, UP)
    return {"pending": pending, "down": down, "up": up}


def test_a_monitor_failing_below_its_threshold_reads_pending(as_alice, monitors):
    body = as_alice.get(f"/api/v1/monitors/{monitors['pending'].pk}/").json()

    assert body["status"] == "pending"
    assert (body["consecutive_failures"], body["failure_threshold"]) == (2, 3)


@pytest.mark.parametrize("status", ["pending", "down", "up"])
def test_the_list_filters_by_status(as_alice, monitors, status, charlie):
    theirs = MonitorFactory(owner=charlie, failure_threshold=3)
    failing(theirs, 1)

    response = as_alice.get("/api/v1/monitors/", {"status": status})

    assert response.status_code == 200
    assert [m["id"] for m in response.json()["results"]] == [monitors[status].pk]
    assert response.json()["results"][0]["status"] == status


def test_an_unknown_status_filter_is_a_400_that_names_the_field(as_alice, monitors):
    response = as_alice.get("/api/v1/monitors/", {"status": "flaky"})

    assert response.status_code == 400
    assert "status" in response.json()


def test_without_a_filter_every_state_is_listed(as_alice, monitors):
    body = as_alice.get("/api/v1/monitors/").json()

    assert {m["status"] for m in body["results"]} == {"pending", "down", "up"}


def test_an_incident_says_when_the_outage_began_and_counts_from_then(as_alice, alice):
    start = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    monitor = MonitorFactory(owner=alice, failure_threshold=3)
    failing(monitor, 3, start=start)
    record_result(monitor.pk, UP, checked_at=start + 10 * MINUTE)
    incident = Incident.objects.get()

    body = as_alice.get(f"/api/v1/incidents/{incident.pk}/").json()

    assert body["started_at"] == start.isoformat().replace("+00:00", "Z")
    assert body["opened_at"] == (start + 2 * MINUTE).isoformat().replace("+00:00", "Z")
    assert body["duration_seconds"] == 10 * 60
    listed = as_alice.get("/api/v1/incidents/").json()["results"][0]
    assert (listed["started_at"], listed["duration_seconds"]) == (body["started_at"], 600)


def test_the_schema_documents_pending_the_status_filter_and_started_at(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    components = schema["components"]["schemas"]
    # A monitor is oneOf a schema per kind, each allOf MonitorCommon and its own options.
    status = components["MonitorCommon"]["properties"]["status"]
    assert "pending" in status["description"]
    [parameter] = [p for p in schema["paths"]["/api/v1/monitors/"]["get"]["parameters"]
                   if p["name"] == "status"]
    assert "pending" in parameter["schema"]["enum"]
    started_at = components["Incident"]["properties"]["started_at"]
    assert "first failed check" in started_at["description"]
