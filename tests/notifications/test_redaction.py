import json

import pytest

from notifications.models import NotificationChannel
from notifications.redaction import redacted_config


def channel(kind, config):
    return NotificationChannel(kind=kind, config=config)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://hooks.slack.com/services/T0/B0/XXXX", "https://hooks.slack.com/…"),
        ("https://user:pass@example.com:8443/hook?token=t", "https://example.com:8443/…"),
        ("http://[::1]:8000/hook", "http://[::1]:8000/…"),
        ("http://example.com:99999/", ""),
        ("not a url", ""),
        (None, ""),
    ],
)
def test_a_webhook_shows_only_its_origin(url, shown):
    assert redacted_config(channel("webhook", {"url": url})) == {"url": shown, "signed": False}


def test_a_webhook_says_that_it_signs_but_never_shows_the_secret():
    shown = redacted_config(
        channel("webhook", {"url": "https://example.com/hook", "secret": "s3cret-0123456789"})
    )

    assert shown == {"url": "https://example.com/…", "signed": True}


def test_an_email_channel_shows_its_address():
    assert redacted_config(channel("email", {"to": "ops@example.com"})) == {
        "to": "ops@example.com"
    }


@pytest.mark.parametrize(
    ("kind", "url", "shown"),
    [
        ("slack", "https://hooks.slack.com/services/T0/B0/s3cret", "https://hooks.slack.com/…"),
        ("discord", "https://discord.com/api/webhooks/123/s3cret", "https://discord.com/…"),
    ],
)
def test_slack_and_discord_show_only_their_webhooks_origin(kind, url, shown):
    assert redacted_config(channel(kind, {"webhook_url": url})) == {"webhook_url": shown}


def test_telegram_shows_the_chat_never_the_bot_token():
    config = {"bot_token": "123456789:AAHs3cretTelegramBotToken0123456789", "chat_id": -100123}

    shown = redacted_config(channel("telegram", config))

    assert shown == {"chat_id": "-100123"}
    assert "s3cret" not in json.dumps(shown)


def test_apple_push_has_nothing_to_show():
    assert redacted_config(channel("apns", {})) == {}


def test_an_unknown_kind_shows_nothing():
    assert redacted_config(channel("pigeon", {"secret": "s3cret"})) == {}
