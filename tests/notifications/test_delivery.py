from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications import delivery
from notifications.models import Delivery, NotificationChannel, NotificationLog
from notifications.tasks import deliver
from tests.factories import IncidentFactory, MonitorFactory, NotificationChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook_delivery(receiver):
    monitor = MonitorFactory(name="Billing API", url="https://billing.example.com/health")
    channel = NotificationChannelFactory(owner=monitor.owner, config={"url": receiver.url})
    incident = IncidentFactory(monitor=monitor, cause="expected 200, got 503")
    return Delivery.objects.create(incident=incident, channel=channel, event="incident.opened")


def test_a_webhook_receives_the_event_the_monitor_and_the_incident(webhook_delivery, receiver):
    assert delivery.attempt(webhook_delivery.pk) is None

    [payload] = receiver.received
    assert payload["event"] == "incident.opened"
    assert payload["monitor"]["name"] == "Billing API"
    assert payload["incident"]["id"] == webhook_delivery.incident_id
    assert payload["incident"]["cause"] == "expected 200, got 503"
    assert "Billing API is DOWN" in payload["text"]
    assert receiver.headers[0]["Idempotency-Key"] == webhook_delivery.idempotency_key
    webhook_delivery.refresh_from_db()
    assert webhook_delivery.status == Delivery.Status.DELIVERED
    log = NotificationLog.objects.get()
    assert (log.outcome, log.attempt, log.response) == ("delivered", 1, "HTTP 200")


def test_transient_failures_retry_with_growing_backoff(webhook_delivery, receiver, settings):
    settings.UPTIME_NOTIFICATION_BACKOFF_SECONDS = 10
    receiver.statuses = [503, 500]

    first_wait = delivery.attempt(webhook_delivery.pk)
    second_wait = delivery.attempt(webhook_delivery.pk)
    assert 8 <= first_wait <= 12 and 16 <= second_wait <= 24
    assert delivery.attempt(webhook_delivery.pk) is None

    assert receiver.events() == ["incident.opened"]
    assert list(
        NotificationLog.objects.order_by("id").values_list("attempt", "outcome")
    ) == [(1, "retrying"), (2, "retrying"), (3, "delivered")]


def test_it_gives_up_after_the_last_attempt(webhook_delivery, receiver, settings):
    settings.UPTIME_NOTIFICATION_MAX_ATTEMPTS = 2
    receiver.statuses = [500, 500, 500]

    assert delivery.attempt(webhook_delivery.pk) is not None
    assert delivery.attempt(webhook_delivery.pk) is None

    webhook_delivery.refresh_from_db()
    assert webhook_delivery.status == Delivery.Status.FAILED
    assert "HTTP 500" in webhook_delivery.last_error
    assert NotificationLog.objects.filter(outcome="failed").count() == 1
    # Failed for good: nothing more is attempted.
    assert delivery.attempt(webhook_delivery.pk) is None
    assert receiver.statuses == [500]


def test_a_client_error_fails_at_once(webhook_delivery, receiver):
    receiver.statuses = [404]
    assert delivery.attempt(webhook_delivery.pk) is None
    webhook_delivery.refresh_from_db()
    assert webhook_delivery.status == Delivery.Status.FAILED
    assert webhook_delivery.attempts == 1


def test_an_unreachable_receiver_is_retried(webhook_delivery, receiver):
    receiver.stop()
    assert delivery.attempt(webhook_delivery.pk) is not None
    assert NotificationLog.objects.get().outcome == "retrying"


def test_a_duplicated_task_delivers_once(webhook_delivery, receiver):
    deliver.apply(args=(webhook_delivery.pk,))
    deliver.apply(args=(webhook_delivery.pk,))
    assert receiver.events() == ["incident.opened"]
    assert NotificationLog.objects.count() == 1


def test_a_delivery_in_flight_cannot_be_claimed_twice(webhook_delivery):
    assert delivery.claim(webhook_delivery.pk) is not None
    assert delivery.claim(webhook_delivery.pk) is None


def test_a_dead_workers_claim_expires(webhook_delivery, receiver):
    delivery.claim(webhook_delivery.pk)
    Delivery.objects.filter(pk=webhook_delivery.pk).update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert delivery.attempt(webhook_delivery.pk) is None
    assert receiver.events() == ["incident.opened"]


def test_the_task_retries_through_celery(webhook_delivery, receiver):
    receiver.statuses = [503]
    # apply() runs the task in this process, and Celery runs its retry the same way.
    deliver.apply(args=(webhook_delivery.pk,))

    assert receiver.events() == ["incident.opened"]
    assert list(
        NotificationLog.objects.order_by("id").values_list("outcome", flat=True)
    ) == ["retrying", "delivered"]


def test_email_says_what_is_down_and_then_how_long(receiver):
    monitor = MonitorFactory(name="Checkout")
    channel = NotificationChannelFactory(
        owner=monitor.owner, kind=NotificationChannel.Kind.EMAIL, config={"to": "ops@example.com"}
    )
    incident = IncidentFactory(monitor=monitor, cause="timed out after 5.0 s")
    opened = Delivery.objects.create(incident=incident, channel=channel, event="incident.opened")
    delivery.attempt(opened.pk)
    incident.resolve(at=incident.opened_at + timedelta(minutes=4, seconds=3))
    resolved = Delivery.objects.create(
        incident=incident, channel=channel, event="incident.resolved"
    )
    delivery.attempt(resolved.pk)

    down, up = mail.outbox
    assert down.subject == "[DOWN] Checkout" and down.to == ["ops@example.com"]
    assert "timed out after 5.0 s" in down.body
    assert up.subject == "[UP] Checkout (down 4m 3s)"
    assert "Downtime:   4m 3s" in up.body


def test_the_sweep_publishes_intents_that_were_never_sent(webhook_delivery, queue_length):
    assert delivery.sweep() == []  # fresh: its own on_commit publish is still expected

    Delivery.objects.filter(pk=webhook_delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    assert delivery.sweep() == [webhook_delivery.pk]
    assert queue_length("notifications") == 1


def test_channel_config_is_validated():
    channel = NotificationChannelFactory.build(config={"url": "ftp://example.com"})
    with pytest.raises(Exception) as error:
        channel.full_clean()
    assert "http:// and https://" in str(error.value)
