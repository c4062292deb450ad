"""/api/v1/maintenance-windows/: plan one-off and weekly windows for your own monitors."""

from datetime import timedelta

import pytest
from django.utils import timezone

from monitors.models import MaintenanceWindow
from tests.factories import MaintenanceWindowFactory, MonitorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitor(alice):
    return MonitorFactory(owner=alice)


def test_a_one_off_window_in_effect_says_until_when(as_alice, monitor):
    start, end = timezone.now() - timedelta(minutes=5), timezone.now() + timedelta(hours=1)

    response = as_alice.post("/api/v1/maintenance-windows/", {
        "monitor": monitor.pk, "kind": "once", "note": "DB upgrade",
        "starts_at": start.isoformat(), "ends_at": end.isoformat(),
    }, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["in_effect_until"] is not None
    assert monitor.maintenance_until() == MaintenanceWindow.objects.get().ends_at


def test_a_weekly_window(as_alice, monitor):
    response = as_alice.post("/api/v1/maintenance-windows/", {
        "monitor": monitor.pk, "kind": "weekly", "weekday": 6, "start_time": "02:00",
        "duration_minutes": 90, "timezone": "Europe/Berlin",
    }, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["weekday"] == 6


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "once", "starts_at": "2026-01-01T10:00:00Z"}, "ends_at"),
        ({"kind": "once", "starts_at": "2026-01-01T10:00:00Z",
          "ends_at": "2026-01-01T09:00:00Z"}, "ends_at"),
        ({"kind": "weekly", "start_time": "02:00", "duration_minutes": 5}, "weekday"),
        ({"kind": "weekly", "weekday": 9, "start_time": "02:00", "duration_minutes": 5},
         "weekday"),
        ({"kind": "weekly", "weekday": 1, "start_time": "02:00", "duration_minutes": 5,
          "timezone": "Nowhere/Atlantis"}, "timezone"),
        ({"kind": "sometimes"}, "kind"),
        ({"kind": "once", "colour": "red"}, "colour"),
    ],
)
def test_bad_windows_answer_400_naming_the_field(as_alice, monitor, body, field):
    response = as_alice.post(
        "/api/v1/maintenance-windows/", {"monitor": monitor.pk, **body}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()


def test_nobody_plans_a_window_for_someone_elses_monitor(as_charlie, monitor):
    response = as_charlie.post("/api/v1/maintenance-windows/", {
        "monitor": monitor.pk, "kind": "once",
        "starts_at": "2026-01-01T10:00:00Z", "ends_at": "2026-01-01T11:00:00Z",
    }, format="json")

    assert response.status_code == 400
    assert "monitor" in response.json()
    assert not MaintenanceWindow.objects.exists()


def test_listing_filters_by_monitor(as_alice, monitor, alice):
    MaintenanceWindowFactory(monitor=monitor)
    MaintenanceWindowFactory(monitor=MonitorFactory(owner=alice))

    assert as_alice.get("/api/v1/maintenance-windows/").json()["count"] == 2
    filtered = as_alice.get("/api/v1/maintenance-windows/", {"monitor": monitor.pk}).json()
    assert [window["monitor"] for window in filtered["results"]] == [monitor.pk]
    assert as_alice.get("/api/v1/maintenance-windows/", {"monitor": "x"}).status_code == 400
