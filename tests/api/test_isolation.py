"""Every endpoint, as every persona: alice owns the objects, bob is staff and may act on them,
charlie gets 404 for each of them (as for an id never used) and changes nothing, and a
request without a token gets 401."""

import pytest

from incidents.models import Incident, IncidentUpdate
from monitors.models import MaintenanceWindow, Monitor, StatusPage
from notifications.models import Device, NotificationChannel, NotificationLog
from tests.factories import (
    CheckResultFactory,
    DeviceFactory,
    IncidentFactory,
    MaintenanceWindowFactory,
    MonitorFactory,
    NotificationChannelFactory,
    StatusPageFactory,
)

pytestmark = pytest.mark.django_db

MONITOR = {"name": "Edited", "url": "https://edited.example.com/", "interval_seconds": 60,
           "timeout_seconds": 5}
CHANNEL = {"name": "Edited", "kind": "email", "config": {"to": "x@example.com"}}

# (method, path, body, status for the owner or staff)
ENDPOINTS = [
    ("get", "/api/v1/monitors/{monitor}/", None, 200),
    ("put", "/api/v1/monitors/{monitor}/", MONITOR, 200),
    ("patch", "/api/v1/monitors/{monitor}/", {"name": "Edited"}, 200),
    ("delete", "/api/v1/monitors/{monitor}/", None, 204),
    ("post", "/api/v1/monitors/{monitor}/pause", None, 200),
    ("post", "/api/v1/monitors/{monitor}/resume", None, 200),
    ("post", "/api/v1/monitors/{monitor}/check-now", None, 202),
    ("get", "/api/v1/monitors/{monitor}/checks", None, 200),
    ("get", "/api/v1/monitors/{monitor}/uptime", None, 200),
    ("get", "/api/v1/incidents/{incident}/", None, 200),
    ("post", "/api/v1/incidents/{incident}/acknowledge", None, 200),
    ("get", "/api/v1/channels/{channel}/", None, 200),
    ("put", "/api/v1/channels/{channel}/", CHANNEL, 200),
    ("patch", "/api/v1/channels/{channel}/", {"name": "Edited"}, 200),
    ("delete", "/api/v1/channels/{channel}/", None, 204),
    ("post", "/api/v1/channels/{channel}/test", None, 200),
    ("get", "/api/v1/devices/{device}/", None, 200),
    ("delete", "/api/v1/devices/{device}/", None, 204),
    ("get", "/api/v1/maintenance-windows/{window}/", None, 200),
    ("patch", "/api/v1/maintenance-windows/{window}/", {"note": "Edited"}, 200),
    ("delete", "/api/v1/maintenance-windows/{window}/", None, 204),
    ("get", "/api/v1/incidents/{incident}/updates/", None, 200),
    ("post", "/api/v1/incidents/{incident}/updates/", {"status": "identified", "message": "x"},
     201),
    ("get", "/api/v1/status-pages/{page}/", None, 200),
    ("patch", "/api/v1/status-pages/{page}/", {"title": "Edited"}, 200),
    ("put", "/api/v1/status-pages/{page}/", {"slug": "edited", "title": "Edited"}, 200),
    ("delete", "/api/v1/status-pages/{page}/", None, 204),
]
LISTS = [
    "/api/v1/monitors/",
    "/api/v1/incidents/",
    "/api/v1/channels/",
    "/api/v1/devices/",
    "/api/v1/maintenance-windows/",
    "/api/v1/status-pages/",
]
ids = [f"{method.upper()} {path}" for method, path, _, _ in ENDPOINTS]


@pytest.fixture
def alices(alice):
    monitor = MonitorFactory(owner=alice, name="Alice's API")
    CheckResultFactory(monitor=monitor)
    return {
        "monitor": monitor,
        "incident": IncidentFactory(monitor=monitor),
        # Port 9 on loopback refuses at once: a test send fails fast and is only logged.
        "channel": NotificationChannelFactory(
            owner=alice, name="Alice's hook", config={"url": "http://127.0.0.1:9/s3cret"}
        ),
        "device": DeviceFactory(owner=alice),
        "window": MaintenanceWindowFactory(monitor=monitor, note="Alice's upgrade"),
        "page": page_of(alice, monitor),
    }


def page_of(alice, monitor):
    page = StatusPageFactory(owner=alice, slug="alices-page", title="Alice's page")
    page.set_layout([monitor.pk], {}, [])
    return page


def snapshot() -> list:
    """Everything a request by someone else must leave as it was."""
    return [
        list(Monitor.objects.values_list("id", "name", "url", "is_paused", "status")),
        list(Incident.objects.values_list("id", "acknowledged_at")),
        list(NotificationChannel.objects.values_list("id", "name", "kind", "config")),
        list(Device.objects.values_list("id", "token")),
        list(MaintenanceWindow.objects.values_list("id", "note")),
        list(IncidentUpdate.objects.values_list("id", "message")),
        list(StatusPage.objects.values_list("id", "slug", "title")),
        NotificationLog.objects.count(),
    ]


def call(client, method, path, body, alices):
    url = path.format(**{name: obj.pk for name, obj in alices.items()})
    return getattr(client, method)(url, body, format="json")


@pytest.mark.parametrize(("method", "path", "body", "status"), ENDPOINTS, ids=ids)
def test_charlie_gets_404_and_changes_nothing(as_charlie, alices, method, path, body, status,
                                             queue_length):
    before = snapshot()

    response = call(as_charlie, method, path, body, alices)

    assert response.status_code == 404
    assert "Alice" not in response.content.decode()
    assert snapshot() == before
    assert queue_length("checks") == 0


@pytest.mark.parametrize(("method", "path", "body", "status"), ENDPOINTS, ids=ids)
def test_alice_may(as_alice, alices, method, path, body, status):
    assert call(as_alice, method, path, body, alices).status_code == status


@pytest.mark.parametrize(("method", "path", "body", "status"), ENDPOINTS, ids=ids)
def test_staff_may(as_bob, alices, method, path, body, status):
    assert call(as_bob, method, path, body, alices).status_code == status


@pytest.mark.parametrize(("method", "path", "body", "status"), ENDPOINTS, ids=ids)
def test_no_token_gets_401(client_for, alices, method, path, body, status):
    assert call(client_for(None), method, path, body, alices).status_code == 401


@pytest.mark.parametrize("path", LISTS)
def test_charlie_lists_none_of_alices_things(as_charlie, as_bob, alices, path):
    assert as_charlie.get(path).json()["count"] == 0
    assert as_bob.get(path).json()["count"] == 1


def test_filtering_incidents_by_alices_monitor_finds_nothing_for_charlie(as_charlie, alices):
    response = as_charlie.get("/api/v1/incidents/", {"monitor": alices["monitor"].pk})

    assert response.json()["count"] == 0


def test_charlie_cannot_attach_alices_channel(as_charlie, alices):
    response = as_charlie.post(
        "/api/v1/monitors/",
        {**MONITOR, "channels": [alices["channel"].pk]},
        format="json",
    )

    assert response.status_code == 400
    assert "channels" in response.json()
    assert not Monitor.objects.filter(owner__username="charlie").exists()


def test_registering_alices_device_token_as_charlie_moves_it(as_charlie, alices):
    token = alices["device"].token

    as_charlie.post("/api/v1/devices/", {"token": token}, format="json")

    # A token is one app install: whoever signed in there last receives its pushes.
    assert list(Device.objects.values_list("owner__username", flat=True)) == ["charlie"]
