from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications import delivery
from notifications.models import Delivery, NotificationLog
from notifications.sample import send_test_message
from notifications.transports.telegram import TelegramTransport
from tests.factories import (
    IncidentFactory,
    MonitorFactory,
    NotificationChannelFactory,
    delivery_for,
)
from tests.support.receiver import Answer

pytestmark = pytest.mark.django_db

TOKEN = "123456789:AAHs3cretTelegramBotToken0123456789"
SECRET = "s3cretTelegramBotToken"
SENT = {"ok": True, "result": {"message_id": 42, "chat": {"id": -1001234567890}}}


@pytest.fixture
def channel(receiver, settings):
    # The receiver stands in for api.telegram.org.
    settings.UPTIME_TELEGRAM_API_URL = receiver.base_url
    receiver.answer = Answer(200, SENT)
    return NotificationChannelFactory(
        kind="telegram", config={"bot_token": TOKEN, "chat_id": "-1001234567890"}
    )



def test_the_bot_sends_an_html_message_and_its_id_is_kept(channel, receiver, settings):
    opened = delivery_for(channel)

    assert delivery.attempt(opened.pk) is None

    [request] = receiver.requests
    assert request.path == f"/bot{TOKEN}/sendMessage"
    body = request.json()
    assert body["chat_id"] == "-1001234567890"
    assert (body["parse_mode"], body["disable_web_page_preview"]) == ("HTML", True)
    text = body["text"]
    assert text.startswith("🔴 <b>Billing API is down</b>")
    assert "URL: https://billing.example.com/health" in text
    assert f"Down since: {opened.incident.opened_at:%Y-%m-%d %H:%M:%S} UTC" in text
    assert "Error: <code>expected 200, got 503</code>" in text
    monitor_url = f"{settings.SITE_URL}{reverse('web:monitor', args=[opened.incident.monitor_id])}"
    assert f'<a href="{monitor_url}">Open the monitor</a>' in text
    log = NotificationLog.objects.get()
    assert (log.outcome, log.response) == ("delivered", "HTTP 200, message_id 42")


def test_names_and_errors_are_escaped_for_telegrams_html(channel, receiver):
    monitor = MonitorFactory(owner=channel.owner, name='Tom & Jerry "<API>"')
    incident = IncidentFactory(monitor=monitor, cause="got <html><body>502</body>")
    opened = Delivery.objects.create(incident=incident, channel=channel, event="incident.opened")

    delivery.attempt(opened.pk)

    text = receiver.requests[0].json()["text"]
    assert "<b>Tom &amp; Jerry &quot;&lt;API&gt;&quot; is down</b>" in text
    assert "<code>got &lt;html&gt;&lt;body&gt;502&lt;/body&gt;</code>" in text


def test_the_resolution_says_how_long_it_was_down(channel, receiver):
    opened_at = timezone.now() - timedelta(days=1)
    resolved = delivery_for(channel, "incident.resolved", opened_at=opened_at,
                            resolved_at=opened_at + timedelta(days=1, minutes=1))

    delivery.attempt(resolved.pk)

    assert receiver.requests[0].json()["text"].startswith(
        "🟢 <b>Billing API is back up</b> after 1d 1m."
    )


@pytest.mark.parametrize(
    ("event", "start"),
    [
        # Prefixes: an open incident's duration runs on while the test does.
        ("incident.reminder", "🟠 <b>Billing API is still down</b>, for 2h"),
        ("incident.escalated", "🟠 <b>Billing API has been down for 2h"),
    ],
)
def test_reminders_and_escalations_say_for_how_long(channel, receiver, event, start):
    sent = delivery_for(channel, event, opened_at=timezone.now() - timedelta(hours=2))

    delivery.attempt(sent.pk)

    assert receiver.requests[0].json()["text"].startswith(start)


