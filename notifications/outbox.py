"""Writing notification intents in the incident's transaction, and publishing them after.

Who hears about an incident:
- incident.opened: the monitor's channels, except escalation channels;
- incident.escalated: an escalation channel, once the incident has been open and
  unacknowledged for its escalate_after_minutes (notifications/follow_up.py);
- incident.reminder: a channel with remind_every_minutes that was told about the incident,
  while it stays open and unacknowledged (notifications/follow_up.py);
- incident.resolved: every channel that was told it opened (or escalated), and only those;
- certificate.expiring (a monitor's, no incident): the channels an incident.opened goes to,
  escalation channels included (a warning days ahead is for everyone who would be paged).

During a maintenance window the incident rows are written HELD until the window ends;
follow_up.py releases them then, or suppresses them when the outage they announce is already
over. A certificate warning is not held: it is no outage, and the certificate expires on its
own schedule whatever the window.
"""

import logging

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from .models import Delivery, Event, NotificationChannel

logger = logging.getLogger(__name__)

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


def enqueue_certificate_expiring(monitor, certificate) -> list[Delivery]:
    """One certificate.expiring Delivery per channel of `monitor`, about `certificate` (a
    monitors.outcomes.CertificateSeen), published once the transaction commits. The caller
    (Monitor.warn_certificate_expiring) claimed the certificate first; the unique key on
    (monitor, channel, event, fingerprint) still makes a second write of it a no-op."""
    event = Event.CERTIFICATE_EXPIRING
    channel_ids = list(channels_for(monitor).values_list("pk", flat=True))
    same_certificate = Delivery.objects.filter(
        monitor=monitor, event=event, certificate_fingerprint=certificate.fingerprint
    )
    existing = set(same_certificate.values_list("channel_id", flat=True))
    new_channel_ids = [pk for pk in channel_ids if pk not in existing]
    if not new_channel_ids:
        return []
    Delivery.objects.bulk_create(
        [
            Delivery(
                monitor=monitor,
                channel_id=channel_id,
                event=event,
                certificate_fingerprint=certificate.fingerprint,
                certificate_expires_at=certificate.expires_at,
                next_attempt_at=timezone.now(),
            )
            for channel_id in new_channel_ids
        ],
        ignore_conflicts=True,
    )
    created = list(same_certificate.filter(channel_id__in=new_channel_ids))
    if created:
        ids = [delivery.pk for delivery in created]
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
    """Hand the committed deliveries to the notifications queue. A broker that is away loses
    nothing: the rows stay pending and the outbox sweep publishes them, so one line says so
    instead of a traceback from the commit hook."""
    from .tasks import deliver

    for position, delivery_id in enumerate(delivery_ids):
        try:
            deliver.delay(delivery_id)
        except BrokerError as error:
            logger.warning("outbox: %d deliveries not published (%s); the outbox sweep will",
                           len(delivery_ids) - position, error)
            return
