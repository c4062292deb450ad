"""What happens to an incident after it opened, without a check to trigger it: reminders while
nobody acknowledges it, escalation to more channels, and the release of notifications that a
maintenance window held back. Beat runs follow_up() every UPTIME_FOLLOW_UP_SECONDS.

Every row this writes has a unique key (incident, channel, event, sequence), so two sweeps
racing, or one that runs twice, write each reminder and escalation once.
"""

import math
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from incidents.models import Incident

from .models import Delivery, Event, NotificationChannel
from .outbox import announced_channels, channels_for, enqueue, publish


def follow_up(now: datetime | None = None) -> dict[str, int]:
    """One sweep. Returns how many deliveries it released, suppressed and wrote."""
    now = now or timezone.now()
    counts = release_held_deliveries(now)
    counts["escalations"] = counts["reminders"] = 0
    unacknowledged = Incident.objects.open().filter(
        acknowledged_at__isnull=True, monitor__is_paused=False
    )
    for incident in unacknowledged.select_related("monitor"):
        if incident.monitor.maintenance_until(now):
            continue
        with transaction.atomic():
            counts["escalations"] += len(escalate(incident, now))
            counts["reminders"] += len(remind(incident, now))
    return counts


def escalate(incident: Incident, now: datetime) -> list[Delivery]:
    age = now - incident.opened_at
    due = [
        channel
        for channel in channels_for(incident.monitor).filter(escalate_after_minutes__isnull=False)
        if age >= timedelta(minutes=channel.escalate_after_minutes)
    ]
    return enqueue(incident, Event.INCIDENT_ESCALATED, channels=due) if due else []


def remind(incident: Incident, now: datetime) -> list[Delivery]:
    """Reminder number k for each channel is due k * remind_every_minutes after that channel
    was told. Only the latest one due is written: a sweep that was down for an hour sends one
    reminder, not a burst of the ones it missed."""
    written = []
    for channel in announced_channels(incident).filter(remind_every_minutes__isnull=False):
        since = told_at(incident, channel)
        number = math.floor((now - since) / timedelta(minutes=channel.remind_every_minutes))
        if number >= 1:
            written += enqueue(
                incident, Event.INCIDENT_REMINDER, channels=[channel], sequence=number
            )
    return written


def told_at(incident: Incident, channel: NotificationChannel) -> datetime:
    if channel.escalate_after_minutes:
        return incident.opened_at + timedelta(minutes=channel.escalate_after_minutes)
    return incident.opened_at


def release_held_deliveries(now: datetime) -> dict[str, int]:
    """Deliveries held by a maintenance window that is over (it ended, or someone cut it
    short or deleted it): sent if the outage they are about still matters, suppressed if it
    ended inside the window."""
    released = suppressed = 0
    held = Delivery.objects.filter(status=Delivery.Status.HELD).select_related(
        "incident__monitor"
    )
    for delivery in held:
        incident = delivery.incident
        maintenance_ends = incident.monitor.maintenance_until(now)
        this_one = Delivery.objects.filter(pk=delivery.pk)
        if maintenance_ends:
            # Still on, or another window follows on: hold on until it ends.
            this_one.filter(status=Delivery.Status.HELD).update(next_attempt_at=maintenance_ends)
        elif delivery.event != Event.INCIDENT_RESOLVED and not incident.is_open:
            suppressed += suppress(this_one)
        else:
            released += release(this_one)
    return {"released": released, "suppressed": suppressed}


def release(held: QuerySet[Delivery]) -> int:
    """HELD -> PENDING, each row claimed with a conditional update so that a second sweep
    releases nothing twice; published after commit."""
    now = timezone.now()
    released = [
        pk
        for pk in held.filter(status=Delivery.Status.HELD).values_list("pk", flat=True)
        if Delivery.objects.filter(pk=pk, status=Delivery.Status.HELD).update(
            status=Delivery.Status.PENDING, next_attempt_at=now
        )
    ]
    if released:
        transaction.on_commit(lambda: publish(released), robust=True)
    return len(released)


def suppress(held: QuerySet[Delivery]) -> int:
    return held.filter(status=Delivery.Status.HELD).update(status=Delivery.Status.SUPPRESSED)
