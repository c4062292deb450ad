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
    assert redacted_config(channel("webhook", {"url": url})) == {"url": shown}


def test_an_email_channel_shows_its_address():
    assert redacted_config(channel("email", {"to": "ops@example.com"})) == {
        "to": "ops@example.com"
    }


def test_an_unknown_kind_shows_nothing():
    assert redacted_config(channel("telegram", {"bot_token": "123:abc"})) == {}
