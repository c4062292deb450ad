from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class IncidentQuerySet(models.QuerySet):
    def open(self) -> "IncidentQuerySet":
        return self.filter(resolved_at__isnull=True)

    def resolved(self) -> "IncidentQuerySet":
        return self.filter(resolved_at__isnull=False)


class Incident(models.Model):
    monitor = models.ForeignKey(
        "monitors.Monitor", on_delete=models.CASCADE, related_name="incidents"
    )
    # When the threshold was reached and the incident opened (and the alerts went out).
    opened_at = models.DateTimeField(default=timezone.now)
    # When the outage began: the first failed check of the run that opened it. What people
    # are told ("down since", "down for") counts from here.
    started_at = models.DateTimeField(
        blank=True, help_text="The time of the first failed check of the outage."
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    cause = models.CharField(max_length=500, help_text="The error of the check that opened it.")
    # A monitor checked from several regions: each region's part in opening it, as
    # [{"region", "outcome", "error", "failing_since"}] (monitors/quorum.py). Empty otherwise.
    evidence = models.JSONField(default=list, blank=True)
    opening_check = models.ForeignKey(
        "monitors.CheckResult", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        # The incident lists (web and API) read the newest first, a page at a time.
        indexes = [models.Index(fields=["-opened_at", "-id"], name="incident_newest_first")]
        constraints = [
            # The database, not only the code, guarantees one open incident per monitor:
            # two workers racing to open one get an IntegrityError, not two incidents.
            models.UniqueConstraint(
                fields=["monitor"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_incident_per_monitor",
            )
        ]

    def __str__(self) -> str:
        return f"{self.monitor} down since {self.down_since:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        # An incident made by hand (a test, the sample notification) began when it opened.
        if self.started_at is None:
            self.started_at = self.opened_at
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def down_since(self) -> datetime:
        """started_at, or opened_at on an incident not saved yet (save() copies it over)."""
        return self.started_at or self.opened_at

    @property
    def duration(self) -> timedelta:
        """How long the monitor has been (or was) down: from the first failed check."""
        return (self.resolved_at or timezone.now()) - self.down_since

    @property
    def headline(self) -> str:
        """The cause as the incident page shows it: for one that regions opened, the count
        alone ("down from 2 of 3 regions"), since its evidence lists each region's error."""
        if self.evidence:
            return self.cause.split(" (", 1)[0]
        return self.cause

    def resolve(self, *, at, check=None) -> "IncidentEvent":
        self.resolved_at = at
        self.save(update_fields=["resolved_at"])
        return self.events.create(
            kind=IncidentEvent.Kind.RESOLVED,
            at=at,
            check_result=check,
            message=f"Back up after {format_duration(self.duration)}.",
        )

    def acknowledge(self, user, *, at=None) -> "IncidentEvent | None":
        """Idempotent: only the first acknowledgement is kept and logged."""
        at = at or timezone.now()
        updated = Incident.objects.filter(pk=self.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=at, acknowledged_by=user
        )
        if not updated:
            return None
        self.acknowledged_at, self.acknowledged_by = at, user
        return self.events.create(
            kind=IncidentEvent.Kind.ACKNOWLEDGED, at=at, message=f"Acknowledged by {user}."
        )

    def post_update(self, *, status: str, message: str, author=None) -> "IncidentUpdate":
        """Add a note for the people affected (see IncidentUpdate); it changes nothing else."""
        return self.updates.create(status=status, message=message, author=author)


class IncidentEvent(models.Model):
    """The incident's timeline: opened (with the failing check's error), acknowledged, resolved."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    message = models.CharField(max_length=500, blank=True)
    check_result = models.ForeignKey(
        "monitors.CheckResult", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M:%S}"


class IncidentUpdate(models.Model):
    """A note the incident's owner posts for the people affected, shown on the incident's page
    and on every status page that lists its monitor: investigating, identified, monitoring,
    resolved, with a message.

    A note only: an incident opens and resolves with its monitor's checks (a "resolved" update
    does not resolve it, and an incident resolved by a check needs no update to be resolved).
    """

    MAX_MESSAGE = 5000

    class Status(models.TextChoices):
        INVESTIGATING = "investigating", "Investigating"
        IDENTIFIED = "identified", "Identified"
        MONITORING = "monitoring", "Monitoring"
        RESOLVED = "resolved", "Resolved"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=20, choices=Status.choices)
    message = models.TextField(max_length=MAX_MESSAGE)
    posted_at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["posted_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} at {self.posted_at:%Y-%m-%d %H:%M}"


def format_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    parts = [f"{days}d"] if days else []
    if hours:
        parts.append(f"{hours}h")
    if minutes:
        parts.append(f"{minutes}m")
    if seconds or not parts:
        parts.append(f"{seconds}s")
    return " ".join(parts)
