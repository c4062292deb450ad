"""Writing notification intents in the incident's transaction, and publishing them after.

Who hears about an incident:
- incident.opened: the monitor's channels, except escalation channels;
- incident.escalated: an escalation channel, once the incident has been open and
  unacknowledged for its escalate_after_minutes (notifications/follow_up.py);
- incident.reminder: a channel with remind_every_minutes that was told about the incident,
  while it stays open and unacknowledged (notifications/follow_up.py);
- incident.resolved: every channel that was told it opened (or escalated), and only those.

During a maintenance window the rows are written HELD until the window ends; follow_up.py
releases them then, or suppresses them when the outage they announce is already over.
"""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import Delivery, Event, NotificationChannel

# The events that tell a channel an incident exists; a resolution goes to those channels.
ANNOUNCEMENTS = (Event.INCIDENT_OPENED, Event.INCIDENT_ESCALATED)


def channels_for(monitor) -> QuerySet[NotificationChannel]:
    # One rule for who hears of an incident: the web's "alerts nobody" notice reads it too.
    return NotificationChannel.objects.recipients_for(monitor)


def announced_channels(incident) -> QuerySet[NotificationChannel]:
    """Enabled channels that were (or are about to be) told this incident opened."""
    told = Delivery.objects.filter(incident=incident, event__in=ANNOUNCEMENTS).exclude(
        status__in=[Delivery.Status.SUPPRESSED, Delivery.Status.HELD]
    )
    return NotificationChannel.objects.filter(
        is_enabled=True, pk__in=told.values("channel_id")
    ).distinct()


def enqueue(incident, event: str, *, channels=None, sequence: int = 0) -> list[Delivery]:
    """Record one Delivery per channel and publish them once the transaction commits.

    If the process dies between the commit and the publish, the rows are still there and
    the periodic sweep publishes them: nothing is lost, and the unique key plus the claim in
    the task keep a double publish harmless.
    """
    if channels is None:
        channels = default_channels(incident, event)
    same_event = Delivery.objects.filter(incident=incident, event=event, sequence=sequence)
    # Only new rows are published: one that exists is sent, failed, or waiting out a backoff
    # that publishing it again would cut short.
    existing = set(same_event.values_list("channel_id", flat=True))
    new_channel_ids = [channel.pk for channel in channels if channel.pk not in existing]
    if not new_channel_ids:
        return []
    held_until = incident.monitor.maintenance_until()
    status = Delivery.Status.HELD if held_until else Delivery.Status.PENDING
    Delivery.objects.bulk_create(
        [
            Delivery(
                incident=incident,
                channel_id=channel_id,
                event=event,
                sequence=sequence,
                status=status,
                next_attempt_at=held_until or timezone.now(),
            )
            for channel_id in new_channel_ids
        ],
        ignore_conflicts=True,
    )
    created = list(same_event.filter(channel_id__in=new_channel_ids))
    ids = [delivery.pk for delivery in created if delivery.status == Delivery.Status.PENDING]
    if ids:
        # robust: a broker outage at publish time is logged; the sweep retries later.
        transaction.on_commit(lambda: publish(ids), robust=True)
    return created


def default_channels(incident, event: str) -> list[NotificationChannel]:
    if event == Event.INCIDENT_OPENED:
        return list(channels_for(incident.monitor).filter(escalate_after_minutes__isnull=True))
    if event == Event.INCIDENT_RESOLVED:
        from .follow_up import release

        held = Delivery.objects.filter(
            incident=incident, event__in=ANNOUNCEMENTS, status=Delivery.Status.HELD
        )
        if incident.monitor.maintenance_until():
            # An outage that began and ends inside a maintenance window is not news: its held
            # announcements are dropped rather than followed by a resolution.
            held.update(status=Delivery.Status.SUPPRESSED)
        else:
            # The window ended (or was cut short) before the follow-up sweep came round: the
            # outage outlived it, so it is announced, then resolved.
            release(held)
        return list(announced_channels(incident))
    raise ValueError(f"{event} is sent to channels chosen by the caller")


def publish(delivery_ids: list[int]) -> None:
    from .tasks import deliver

    for delivery_id in delivery_ids:
        deliver.delay(delivery_id)
