import hashlib
import hmac
import re
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import delivery
from notifications.models import NotificationLog
from notifications.sample import send_test_message
from notifications.transports.webhook import WebhookTransport, signature_headers
from tests.factories import (
    NotificationChannelFactory,
    delivery_for,
)
from tests.support.receiver import RecordedRequest

pytestmark = pytest.mark.django_db

SECRET = "whsec-s3cret-0123456789abcdef"



def verify(request: RecordedRequest, secret: str, *, tolerance_seconds: int = 300) -> bool:
    """What a receiver does, by the recipe in notifications/transports/webhook.py."""
    timestamp = request.headers["X-Uptime-Timestamp"]
    signed = timestamp.encode() + b"." + request.body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(timestamp)) <= tolerance_seconds
    return hmac.compare_digest(expected, request.headers["X-Uptime-Signature"]) and fresh


def test_a_signed_webhook_can_be_verified_over_the_raw_body(receiver):
    channel = NotificationChannelFactory(config={"url": receiver.url, "secret": SECRET})
    opened = delivery_for(channel)
    before = int(time.time())

    assert delivery.attempt(opened.pk) is None

    [request] = receiver.requests
    assert verify(request, SECRET)
    assert before <= int(request.headers["X-Uptime-Timestamp"]) <= time.time()
    assert not verify(request, "another-secret-0123456789")
    assert request.headers["Idempotency-Key"] == opened.idempotency_key
    assert request.headers["Content-Type"] == "application/json"
    assert request.json()["incident"]["id"] == opened.incident_id


def test_a_changed_body_or_an_old_timestamp_fails_verification(receiver):
    channel = NotificationChannelFactory(config={"url": receiver.url, "secret": SECRET})
    delivery.attempt(delivery_for(channel).pk)
    [request] = receiver.requests

    tampered = replace(request, body=request.body.replace(b"Billing", b"Bi11ing"))
    assert not verify(tampered, SECRET)
    # Signed by us, but a day ago: a replay of an old request.
    old = signature_headers(SECRET, request.body, timestamp=int(time.time()) - 86400)
    assert not verify(replace(request, headers={**request.headers, **old}), SECRET)


def test_each_retry_is_signed_when_it_is_sent(receiver):
    receiver.statuses = [503]
    channel = NotificationChannelFactory(config={"url": receiver.url, "secret": SECRET})
    opened = delivery_for(channel)

    assert delivery.attempt(opened.pk) is not None
    assert delivery.attempt(opened.pk) is None

    failed, delivered = receiver.requests
    assert (failed.status, delivered.status) == (503, 200)
    assert verify(failed, SECRET) and verify(delivered, SECRET)
    assert failed.headers["Idempotency-Key"] == delivered.headers["Idempotency-Key"]
    assert list(NotificationLog.objects.order_by("id").values_list("outcome", flat=True)) == [
        "retrying", "delivered"
    ]


def test_without_a_secret_nothing_is_signed(receiver):
    channel = NotificationChannelFactory(config={"url": receiver.url})

    delivery.attempt(delivery_for(channel).pk)

    [request] = receiver.requests
    assert "X-Uptime-Signature" not in request.headers
    assert "X-Uptime-Timestamp" not in request.headers


def test_a_refusal_shows_neither_the_secret_nor_the_urls_path(receiver):
    receiver.statuses = [401]
    channel = NotificationChannelFactory(
        config={"url": f"{receiver.url}/t0ken-in-path?key=t0ken-in-query", "secret": SECRET}
    )
    opened = delivery_for(channel)

    assert delivery.attempt(opened.pk) is None

    log = NotificationLog.objects.get()
    assert log.error == f"{receiver.base_url}/… answered HTTP 401"
    for secret in (SECRET, "t0ken"):
        assert secret not in log.error + log.response
    sample = send_test_message(channel)
    assert SECRET not in sample.error + sample.response


@pytest.mark.parametrize(
    ("event", "text"),
    [
        ("incident.opened", r"Billing API is DOWN: expected 200, got 503"),
        # An open incident's duration runs until the message is rendered: a slow run adds
        # seconds.
        ("incident.reminder", r"Billing API is still DOWN, for 10m( \d+s)? now: expected 200, "
                              "got 503"),
        ("incident.escalated", r"Billing API has been DOWN for 10m( \d+s)? and nobody has "
                               "acknowledged it: expected 200, got 503"),
        ("incident.resolved", r"Billing API is back UP after 10m\."),
    ],
)
def test_every_event_has_a_payload_and_a_text(receiver, event, text):
    opened_at = timezone.now() - timedelta(minutes=10)
    resolved_at = opened_at + timedelta(minutes=10) if event == "incident.resolved" else None
    channel = NotificationChannelFactory(config={"url": receiver.url})
    sent = delivery_for(channel, event, opened_at=opened_at, resolved_at=resolved_at)

    delivery.attempt(sent.pk)

    [payload] = receiver.received
    assert payload["event"] == event
    assert re.fullmatch(text, payload["text"])
    assert 600 <= payload["incident"]["duration_seconds"] < 660


@pytest.mark.parametrize(
    ("config", "errors"),
    [
        ({"url": "https://example.com/hook", "secret": SECRET}, []),
        ({"url": "https://example.com/hook"}, []),
        ({"url": "https://example.com/hook", "secret": "short"},
         ["secret: give a string of 16 to 200 characters, or leave it out to send unsigned "
          "requests."]),
        ({"url": "https://example.com/hook", "secret": 1234567890123456789},
         ["secret: give a string of 16 to 200 characters, or leave it out to send unsigned "
          "requests."]),
        ({"url": "http://[::1/hook"}, ["url: Enter a valid URL."]),
    ],
)
def test_config_is_validated(config, errors):
    assert WebhookTransport.validate_config(config) == errors
