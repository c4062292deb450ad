from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications import delivery
from notifications.models import Delivery, NotificationLog
from notifications.sample import send_test_message
from notifications.transports.discord import AMBER, GREEN, RED, DiscordTransport
from tests.factories import (
    NotificationChannelFactory,
    delivery_for,
)
from tests.support.receiver import Answer

pytestmark = pytest.mark.django_db

# A Discord webhook URL is /api/webhooks/<id>/<token>: the token is its credential.
SECRET_PATH = "/api/webhooks/1234567890/s3cretDiscordToken"
# What Discord answers to ?wait=true: the message it created (abridged).
MESSAGE = {"id": "1180000000000000001", "channel_id": "1170000000000000001", "content": "..."}


@pytest.fixture
def channel(receiver):
    receiver.answer = Answer(200, MESSAGE)
    return NotificationChannelFactory(
        kind="discord", config={"webhook_url": f"{receiver.base_url}{SECRET_PATH}"}
    )



def test_discord_gets_an_embed_and_its_message_id_is_kept(channel, receiver, settings):
    opened = delivery_for(channel)

    assert delivery.attempt(opened.pk) is None

    [request] = receiver.requests
    assert request.path == SECRET_PATH
    assert request.query == {"wait": ["true"]}
    body = request.json()
    assert body["content"] == "Billing API is DOWN: expected 200, got 503"
    [embed] = body["embeds"]
    monitor_url = f"{settings.SITE_URL}{reverse('web:monitor', args=[opened.incident.monitor_id])}"
    assert embed["title"] == "🔴 Billing API is down"
    assert embed["url"] == monitor_url
    assert embed["color"] == RED
    assert embed["timestamp"] == opened.incident.opened_at.isoformat()
    since = int(opened.incident.opened_at.timestamp())
    assert f"**Down since:** <t:{since}:f>" in embed["description"]
    assert "**Error:** expected 200, got 503" in embed["description"]
    assert f"[Open the monitor]({monitor_url})" in embed["description"]
    assert body["allowed_mentions"] == {"parse": []}
    log = NotificationLog.objects.get()
    assert (log.outcome, log.response) == ("delivered", "HTTP 200, message 1180000000000000001")


@pytest.mark.parametrize(
    ("event", "color", "title", "says"),
    [
        ("incident.reminder", AMBER, "🟠 Billing API is still down", "Still down, for 25m"),
        ("incident.escalated", AMBER, "🟠 Billing API is down and unacknowledged",
         "Down for 25m"),
        ("incident.resolved", GREEN, "🟢 Billing API is back up", "Back up after 25m."),
    ],
)
def test_each_event_has_its_colour_and_wording(channel, receiver, event, color, title, says):
    opened_at = timezone.now() - timedelta(minutes=25)
    resolved_at = opened_at + timedelta(minutes=25) if event == "incident.resolved" else None
    sent = delivery_for(channel, event, opened_at=opened_at, resolved_at=resolved_at)

    delivery.attempt(sent.pk)

    [embed] = receiver.requests[0].json()["embeds"]
    assert (embed["color"], embed["title"]) == (color, title)
    assert embed["description"].startswith(says)


def test_a_name_can_neither_ping_nor_format(channel, receiver):
    opened = delivery_for(channel, name="@everyone *urgent* [click](https://evil.example)")

    delivery.attempt(opened.pk)

    body = receiver.requests[0].json()
    assert body["content"].startswith(
        r"\@everyone \*urgent\* \[click\]\(https://evil.example\) is DOWN"
    )
    assert body["allowed_mentions"] == {"parse": []}


def test_an_unknown_webhook_fails_at_once_without_showing_the_token(channel, receiver):
    receiver.answers = [Answer(404, {"message": "Unknown Webhook", "code": 10015})]
    opened = delivery_for(channel)

    assert delivery.attempt(opened.pk) is None

    opened.refresh_from_db()
    assert (opened.status, opened.attempts) == (Delivery.Status.FAILED, 1)
    log = NotificationLog.objects.get()
    assert log.error == "Discord answered HTTP 404: Unknown Webhook"
    assert log.response.startswith("HTTP 404: ")
    assert "s3cret" not in log.error + log.response + opened.last_error


def test_a_rate_limit_is_retried(channel, receiver):
    receiver.answers = [
        Answer(429, {"message": "You are being rate limited.", "retry_after": 0.5,
                     "global": False}),
        Answer(502, "Bad Gateway"),
    ]
    opened = delivery_for(channel)

    assert delivery.attempt(opened.pk) is not None
    assert delivery.attempt(opened.pk) is not None
    assert delivery.attempt(opened.pk) is None

    assert list(NotificationLog.objects.order_by("id").values_list("outcome", "error")) == [
        ("retrying", "Discord answered HTTP 429: You are being rate limited. "
                     "(retry after 0.5 s)"),
        ("retrying", "Discord answered HTTP 502"),
        ("delivered", ""),
    ]
    assert len(receiver.requests) == 3


def test_the_sample_names_the_channel(receiver):
    receiver.answer = Answer(200, MESSAGE)
    channel = NotificationChannelFactory(
        name="alerts", kind="discord",
        config={"webhook_url": f"{receiver.base_url}{SECRET_PATH}"},
    )

    log = send_test_message(channel)

    body = receiver.requests[0].json()
    assert body["content"] == "[TEST] uptime can reach this channel. Nothing is down."
    assert 'sent to the channel "alerts"' in body["embeds"][0]["description"]
    assert log.outcome == "delivered"


NO_URL = 'A Discord channel needs "webhook_url": the channel webhook\'s URL.'


@pytest.mark.parametrize(
    ("config", "errors"),
    [
        ({}, [NO_URL]),
        ({"webhook_url": 42}, [NO_URL]),
        ({"webhook_url": "discord.com/api/webhooks/1/x"},
         ["webhook_url: Only http:// and https:// URLs can be monitored (got no scheme)."]),
        ({"webhook_url": "https://discord.com/api/webhooks/1234/abcd"}, []),
        ({"webhook_url": "http://127.0.0.1:8080/api/webhooks/1234/abcd"}, []),
    ],
)
def test_config_is_validated(config, errors):
    assert DiscordTransport.validate_config(config) == errors
