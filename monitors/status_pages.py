"""Public status pages: monitors a user chose, shown to anyone at /status/<slug>/ (or at the
root of the page's own domain), with their state, 90 days of daily uptime, incidents and
maintenance.

A page shows only what its owner chose: the monitors listed on it, under the names given here
(their own names by default). Never a monitor's URL or host, never its owner; an incident's
cause and the errors of its regions only when the owner opts in with `show_errors` (they often
name a host or an address). What the public sees is put together in monitors/public_status.py;
serving, caching and live updates are uptime/public_pages.py's.
"""

import ipaddress
import re
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

MAX_MONITORS = 200
MAX_SECTIONS = 20
MAX_SECTION_NAME = 100
MAX_DISPLAY_NAME = 200

_slug = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?")
_label = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def validate_slug(value: str) -> None:
    if not isinstance(value, str) or not _slug.fullmatch(value):
        raise ValidationError(
            "Use 1 to 60 lowercase letters, digits and hyphens, starting and ending with a "
            "letter or digit (it is the page's address: /status/<slug>/).", code="invalid")


def normalize_domain(value: str) -> str:
    """How a custom domain is stored and matched: lower case, no trailing dot."""
    return value.strip().lower().rstrip(".") if isinstance(value, str) else value


def is_hostname(value: str) -> bool:
    """A DNS name of two labels or more (status.example.com), not an IP address."""
    if not value or len(value) > 253 or "." not in value:
        return False
    try:
        ipaddress.ip_address(value)
        return False
    except ValueError:
        pass
    labels = value.split(".")
    # The last label of a real name is never all digits (that would be an IPv4 address).
    return all(_label.fullmatch(label) for label in labels) and not labels[-1].isdigit()


def own_hosts() -> set[str]:
    """The names this server answers as itself: SITE_URL's host and ALLOWED_HOSTS' exact
    names. A status page may not claim one, and a request for one is never a custom domain."""
    hosts = {urlsplit(settings.SITE_URL).hostname or ""}
    hosts.update(host.lower() for host in settings.ALLOWED_HOSTS
                 if host != "*" and not host.startswith("."))
    return hosts - {""}


def validate_custom_domain(value: str) -> None:
    if not value:
        return
    if not is_hostname(value):
        raise ValidationError(
            "Enter a domain name such as status.example.com (no scheme, port or path).",
            code="invalid")
    if value in own_hosts():
        raise ValidationError("That is this server's own address; use a domain of yours.",
                              code="own_host")


class ComponentStatus(models.TextChoices):
    """A monitor as the public page shows it. Pending (failing, fewer times than the
    threshold) shows as operational: the owner's threshold says when a failure is an outage,
    and a blip the owner is not alerted about is not one for the public either."""

    OPERATIONAL = "operational", "Operational"
    DEGRADED = "degraded", "Degraded performance"
    OUTAGE = "outage", "Outage"
    MAINTENANCE = "maintenance", "Under maintenance"
    UNKNOWN = "unknown", "No data"


class OverallStatus(models.TextChoices):
    OPERATIONAL = "operational", "All systems operational"
    DEGRADED = "degraded", "Degraded performance"
    PARTIAL_OUTAGE = "partial_outage", "Partial outage"
    MAJOR_OUTAGE = "major_outage", "Major outage"
    MAINTENANCE = "maintenance", "Maintenance in progress"
    UNKNOWN = "unknown", "No data yet"


def component_status(monitor_status: str, *, in_maintenance: bool) -> ComponentStatus:
    """A monitor's public state from its status: a maintenance window in effect wins over
    whatever the checks say (the outage is planned); paused and unknown have no data."""
    from .models import Monitor

    if in_maintenance:
        return ComponentStatus.MAINTENANCE
    return {
        Monitor.Status.UP: ComponentStatus.OPERATIONAL,
        Monitor.Status.PENDING: ComponentStatus.OPERATIONAL,
        Monitor.Status.DEGRADED: ComponentStatus.DEGRADED,
        Monitor.Status.DOWN: ComponentStatus.OUTAGE,
    }.get(monitor_status, ComponentStatus.UNKNOWN)


