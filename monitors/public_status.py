"""What a status page shows the public, put together in one place, so that nothing a page's
owner did not choose can slip onto it.

The classes below hold only what may be shown: the display names the page gives its
monitors, their public states (monitors.status_pages.ComponentStatus), daily figures,
incident times and the notes posted on incidents, maintenance times. Never a URL, a host, a
monitor id or an owner; an incident's cause and its regions' errors only when the page has
`show_errors`. The templates (templates/status/) render a PublicPage and nothing else.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from incidents.models import Incident, format_duration

from . import rollups, stats
from .models import MaintenanceWindow, maintenance_until
from .status_pages import (
    ComponentStatus,
    OverallStatus,
    StatusPage,
    StatusPageMonitor,
    component_status,
    overall_status,
)

BAR_DAYS = 90
HISTORY = timedelta(days=90)
MAX_PAST_INCIDENTS = 50
MAX_SCHEDULED_MAINTENANCE = 20


@dataclass(frozen=True)
class DayBar:
    """One day of one monitor's bar."""

    day: date
    state: str  # "up", "partial", "down" or "none" (no check that day)
    uptime_percent: float | None
    downtime_seconds: float

    @property
    def summary(self) -> str:
        when = f"{self.day:%b} {self.day.day}"
        if self.uptime_percent is None:
            return f"{when}: no data"
        text = f"{when}: {self.uptime_percent:g}% up"
        if self.downtime_seconds:
            text += f", down {format_duration(timedelta(seconds=round(self.downtime_seconds)))}"
        return text


def bar_state(figures: rollups.DayFigures) -> str:
    """A day's colour: down for an hour or more (or under 95 % of checks up), partial for any
    downtime (or under 99.9 % up: failures that opened no incident), up otherwise."""
    uptime, downtime = figures.uptime_percent, figures.downtime_seconds
    if uptime is None and not downtime:
        return "none"
    if downtime >= 3600 or (uptime is not None and uptime < 95):
        return "down"
    if downtime > 0 or (uptime is not None and uptime < 99.9):
        return "partial"
    return "up"


@dataclass(frozen=True)
class PublicMonitor:
    name: str
    status: ComponentStatus
    days: list[DayBar]
    uptime_percent: float | None  # over the bars' 90 days; None without checks

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def bar_summary(self) -> str:
        counted = [day for day in self.days if day.state != "none"]
        troubled = sum(1 for day in counted if day.state != "up")
        return (f"{len(self.days)} days of uptime: {len(counted)} with data, "
                f"{troubled} with downtime")


@dataclass(frozen=True)
class PublicUpdate:
    status: str
    status_label: str
    message: str
    posted_at: datetime


@dataclass(frozen=True)
class PublicIncident:
    name: str  # the monitor's name on this page
    started_at: datetime
    resolved_at: datetime | None
    duration: timedelta
    cause: str  # "" unless the page shows errors
    region_errors: list[tuple[str, str]]  # (region, error), only when the page shows errors
    updates: list[PublicUpdate]  # newest first

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


@dataclass(frozen=True)
class PublicMaintenance:
    name: str
    # In effect now: until when. Planned: a one-off's start and end, or a weekly one's rule.
    until: datetime | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    weekly: str = ""


@dataclass(frozen=True)
class PublicPage:
    slug: str
    title: str
    description: str
    overall: OverallStatus
    groups: list[tuple[str, list[PublicMonitor]]]
    open_incidents: list[PublicIncident]
    past_incidents: list[PublicIncident]
    maintenance_now: list[PublicMaintenance]
    maintenance_planned: list[PublicMaintenance]
    generated_at: datetime
    bar_days: int = BAR_DAYS

    @property
    def overall_label(self) -> str:
        return self.overall.label

    @property
    def first_day(self) -> date:
        return (self.generated_at - timedelta(days=self.bar_days - 1)).date()


