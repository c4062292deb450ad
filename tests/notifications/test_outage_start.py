"""Notifications say when the outage began (its first failed check) and count its duration from
there, not from the later moment the failure threshold was reached."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from incidents.models import Incident
from monitors.checking import record_result
from monitors.outcomes import Outcome, ProbeResult
from notifications import delivery
from notifications.models import Delivery, NotificationChannel
from tests.factories import MonitorFactory, NotificationChannelFactory

pytestmark = pytest.mark.django_db

UP = ProbeResult(Outcome.OK, "HTTP 200", status_code=200, response_ms=12)
DOWN = ProbeResult(Outcome.TIMEOUT, "timed out after 5.0 s")
MINUTE = timedelta(minutes=1)


@pytest.fixture
def start():
    return timezone.now().replace(microsecond=0) - timedelta(hours=2)


def outage(owner, start, *, failures: int, threshold: int = 3) -> Incident:
    """Up at `start`, then `failures` failed checks a minute apart, then up again."""
    monitor = MonitorFactory(owner=owner, name="Checkout", url="https://shop.example.com/",
                             failure_threshold=threshold)
    results = [UP, *[DOWN] * failures, UP]
    for i, result in enumerate(results):
        record_result(monitor.pk, result, checked_at=start + i * MINUTE)
    return Incident.objects.get(monitor=monitor)


def deliver(event: str) -> None:
    for sent in Delivery.objects.filter(event=event):
        delivery.attempt(sent.pk)


def test_the_email_says_down_since_the_first_failure_and_down_for_the_whole_outage(start):
    channel = NotificationChannelFactory(
        kind=NotificationChannel.Kind.EMAIL, config={"to": "ops@example.com"}
    )
    # Failures at minutes 1..5, threshold 3: opened at minute 3, began at 1, up at 6.
    incident = outage(channel.owner, start, failures=5)
    assert (incident.started_at, incident.opened_at) == (start + MINUTE, start + 3 * MINUTE)

    deliver("incident.opened")
    deliver("incident.resolved")

    opened, resolved = mail.outbox
    began = f"{start + MINUTE:%Y-%m-%d %H:%M:%S} UTC"
    assert f"Since:  {began}" in opened.body
    assert resolved.subject == "[UP] Checkout (down 5m)"
    assert resolved.body.startswith("Checkout is back up after 5m.")
    assert f"Down from:  {began}" in resolved.body
    assert "Downtime:   5m" in resolved.body
    [(html, _)] = resolved.alternatives
    assert "It was down for 5m." in html


def test_the_webhook_carries_both_times_and_the_duration_from_the_start(start, receiver):
    channel = NotificationChannelFactory(config={"url": receiver.url})
    outage(channel.owner, start, failures=4)

    deliver("incident.resolved")

    [request] = receiver.requests
    body = request.json()
    assert body["incident"]["started_at"] == (start + MINUTE).isoformat()
    assert body["incident"]["opened_at"] == (start + 3 * MINUTE).isoformat()
    assert body["incident"]["duration_seconds"] == 4 * 60
    assert body["text"] == "Checkout is back UP after 4m."


def test_a_reminder_counts_the_time_down_from_the_first_failure(start, receiver):
    channel = NotificationChannelFactory(config={"url": receiver.url})
    monitor = MonitorFactory(owner=channel.owner, name="Checkout", failure_threshold=3)
    # Down from 2 h ago; the threshold is reached an hour later. Still down.
    for at in (start, start + timedelta(minutes=30), start + timedelta(minutes=60)):
        record_result(monitor.pk, DOWN, checked_at=at)
    incident = Incident.objects.get()
    Delivery.objects.create(incident=incident, channel=channel, event="incident.reminder")

    deliver("incident.reminder")

    [request] = receiver.requests
    assert request.json()["text"].startswith("Checkout is still DOWN, for 2h")
