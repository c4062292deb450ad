"""The API of a monitor checked from several regions: regions, quorum, region_states, and the
?region= narrowing of its checks and uptime."""

from datetime import timedelta

import pytest
from django.utils import timezone

from monitors.models import Monitor, RegionState
from tests.factories import CheckResultFactory, MonitorFactory

pytestmark = pytest.mark.django_db

VALID = {"name": "API", "url": "https://api.example.com/health", "interval_seconds": 60,
         "timeout_seconds": 10}


def test_a_monitor_with_regions_reports_each_regions_state(as_alice):
    response = as_alice.post("/api/v1/monitors/", {**VALID, "regions": ["us", "in", "eu"]},
                             format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["regions"] == ["us", "in", "eu"]
    assert body["quorum"] is None  # a majority: 2 of 3
    assert [state["region"] for state in body["region_states"]] == ["eu", "in", "us"]
    assert all(state["status"] == "unknown" and state["stale"] is False
               for state in body["region_states"])
    monitor = Monitor.objects.get()
    assert monitor.quorum_needed == 2
    assert json_kwargs(monitor) == {"regions": ["us", "in", "eu"]}


def json_kwargs(monitor):
    import json

    return json.loads(monitor.periodic_task.kwargs)


def test_a_region_that_went_quiet_is_stale(as_alice, alice):
    monitor = MonitorFactory(owner=alice, regions=["us", "in"], interval_seconds=60)
    RegionState.objects.filter(monitor=monitor, region="in").update(
        last_checked_at=timezone.now() - timedelta(minutes=4))
    RegionState.objects.filter(monitor=monitor, region="us").update(
        last_checked_at=timezone.now())

    states = as_alice.get(f"/api/v1/monitors/{monitor.pk}").json()["region_states"]

    assert {state["region"]: state["stale"] for state in states} == {"in": True, "us": False}


def test_regions_can_be_changed_and_removed(as_alice, alice):
    monitor = MonitorFactory(owner=alice, regions=["us", "in"])

    as_alice.patch(f"/api/v1/monitors/{monitor.pk}", {"regions": ["in", "eu"]}, format="json")
    assert set(RegionState.objects.values_list("region", flat=True)) == {"in", "eu"}

    response = as_alice.patch(f"/api/v1/monitors/{monitor.pk}", {"regions": []}, format="json")
    assert response.json()["region_states"] == []
    assert json_kwargs(Monitor.objects.get()) == {}
    assert Monitor.objects.get().periodic_task.queue == "checks"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"regions": ["us"], "quorum": 2}, "quorum", "The quorum can be at most the number of"),
    ({"quorum": 1}, "quorum", "A quorum needs regions to count."),
    ({"regions": ["us", "US us"]}, "regions", "Region names are letters, digits"),
    ({"regions": [f"r{n}" for n in range(11)]}, "regions", "Ensure this field has no more"),
    ({"regions": ["us"], "kind": "heartbeat", "url": ""}, "regions", "A heartbeat is pinged"),
])
def test_bad_regions_and_quorums_name_the_field(as_alice, changes, field, message):
    response = as_alice.post("/api/v1/monitors/", {**VALID, **changes}, format="json")

    assert response.status_code == 400, response.content
    errors = response.json()
    assert list(errors) == [field]
    assert any(text.startswith(message) for text in errors[field]), errors


def test_checks_and_uptime_narrow_to_one_region(as_alice, alice):
    monitor = MonitorFactory(owner=alice, regions=["us", "in"])
    now = timezone.now()
    for minutes in range(4):
        CheckResultFactory(monitor=monitor, region="us", outcome="ok",
                           checked_at=now - timedelta(minutes=minutes))
        CheckResultFactory(monitor=monitor, region="in", outcome="timeout",
                           checked_at=now - timedelta(minutes=minutes, seconds=30))

    checks = as_alice.get(f"/api/v1/monitors/{monitor.pk}/checks", {"region": "in"}).json()
    overall = as_alice.get(f"/api/v1/monitors/{monitor.pk}/uptime").json()
    us_only = as_alice.get(f"/api/v1/monitors/{monitor.pk}/uptime", {"region": "us"}).json()

    assert {check["region"] for check in checks["results"]} == {"in"}
    assert len(checks["results"]) == 4
    assert overall["region"] is None
    assert overall["last_24_hours"]["uptime_percent"] == 50.0
    assert us_only["region"] == "us"
    assert us_only["last_24_hours"]["uptime_percent"] == 100.0


def test_a_bad_region_filter_is_a_400(as_alice, alice):
    monitor = MonitorFactory(owner=alice)

    response = as_alice.get(f"/api/v1/monitors/{monitor.pk}/checks", {"region": "not a slug"})

    assert response.status_code == 400
    assert "region" in response.json()


def test_regions_no_worker_serves_are_named(as_alice, redis_server):
    from monitors import regions

    regions.announce(redis_server, "us", "checks-us@host")
    try:
        body = as_alice.post("/api/v1/monitors/", {**VALID, "regions": ["us", "in"]},
                             format="json").json()
        listed = as_alice.get("/api/v1/monitors/").json()["results"]
    finally:
        redis_server.delete(regions.KEY)

    assert body["unserved_regions"] == ["in"]
    assert listed[0]["unserved_regions"] == ["in"]
