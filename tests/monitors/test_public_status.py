"""What a status page shows the public (monitors/public_status.py): the chosen monitors under
their page names, their day bars from rollups, incidents with their updates, maintenance; and
no cause unless the page shows errors."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from incidents.models import IncidentUpdate
from monitors.models import CheckResult, MaintenanceWindow, Rollup, RollupProgress
from monitors.outcomes import Outcome
from monitors.public_status import BAR_DAYS, bar_state, build_public_page
from monitors.rollups import EMPTY, DayFigures, Summary
from monitors.status_pages import ComponentStatus, OverallStatus
from tests.factories import (
    IncidentFactory,
    IncidentUpdateFactory,
    MaintenanceWindowFactory,
    MonitorFactory,
    StatusPageFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def page(alice):
    return StatusPageFactory(owner=alice, slug="acme", title="Acme status")


def show(page, *monitors, names=None, sections=()):
    page.set_layout([monitor.pk for monitor in monitors], names or {}, list(sections))


def test_the_page_shows_its_monitors_under_their_page_names_in_their_groups(alice, page):
    web = MonitorFactory(owner=alice, name="web-prod-1", status="up")
    api = MonitorFactory(owner=alice, name="api-prod-7", status="down")
    MonitorFactory(owner=alice, name="secret-internal", status="down")
    show(page, web, api, names={web.pk: "Website"},
         sections=[{"name": "Backend", "monitors": [api.pk]}])

    public = build_public_page(page)

    assert [(name, [(m.name, m.status) for m in monitors]) for name, monitors in public.groups
            ] == [("", [("Website", ComponentStatus.OPERATIONAL)]),
                  ("Backend", [("api-prod-7", ComponentStatus.OUTAGE)])]
    assert public.overall == OverallStatus.PARTIAL_OUTAGE
    assert public.overall_label == "Partial outage"


def test_an_incidents_cause_and_regions_errors_show_only_when_the_page_shows_errors(alice, page):
    api = MonitorFactory(owner=alice, name="API", status="down")
    show(page, api)
    IncidentFactory(monitor=api, cause="connection refused by db.internal.example:5432",
                    evidence=[{"region": "eu", "outcome": "timeout",
                               "error": "timed out reaching 10.1.2.3"}])

    hidden = build_public_page(page).open_incidents[0]
    page.show_errors = True
    shown = build_public_page(page).open_incidents[0]

    assert hidden.cause == "" and hidden.region_errors == []
    assert shown.cause == "connection refused by db.internal.example:5432"
    assert shown.region_errors == [("eu", "timed out reaching 10.1.2.3")]


def test_incidents_open_and_of_the_last_90_days_with_their_updates_newest_first(
        alice, page, now):
    api = MonitorFactory(owner=alice, name="API")
    show(page, api, names={api.pk: "Public API"})
    IncidentFactory(monitor=api, opened_at=now - timedelta(days=120),
                    resolved_at=now - timedelta(days=119))
    past = IncidentFactory(monitor=api, opened_at=now - timedelta(days=3),
                           resolved_at=now - timedelta(days=3) + timedelta(minutes=20))
    current = IncidentFactory(monitor=api, opened_at=now - timedelta(minutes=5))
    IncidentUpdateFactory(incident=current, status=IncidentUpdate.Status.INVESTIGATING,
                          message="Looking into it.", posted_at=now - timedelta(minutes=4))
    IncidentUpdateFactory(incident=current, status=IncidentUpdate.Status.IDENTIFIED,
                          message="A bad deploy.", posted_at=now - timedelta(minutes=2))
    IncidentUpdateFactory(incident=past, status=IncidentUpdate.Status.RESOLVED,
                          message="Fixed.")

    public = build_public_page(page, now=now)

    [ongoing] = public.open_incidents
    assert ongoing.name == "Public API" and ongoing.is_open
    assert [(u.status_label, u.message) for u in ongoing.updates] == [
        ("Identified", "A bad deploy."), ("Investigating", "Looking into it.")]
    assert [(i.name, i.duration) for i in public.past_incidents] == [
        ("Public API", timedelta(minutes=20))]
    assert public.past_incidents[0].updates[0].message == "Fixed."


def day_start(moment: datetime, days_ago: int) -> datetime:
    return datetime.combine(moment.astimezone(UTC).date() - timedelta(days=days_ago), time(),
                            tzinfo=UTC)


def test_the_day_bars_come_from_the_rollups_and_todays_checks(alice, page, now):
    api = MonitorFactory(owner=alice, name="API", status="up")
    show(page, api)
    today = day_start(now, 0)
    Rollup.objects.bulk_create([
        Rollup(monitor=api, period="day", start=day_start(now, 3), checks=100, up_checks=100),
        Rollup(monitor=api, period="day", start=day_start(now, 2), checks=100, up_checks=50,
               downtime_seconds=7200),
        Rollup(monitor=api, period="day", start=day_start(now, 1), checks=1000, up_checks=996,
               downtime_seconds=120),
    ])
    for period in ("hour", "day"):
        RollupProgress.objects.create(period=period, rolled_until=today)
    CheckResult.objects.create(monitor=api, checked_at=max(today, now - timedelta(seconds=30)),
                               outcome=Outcome.OK, status_code=200, response_ms=20)

    public = build_public_page(page, now=now)

    [[_, [monitor]]] = public.groups
    assert len(monitor.days) == BAR_DAYS
    assert [day.state for day in monitor.days[-4:]] == ["up", "down", "partial", "up"]
    assert monitor.days[-3].summary.endswith(": 50% up, down 2h")
    assert monitor.days[0].state == "none" and monitor.days[0].summary.endswith("no data")
    assert monitor.days[-1].day == now.astimezone(UTC).date()
    assert monitor.uptime_percent == pytest.approx(100 * 1147 / 1201, abs=0.01)


@pytest.mark.parametrize(("summary", "state"), [
    (EMPTY, "none"),
    (Summary(checks=1440, up_checks=1440), "up"),
    (Summary(checks=1440, up_checks=1439), "up"),
    (Summary(checks=1440, up_checks=1430), "partial"),
    (Summary(checks=1440, up_checks=1439, downtime_seconds=60), "partial"),
    (Summary(checks=1440, up_checks=1300, downtime_seconds=1800), "down"),
    (Summary(checks=1440, up_checks=1390, downtime_seconds=3600), "down"),
])
def test_a_days_colour(summary, state):
    assert bar_state(DayFigures(datetime(2025, 1, 1).date(), summary)) == state


def test_maintenance_now_and_planned_without_the_owners_notes(alice, page, now):
    api = MonitorFactory(owner=alice, name="API", status="down")
    db = MonitorFactory(owner=alice, name="DB")
    show(page, api, db, names={db.pk: "Database"})
    MaintenanceWindowFactory(monitor=api, note="swap the primary, ask Bob")
    MaintenanceWindowFactory(monitor=db, starts_at=now + timedelta(days=2),
                             ends_at=now + timedelta(days=2, hours=1), note="internal")
    MaintenanceWindowFactory(monitor=db, starts_at=now - timedelta(days=2),
                             ends_at=now - timedelta(days=1))
    MaintenanceWindowFactory(monitor=db, kind=MaintenanceWindow.Kind.WEEKLY, starts_at=None,
                             ends_at=None, weekday=6, start_time=time(2, 0),
                             duration_minutes=90, timezone="Europe/Paris")

    public = build_public_page(page, now=now)

    assert [(item.name, item.until is not None) for item in public.maintenance_now] == [
        ("API", True)]
    assert [(item.name, item.starts_at is not None, item.weekly)
            for item in public.maintenance_planned] == [
        ("Database", True, ""),
        ("Database", False, "every Sunday at 02:00 (Europe/Paris) for 1h 30m")]
    # Under maintenance, a monitor that is down is not an outage.
    assert public.groups[0][1][0].status == ComponentStatus.MAINTENANCE
    assert public.overall == OverallStatus.MAINTENANCE
    assert "ask Bob" not in repr(public) and "internal" not in repr(public)


def test_an_empty_page(page):
    public = build_public_page(page)

    assert public.groups == [] and public.overall == OverallStatus.UNKNOWN
