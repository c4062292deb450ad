"""Maintenance windows from the monitor page: add one-off or weekly with the model's
messages, see which is in effect, end one now, delete one."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from monitors.models import MaintenanceWindow
from tests.factories import MaintenanceWindowFactory, MonitorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitor(alice):
    return MonitorFactory(owner=alice, name="Payments API")


def local(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_a_one_off_window_is_read_in_its_time_zone_and_shown_in_effect(client, alice, monitor):
    client.force_login(alice)
    paris = ZoneInfo("Europe/Paris")
    start = timezone.now().astimezone(paris) - timedelta(minutes=5)
    end = start + timedelta(hours=2)

    response = client.post(f"/monitors/{monitor.pk}/maintenance/new/", {
        "kind": "once", "note": "db upgrade", "starts_at": local(start), "ends_at": local(end),
        "timezone": "Europe/Paris",
    })

    assert response["Location"] == f"/monitors/{monitor.pk}/"
    window = MaintenanceWindow.objects.get()
    assert window.monitor == monitor
    assert window.starts_at == start.replace(second=0, microsecond=0)
    assert window.ends_at == end.replace(second=0, microsecond=0)
    page = client.get(f"/monitors/{monitor.pk}/").content.decode()
    assert "In effect" in page and "db upgrade" in page
    assert monitor.maintenance_until() == window.ends_at


def test_a_weekly_window_is_added(client, alice, monitor):
    client.force_login(alice)

    client.post(f"/monitors/{monitor.pk}/maintenance/new/", {
        "kind": "weekly", "weekday": "6", "start_time": "02:00", "duration_minutes": "90",
        "timezone": "UTC", "starts_at": "", "ends_at": "",
    })

    window = MaintenanceWindow.objects.get()
    assert (window.kind, window.weekday, window.start_time.hour, window.duration_minutes) == (
        "weekly", 6, 2, 90
    )
    assert "weekly, Sundays 02:00 (UTC) for 90 min" in client.get(
        f"/monitors/{monitor.pk}/"
    ).content.decode()


@pytest.mark.parametrize("data, field, message", [
    ({"kind": "once", "starts_at": "2030-01-01T10:00", "ends_at": "2030-01-01T09:00"},
     "ends_at", "The window must end after it starts."),
    ({"kind": "once", "starts_at": "", "ends_at": "2030-01-01T09:00"},
     "starts_at", "Required for a one-off window."),
    ({"kind": "once", "starts_at": "tomorrow", "ends_at": "2030-01-01T09:00"},
     "starts_at", "Enter a valid date/time."),
    ({"kind": "weekly", "weekday": "9", "start_time": "02:00", "duration_minutes": "60"},
     "weekday", "Select a valid choice. 9 is not one of the available choices."),
    ({"kind": "weekly", "weekday": "1", "start_time": "25:00", "duration_minutes": "60"},
     "start_time", "Enter a valid time."),
    ({"kind": "weekly", "weekday": "1", "start_time": "02:00", "duration_minutes": "0"},
     "duration_minutes", "Ensure this value is greater than or equal to 1."),
    ({"kind": "weekly", "weekday": "1", "start_time": "02:00", "duration_minutes": ""},
     "duration_minutes", "Required for a weekly window."),
    ({"kind": "weekly", "weekday": "1", "start_time": "02:00", "duration_minutes": "60",
      "timezone": "Mars/Olympus"}, "timezone", "Unknown time zone 'Mars/Olympus'."),
    ({"kind": "hourly"}, "kind", "Select a valid choice. hourly is not one of the available "
     "choices."),
])
def test_bad_input_gets_field_messages(client, alice, monitor, data, field, message):
    client.force_login(alice)

    response = client.post(f"/monitors/{monitor.pk}/maintenance/new/",
                           {"timezone": "UTC", **data})

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not MaintenanceWindow.objects.exists()


def test_ending_a_one_off_window_now_keeps_it_as_a_record(client, alice, monitor):
    window = MaintenanceWindowFactory(monitor=monitor)
    client.force_login(alice)
    assert monitor.maintenance_until()

    response = client.post(f"/monitors/{monitor.pk}/maintenance/{window.pk}/end/", follow=True)

    window.refresh_from_db()
    assert window.ends_at <= timezone.now()
    assert monitor.maintenance_until() is None
    page = response.content.decode()
    assert "Ended the maintenance window now." in page
    assert "In effect" not in page


def test_ending_a_weekly_window_now_deletes_it(client, alice, monitor):
    started = timezone.now().astimezone(UTC) - timedelta(minutes=10)
    window = MaintenanceWindowFactory(
        monitor=monitor, kind="weekly", starts_at=None, ends_at=None, weekday=started.weekday(),
        start_time=started.time(), duration_minutes=60,
    )
    client.force_login(alice)
    page = client.get(f"/monitors/{monitor.pk}/").content.decode()
    assert "End now (deletes the weekly window)" in page

    client.post(f"/monitors/{monitor.pk}/maintenance/{window.pk}/end/")

    assert not MaintenanceWindow.objects.exists()
    assert monitor.maintenance_until() is None


def test_a_window_not_in_effect_is_not_ended(client, alice, monitor):
    later = timezone.now() + timedelta(days=1)
    window = MaintenanceWindowFactory(monitor=monitor, starts_at=later,
                                      ends_at=later + timedelta(hours=1))
    client.force_login(alice)

    page = client.post(f"/monitors/{monitor.pk}/maintenance/{window.pk}/end/",
                       follow=True).content.decode()

    assert "not in effect now" in page
    window.refresh_from_db()
    assert window.ends_at == later + timedelta(hours=1)


def test_delete(client, alice, monitor):
    window = MaintenanceWindowFactory(monitor=monitor)
    client.force_login(alice)

    client.post(f"/monitors/{monitor.pk}/maintenance/{window.pk}/delete/")

    assert not MaintenanceWindow.objects.exists()


def test_another_users_windows_are_not_found(client, alice, charlie):
    theirs = MonitorFactory(owner=charlie)
    window = MaintenanceWindowFactory(monitor=theirs)
    client.force_login(alice)

    assert client.get(f"/monitors/{theirs.pk}/maintenance/new/").status_code == 404
    for action in ("end", "delete"):
        url = f"/monitors/{theirs.pk}/maintenance/{window.pk}/{action}/"
        assert client.post(url).status_code == 404
    assert MaintenanceWindow.objects.filter(pk=window.pk).exists()


def test_a_window_is_only_found_under_its_own_monitor(client, alice, monitor):
    other = MonitorFactory(owner=alice)
    window = MaintenanceWindowFactory(monitor=other)
    client.force_login(alice)

    assert client.post(f"/monitors/{monitor.pk}/maintenance/{window.pk}/delete/").status_code == 404
