"""One attempt at one Delivery: claim it, send it through its transport, log what happened."""

import random
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from .messages import CertificateNotification, Notification
from .models import Delivery, Event, NotificationLog
from .transports import TransportError

# Longer than any attempt can take (the transport's timeouts plus the task's hard limit), so a
# live attempt is never claimed twice, and short enough that a dead worker's claim comes back.
ATTEMPT_LEASE_SECONDS = 120
MAX_BACKOFF_SECONDS = 15 * 60


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with jitter, so many failed deliveries do not retry in lockstep."""
    base = settings.UPTIME_NOTIFICATION_BACKOFF_SECONDS * 2 ** (attempt - 1)
    return min(MAX_BACKOFF_SECONDS, base) * random.uniform(0.8, 1.2)


def claim(delivery_id: int) -> Delivery | None:
    """Compare-and-set: only one attempt at a time, none after it was delivered or failed."""
    now = timezone.now()
    claimable = models.Q(status=Delivery.Status.PENDING) | models.Q(
        status=Delivery.Status.SENDING, lease_until__lt=now
    )
    claimed = Delivery.objects.filter(claimable, pk=delivery_id).update(
        status=Delivery.Status.SENDING,
        lease_until=now + timedelta(seconds=ATTEMPT_LEASE_SECONDS),
        attempts=models.F("attempts") + 1,
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("incident__monitor", "monitor", "channel").get(
        pk=delivery_id
    )


def notification_for(delivery: Delivery) -> Notification:
    """What the transport sends: an incident's notification, or a monitor's own event."""
    if delivery.event == Event.CERTIFICATE_EXPIRING:
        return CertificateNotification(
            event=delivery.event,
            incident=None,
            monitor=delivery.monitor,
            idempotency_key=delivery.idempotency_key,
            expires_at=delivery.certificate_expires_at,
            fingerprint=delivery.certificate_fingerprint,
        )
    return Notification(
        event=delivery.event,
        incident=delivery.incident,
        monitor=delivery.incident.monitor,
        idempotency_key=delivery.idempotency_key,
    )


def attempt(delivery_id: int) -> float | None:
    """Make one attempt. Returns the seconds to wait before retrying, or None when done
    (delivered, failed for good, or not ours to send)."""
    delivery = claim(delivery_id)
    if delivery is None:
        return None
    if delivery.is_moot():
        _finish(delivery, Delivery.Status.SUPPRESSED)
        return None
    try:
        response = delivery.channel.transport.notify(notification_for(delivery))
    except TransportError as error:
        return _failed(delivery, error)
    _finish(delivery, Delivery.Status.DELIVERED, delivered_at=timezone.now(), last_error="")
    _log(delivery, NotificationLog.Outcome.DELIVERED, response=response)
    return None


def _failed(delivery: Delivery, error: TransportError) -> float | None:
    final = error.permanent or delivery.attempts >= settings.UPTIME_NOTIFICATION_MAX_ATTEMPTS
    if final:
        _finish(delivery, Delivery.Status.FAILED, last_error=error.message[:500])
        _log(delivery, NotificationLog.Outcome.FAILED, error=error)
        return None
    wait = backoff_seconds(delivery.attempts)
    if error.retry_after:
        # A provider that rate-limits us says for how long; retrying sooner only earns
        # another 429 and spends an attempt.
        wait = max(wait, min(error.retry_after, MAX_BACKOFF_SECONDS))
    _finish(
        delivery,
        Delivery.Status.PENDING,
        last_error=error.message[:500],
        next_attempt_at=timezone.now() + timedelta(seconds=wait),
    )
    _log(delivery, NotificationLog.Outcome.RETRYING, error=error)
    return wait


def _finish(delivery: Delivery, status: str, **fields) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(status=status, lease_until=None, **fields)


def _log(delivery: Delivery, outcome: str, *, error: TransportError | None = None,
         response: str = "") -> None:
    NotificationLog.objects.create(
        delivery=delivery,
        incident_id=delivery.incident_id,
        channel_id=delivery.channel_id,
        event=delivery.event,
        attempt=delivery.attempts,
        outcome=outcome,
        error=error.message[:500] if error else "",
        response=(error.response if error else response)[:500],
    )


def sweep() -> list[int]:
    """Publish deliveries that were committed but never sent (or whose worker died)."""
    from .outbox import publish

    stuck = list(Delivery.objects.stuck().values_list("pk", flat=True)[:500])
    publish(stuck)
    return stuck