def overall_status(statuses: Iterable[str]) -> OverallStatus:
    """The page's banner from its monitors' public states.

    Of the monitors with data (not unknown): a major outage when more than half of them are
    down (a single monitor down is all of them), a partial outage when some are; otherwise
    degraded if one is, maintenance if one is under maintenance, else operational. A page
    whose monitors have no data at all says so rather than claiming all is well.
    """
    statuses = list(statuses)
    known = [status for status in statuses if status != ComponentStatus.UNKNOWN]
    if not known:
        return OverallStatus.UNKNOWN
    down = known.count(ComponentStatus.OUTAGE)
    if down * 2 > len(known):
        return OverallStatus.MAJOR_OUTAGE
    if down:
        return OverallStatus.PARTIAL_OUTAGE
    if ComponentStatus.DEGRADED in known:
        return OverallStatus.DEGRADED
    if ComponentStatus.MAINTENANCE in known:
        return OverallStatus.MAINTENANCE
    return OverallStatus.OPERATIONAL


class StatusPage(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="status_pages")
    slug = models.CharField(
        max_length=60, unique=True, validators=[validate_slug],
        help_text="The page's address: /status/<slug>/. Lowercase letters, digits, hyphens.",
        error_messages={"unique": "That address is taken: choose another slug."})
    title = models.CharField(max_length=120)
    description = models.TextField(max_length=1000, blank=True)
    custom_domain = models.CharField(
        max_length=253, blank=True, default="", validators=[validate_custom_domain],
        help_text="Optional: a domain of yours (status.example.com) that shows this page at its "
        "root. Point its DNS at this server.")
    show_errors = models.BooleanField(
        default=False,
        help_text="Show incidents' causes (check errors, which may name hosts and addresses). "
        "Off: the page says only what is down and since when.")
    # Named groups of the page's monitors, in order: [{"name": "API", "monitors": [ids]}].
    # Monitors in no section are listed first, without a heading.
    sections = models.JSONField(default=list, blank=True)
    monitors = models.ManyToManyField("monitors.Monitor", through="StatusPageMonitor",
                                      related_name="status_pages", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(fields=["custom_domain"],
                                    condition=~models.Q(custom_domain=""),
                                    name="one_status_page_per_custom_domain"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean_fields(self, exclude=None) -> None:
        # Stored as matched (lower case, no trailing dot), before the validators look at it.
        self.custom_domain = normalize_domain(self.custom_domain or "")
        super().clean_fields(exclude)

    def clean(self) -> None:
        super().clean()
        if self.custom_domain and StatusPage.objects.filter(
                custom_domain=self.custom_domain).exclude(pk=self.pk).exists():
            raise ValidationError({"custom_domain": "Another status page uses this domain."})

    @property
    def public_path(self) -> str:
        return f"/status/{self.slug}/"

    @property
    def public_url(self) -> str:
        return f"{settings.SITE_URL}{self.public_path}"

    # --- the monitors on the page -----------------------------------------------------------

    def validate_layout(self, monitor_ids: list[int], display_names: dict[int, str],
                        sections: list[dict]) -> None:
        """The rules for what a page lists, whoever edits it (API, web, admin): only the
        owner's monitors, each once; display names and sections only for those monitors.
        Raises ValidationError keyed by field."""
        errors: dict[str, list[str]] = {}
        if len(monitor_ids) > MAX_MONITORS:
            errors["monitors"] = [f"At most {MAX_MONITORS} monitors on one page."]
        elif len(set(monitor_ids)) != len(monitor_ids):
            twice = sorted({i for i in monitor_ids if monitor_ids.count(i) > 1})
            errors["monitors"] = [f"Monitor {twice[0]} is listed twice."]
        else:
            from .models import Monitor

            owned = set(Monitor.objects.filter(owner_id=self.owner_id, pk__in=monitor_ids)
                        .values_list("pk", flat=True))
            missing = [i for i in monitor_ids if i not in owned]
            if missing:
                errors["monitors"] = [
                    f"No monitor of yours has the id {missing[0]}: a page shows its owner's "
                    "monitors only."]
        listed = set(monitor_ids)
        strangers = [i for i in display_names if i not in listed]
        if strangers:
            errors["display_names"] = [f"{strangers[0]} is not one of this page's monitors."]
        elif any(len(name) > MAX_DISPLAY_NAME for name in display_names.values()):
            errors["display_names"] = [f"A name may be at most {MAX_DISPLAY_NAME} characters."]
        if problem := section_problem(sections, listed):
            errors["sections"] = [problem]
        if errors:
            raise ValidationError(errors)

    @transaction.atomic
    def set_layout(self, monitor_ids: list[int], display_names: dict[int, str],
                   sections: list[dict]) -> None:
        """Replace the page's monitors (in this order), their names and its sections. Call
        after validate_layout()."""
        self.entries.all().delete()
        StatusPageMonitor.objects.bulk_create([
            StatusPageMonitor(page=self, monitor_id=monitor_id, position=position,
                              display_name=display_names.get(monitor_id, ""))
            for position, monitor_id in enumerate(monitor_ids)])
        self.sections = [{"name": section["name"], "monitors": list(section["monitors"])}
                         for section in sections]
        # A save, not an update(): what listens for the page's changes (its cached public
        # copy, uptime/public_page_signals.py) hears of this one too.
        self.save(update_fields=["sections", "updated_at"])

    def layout(self) -> tuple[list[int], dict[int, str], list[dict]]:
        """(monitor ids in order, display names, sections) as stored, sections without the
        monitors deleted since. Reads prefetched entries if any."""
        entries = list(self.entries.all())
        monitor_ids = [entry.monitor_id for entry in entries]
        names = {entry.monitor_id: entry.display_name for entry in entries if entry.display_name}
        present = set(monitor_ids)
        sections = [{"name": section["name"],
                     "monitors": [i for i in section["monitors"] if i in present]}
                    for section in self.sections or []]
        return monitor_ids, names, sections

    def groups(self, entries: list["StatusPageMonitor"]) -> list[tuple[str, list]]:
        """`entries` (this page's, in order) as the page lists them: those in no section
        first under no heading, then each section in order, its monitors in its order."""
        by_monitor = {entry.monitor_id: entry for entry in entries}
        sections = [(section["name"], [by_monitor[i] for i in section["monitors"]
                                       if i in by_monitor])
                    for section in self.sections or []]
        in_sections = {entry.monitor_id for _, members in sections for entry in members}
        loose = [entry for entry in entries if entry.monitor_id not in in_sections]
        return ([("", loose)] if loose else []) + [
            (name, members) for name, members in sections if members]

    def overall_status(self, now: datetime | None = None) -> OverallStatus:
        """The banner's status now (see overall_status()): the page's monitors and their
        maintenance windows, in two queries."""
        from .models import maintenance_until

        now = now or timezone.now()
        entries = self.entries.select_related("monitor").prefetch_related(
            "monitor__maintenance_windows")
        return overall_status(
            component_status(entry.monitor.status, in_maintenance=maintenance_until(
                entry.monitor.maintenance_windows.all(), now) is not None)
            for entry in entries)


def section_problem(sections: object, monitor_ids: set[int]) -> str | None:
    """What is wrong with `sections` for a page listing `monitor_ids`, or None."""
    if not isinstance(sections, list):
        return 'Give a list such as [{"name": "API", "monitors": [1, 2]}].'
    if len(sections) > MAX_SECTIONS:
        return f"At most {MAX_SECTIONS} sections."
    names: set[str] = set()
    placed: set[int] = set()
    for section in sections:
        if not isinstance(section, dict) or set(section) != {"name", "monitors"}:
            return 'Each section is {"name": "...", "monitors": [ids]}.'
        name, ids = section["name"], section["monitors"]
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_SECTION_NAME:
            return f"A section needs a name of 1 to {MAX_SECTION_NAME} characters."
        if name in names:
            return f"Two sections are named {name!r}."
        names.add(name)
        if not isinstance(ids, list) or not all(
                isinstance(i, int) and not isinstance(i, bool) for i in ids):
            return f"Section {name!r}: list the monitors by id."
        for monitor_id in ids:
            if monitor_id not in monitor_ids:
                return f"Section {name!r}: {monitor_id} is not one of this page's monitors."
            if monitor_id in placed:
                return f"Monitor {monitor_id} is in two sections."
            placed.add(monitor_id)
    return None


class StatusPageMonitor(models.Model):
    """One monitor on one status page, in its place and under the name the page gives it."""

    page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="entries")
    monitor = models.ForeignKey("monitors.Monitor", on_delete=models.CASCADE,
                                related_name="status_page_entries")
    position = models.PositiveIntegerField(default=0)
    display_name = models.CharField(
        max_length=MAX_DISPLAY_NAME, blank=True,
        help_text="The name the page shows. Empty: the monitor's own name.")

    class Meta:
        ordering = ["page", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["page", "monitor"], name="one_entry_per_page_monitor"),
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.page}"

    @property
    def name(self) -> str:
        return self.display_name or self.monitor.name
