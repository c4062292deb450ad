"""When a maintenance window covers a moment (monitors.models.MaintenanceWindow)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from monitors.models import MaintenanceWindow
from tests.factories import MaintenanceWindowFactory, MonitorFactory

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")


def weekly(monitor, **fields):
    defaults = {"weekday": MaintenanceWindow.Weekday.SUNDAY, "start_time": time(2, 0),
                "duration_minutes": 120, "timezone": "Europe/Berlin"}
    return MaintenanceWindow.objects.create(
        monitor=monitor, kind=MaintenanceWindow.Kind.WEEKLY, **{**defaults, **fields}
    )


def test_a_one_off_window_covers_its_start_but_not_its_end():
    start = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    window = MaintenanceWindowFactory(starts_at=start, ends_at=start + timedelta(hours=1))
    monitor = window.monitor

    assert monitor.maintenance_until(start - timedelta(seconds=1)) is None
    assert monitor.maintenance_until(start) == start + timedelta(hours=1)
    assert monitor.maintenance_until(start + timedelta(hours=1)) is None


def test_a_weekly_window_recurs_in_its_own_time_zone_across_daylight_saving():
    monitor = MonitorFactory()
    weekly(monitor)
    winter_sunday = datetime(2026, 1, 4, 2, 30, tzinfo=BERLIN)  # 01:30 UTC
    summer_sunday = datetime(2026, 7, 5, 2, 30, tzinfo=BERLIN)  # 00:30 UTC

    assert monitor.maintenance_until(winter_sunday) == datetime(2026, 1, 4, 4, 0, tzinfo=BERLIN)
    assert monitor.maintenance_until(summer_sunday) == datetime(2026, 7, 5, 4, 0, tzinfo=BERLIN)
    assert monitor.maintenance_until(datetime(2026, 7, 5, 4, 0, tzinfo=BERLIN)) is None
    assert monitor.maintenance_until(datetime(2026, 7, 6, 2, 30, tzinfo=BERLIN)) is None


def test_a_weekly_window_that_crosses_midnight_covers_the_next_morning():
    monitor = MonitorFactory()
    weekly(monitor, weekday=MaintenanceWindow.Weekday.SATURDAY, start_time=time(23, 0),
           duration_minutes=180, timezone="UTC")

    assert monitor.maintenance_until(datetime(2026, 7, 5, 1, 0, tzinfo=UTC)) == datetime(
        2026, 7, 5, 2, 0, tzinfo=UTC
    )


def test_windows_that_touch_are_followed_to_the_last_end():
    start = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    first = MaintenanceWindowFactory(starts_at=start, ends_at=start + timedelta(hours=1))
    MaintenanceWindowFactory(
        monitor=first.monitor,
        starts_at=start + timedelta(hours=1),
        ends_at=start + timedelta(hours=3),
    )

    assert first.monitor.maintenance_until(start) == start + timedelta(hours=3)


def test_another_monitors_window_does_not_count():
    window = MaintenanceWindowFactory()
    assert MonitorFactory().maintenance_until() is None
    assert window.monitor.maintenance_until() is not None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "once", "starts_at": None}, "starts_at"),
        ({"kind": "once", "ends_at": datetime(2000, 1, 1, tzinfo=UTC)}, "ends_at"),
        ({"kind": "weekly", "weekday": None, "start_time": time(1), "duration_minutes": 5},
         "weekday"),
        ({"kind": "weekly", "weekday": 0, "start_time": time(1), "duration_minutes": 5,
          "timezone": "Mars/Olympus"}, "timezone"),
    ],
)
def test_invalid_windows_say_which_field_is_wrong(fields, field):
    window = MaintenanceWindowFactory.build(monitor=MonitorFactory(), **fields)
    with pytest.raises(ValidationError) as error:
        window.full_clean()
    assert field in error.value.message_dict