def build_public_page(page: StatusPage, *, now: datetime | None = None) -> PublicPage:
    """Everything `page` shows, read in a fixed number of queries whatever its size."""
    now = now or timezone.now()
    entries = list(page.entries.select_related("monitor").order_by("position", "id"))
    monitor_ids = [entry.monitor_id for entry in entries]
    names = {entry.monitor_id: entry.name for entry in entries}
    windows: dict[int, list[MaintenanceWindow]] = {monitor_id: [] for monitor_id in monitor_ids}
    for window in MaintenanceWindow.objects.filter(monitor_id__in=monitor_ids):
        windows[window.monitor_id].append(window)
    in_maintenance = {monitor_id: maintenance_until(windows[monitor_id], now)
                      for monitor_id in monitor_ids}
    figures = rollups.daily_figures(monitor_ids, days=BAR_DAYS, now=now)
    uptime = stats.uptime_reports(monitor_ids, window=timedelta(days=BAR_DAYS), now=now)

    def public_monitor(entry: StatusPageMonitor) -> PublicMonitor:
        monitor_id = entry.monitor_id
        return PublicMonitor(
            name=entry.name,
            status=component_status(entry.monitor.status,
                                    in_maintenance=in_maintenance[monitor_id] is not None),
            days=[DayBar(day=figure.day, state=bar_state(figure),
                         uptime_percent=figure.uptime_percent,
                         downtime_seconds=figure.downtime_seconds)
                  for figure in figures.get(monitor_id, [])],
            uptime_percent=uptime[monitor_id].uptime_percent if monitor_id in uptime else None,
        )

    public = {entry.monitor_id: public_monitor(entry) for entry in entries}
    groups = [(name, [public[entry.monitor_id] for entry in members])
              for name, members in page.groups(entries)]
    open_incidents, past_incidents = _incidents(page, monitor_ids, names, now)
    now_maintenance, planned = _maintenance(windows, names, in_maintenance, now)
    return PublicPage(
        slug=page.slug, title=page.title, description=page.description,
        overall=overall_status(monitor.status for monitor in public.values()),
        groups=groups, open_incidents=open_incidents, past_incidents=past_incidents,
        maintenance_now=now_maintenance, maintenance_planned=planned, generated_at=now,
    )


def _incidents(page: StatusPage, monitor_ids: list[int], names: dict[int, str],
               now: datetime) -> tuple[list[PublicIncident], list[PublicIncident]]:
    ours = Incident.objects.filter(monitor_id__in=monitor_ids).prefetch_related("updates")
    open_ones = list(ours.open().order_by("-started_at", "-id"))
    past = list(ours.filter(resolved_at__gte=now - HISTORY)
                .order_by("-started_at", "-id")[:MAX_PAST_INCIDENTS])

    def public(incident: Incident) -> PublicIncident:
        return PublicIncident(
            name=names[incident.monitor_id],
            started_at=incident.down_since,
            resolved_at=incident.resolved_at,
            duration=(incident.resolved_at or now) - incident.down_since,
            cause=incident.headline if page.show_errors else "",
            region_errors=[(part.get("region", ""), part.get("error") or part.get("outcome", ""))
                           for part in incident.evidence or []] if page.show_errors else [],
            updates=[PublicUpdate(status=update.status, status_label=update.get_status_display(),
                                  message=update.message, posted_at=update.posted_at)
                     for update in sorted(incident.updates.all(),
                                          key=lambda u: (u.posted_at, u.pk), reverse=True)],
        )

    return [public(incident) for incident in open_ones], [public(incident) for incident in past]


def _maintenance(windows: dict[int, list[MaintenanceWindow]], names: dict[int, str],
                 in_maintenance: dict[int, datetime | None], now: datetime
                 ) -> tuple[list[PublicMaintenance], list[PublicMaintenance]]:
    """Maintenance in effect now, and the planned kind: one-off windows still to come (the
    soonest first) and weekly ones. A window's note is not shown: it was written for the
    owner's team, before pages existed."""
    current = [PublicMaintenance(name=names[monitor_id], until=until)
               for monitor_id, until in in_maintenance.items() if until is not None]
    upcoming, weekly = [], []
    for monitor_id, monitor_windows in windows.items():
        for window in monitor_windows:
            if window.kind == MaintenanceWindow.Kind.WEEKLY:
                weekly.append(PublicMaintenance(name=names[monitor_id], weekly=_weekly(window)))
            elif window.starts_at and window.starts_at > now:
                upcoming.append(PublicMaintenance(name=names[monitor_id],
                                                  starts_at=window.starts_at,
                                                  ends_at=window.ends_at))
    upcoming.sort(key=lambda item: item.starts_at)
    return current, (upcoming + weekly)[:MAX_SCHEDULED_MAINTENANCE]


def _weekly(window: MaintenanceWindow) -> str:
    if None in (window.weekday, window.start_time, window.duration_minutes):
        return "weekly"
    day = MaintenanceWindow.Weekday(window.weekday).label.title()
    duration = format_duration(timedelta(minutes=window.duration_minutes))
    return f"every {day} at {window.start_time:%H:%M} ({window.timezone}) for {duration}"