@pytest.mark.parametrize(
    ("status", "description"),
    [
        (400, "Bad Request: chat not found"),
        (403, "Forbidden: bot was blocked by the user"),
        (401, "Unauthorized"),
    ],
)
def test_a_refusal_fails_at_once_and_never_shows_the_token(channel, receiver, status,
                                                           description):
    receiver.answers = [
        Answer(status, {"ok": False, "error_code": status, "description": description})
    ]
    opened = delivery_for(channel)

    assert delivery.attempt(opened.pk) is None

    opened.refresh_from_db()
    assert (opened.status, opened.attempts) == (Delivery.Status.FAILED, 1)
    log = NotificationLog.objects.get()
    assert log.error == f"Telegram sendMessage answered HTTP {status}: {description}"
    assert SECRET not in log.error + log.response + opened.last_error


def test_too_many_requests_is_retried_no_sooner_than_telegram_asks(channel, receiver):
    receiver.answers = [
        Answer(429, {"ok": False, "error_code": 429,
                     "description": "Too Many Requests: retry after 3",
                     "parameters": {"retry_after": 3}}),
    ]
    opened = delivery_for(channel)

    # The suite's backoff is 0 s: the wait is Telegram's.
    assert delivery.attempt(opened.pk) == 3
    assert delivery.attempt(opened.pk) is None

    assert list(NotificationLog.objects.order_by("id").values_list("outcome", "error")) == [
        ("retrying", "Telegram sendMessage answered HTTP 429: Too Many Requests: retry after 3 "
                     "(retry after 3 s)"),
        ("delivered", ""),
    ]
    opened.refresh_from_db()
    assert opened.status == Delivery.Status.DELIVERED


def test_an_unreachable_api_is_retried_without_showing_the_token(channel, settings):
    # Port 9 on loopback: the connection is refused, and urllib3's message names the path.
    settings.UPTIME_TELEGRAM_API_URL = "http://127.0.0.1:9"
    opened = delivery_for(channel)

    assert delivery.attempt(opened.pk) is not None

    log = NotificationLog.objects.get()
    assert log.outcome == "retrying"
    assert log.error.startswith("Telegram sendMessage: ConnectionError")
    opened.refresh_from_db()
    assert SECRET not in log.error + log.response + opened.last_error


def test_the_sample_names_the_channel(channel, receiver):
    channel.name = "On call"

    log = send_test_message(channel)

    text = receiver.requests[0].json()["text"]
    assert text.startswith("✅ <b>This is a test message from uptime.</b>")
    assert 'sent to the channel "On call"' in text
    assert (log.outcome, log.response) == ("delivered", "HTTP 200, message_id 42")


BAD_TOKEN = ("bot_token: give the token BotFather sent, \"<digits>:<letters, digits, _ or ->\", "
             "e.g. 123456789:AAH...; check that it was copied whole.")
BAD_CHAT = ("chat_id: give the chat's numeric id (e.g. -1001234567890) or a public channel's "
            "@username.")


@pytest.mark.parametrize(
    ("config", "errors"),
    [
        ({"bot_token": TOKEN, "chat_id": "-1001234567890"}, []),
        ({"bot_token": TOKEN, "chat_id": -1001234567890}, []),
        ({"bot_token": TOKEN, "chat_id": "@uptime_alerts"}, []),
        ({}, [BAD_TOKEN, BAD_CHAT]),
        ({"bot_token": "AAHs3cretTelegramBotToken0123456789", "chat_id": 1}, [BAD_TOKEN]),
        ({"bot_token": "123:s3cret", "chat_id": 1}, [BAD_TOKEN]),
        ({"bot_token": TOKEN, "chat_id": "ops channel"}, [BAD_CHAT]),
        ({"bot_token": TOKEN, "chat_id": True}, [BAD_CHAT]),
        ({"bot_token": TOKEN, "chat_id": "@ab"}, [BAD_CHAT]),
    ],
)
def test_config_is_validated_without_repeating_the_token(config, errors):
    assert TelegramTransport.validate_config(config) == errors
