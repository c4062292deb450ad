from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications import delivery
from notifications.models import Delivery, NotificationLog
from notifications.sample import send_test_message
from notifications.transports.slack import SlackTransport
from tests.factories import (
    NotificationChannelFactory,
    delivery_for,
)
from tests.support.receiver import Answer

pytestmark = pytest.mark.django_db

# The path of a Slack webhook URL is its credential.
SECRET_PATH = "/services/T0001/B0001/s3cretSlackPath"


@pytest.fixture
def channel(receiver):
    # validate_config insists on https; the loopback receiver speaks plain HTTP, and channels
    # made by the factory skip that validation (Model.clean), as the API never would.
    return NotificationChannelFactory(
        kind="slack", config={"webhook_url": f"{receiver.base_url}{SECRET_PATH}"}
    )



def monitor_link(opened: Delivery, settings) -> str:
    return f"{settings.SITE_URL}{reverse('web:monitor', args=[opened.incident.monitor_id])}"


def test_slack_hears_what_is_down_since_when_why_and_where_to_look(channel, receiver, settings):
    opened = delivery_for(channel)

    assert delivery.attempt(opened.pk) is None

    [request] = receiver.requests
    assert request.path == SECRET_PATH
    body = request.json()
    assert body["text"] == "Billing API is DOWN: expected 200, got 503"
    [section] = body["blocks"]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    details = section["text"]["text"]
    assert "*Billing API is down*" in details
    assert "*URL:* https://billing.example.com/health" in details
    since = int(opened.incident.opened_at.timestamp())
    assert f"*Down since:* <!date^{since}^" in details
    assert "*Error:* expected 200, got 503" in details
    assert f"<{monitor_link(opened, settings)}|Open the monitor>" in details
    assert body["unfurl_links"] is False
    opened.refresh_from_db()
    assert opened.status == Delivery.Status.DELIVERED
    log = NotificationLog.objects.get()
    assert (log.outcome, log.response) == ("delivered", "HTTP 200 ok")


def test_the_resolution_says_how_long_it_was_down(channel, receiver):
    opened_at = timezone.now() - timedelta(hours=1)
    resolved = delivery_for(channel, "incident.resolved", opened_at=opened_at,
                            resolved_at=opened_at + timedelta(hours=1, minutes=2, seconds=5))

    delivery.attempt(resolved.pk)

    body = receiver.requests[0].json()
    assert body["text"] == "Billing API is back UP after 1h 2m 5s."
    assert "*Billing API is back up* after 1h 2m 5s." in body["blocks"][0]["text"]["text"]


@pytest.mark.parametrize(
    ("event", "text"),
    [
        ("incident.reminder", "Billing API is still DOWN, for 25m"),
        ("incident.escalated", "Billing API has been DOWN for 25m and nobody has acknowledged it"),
    ],
)
def test_reminders_and_escalations_say_for_how_long(channel, receiver, event, text):
    sent = delivery_for(channel, event, opened_at=timezone.now() - timedelta(minutes=25))

    delivery.attempt(sent.pk)

    body = receiver.requests[0].json()
    assert body["text"].startswith(text)
    assert "for 25m" in body["blocks"][0]["text"]["text"]


def test_a_name_cannot_become_slack_markup(channel, receiver):
    opened = delivery_for(channel, name="<!channel> Tom & Jerry")

    delivery.attempt(opened.pk)

    body = receiver.requests[0].json()
    assert body["text"].startswith("&lt;!channel&gt; Tom &amp; Jerry is DOWN")
    assert "<!channel>" not in body["blocks"][0]["text"]["text"]


@pytest.mark.parametrize(("status", "code"), [(404, "no_service"), (410, "channel_is_archived")])
def test_a_refusal_fails_at_once_and_never_shows_the_url(channel, receiver, status, code):
    receiver.answers = [Answer(status, code)]
    opened = delivery_for(channel)

    assert delivery.attempt(opened.pk) is None

    opened.refresh_from_db()
    assert (opened.status, opened.attempts) == (Delivery.Status.FAILED, 1)
    log = NotificationLog.objects.get()
    assert log.error == f"Slack answered HTTP {status}: {code}"
    assert log.response == f"HTTP {status}: {code}"
    assert "s3cret" not in log.error + log.response + opened.last_error


def test_rate_limits_and_outages_are_retried(channel, receiver):
    receiver.answers = [Answer(429, "rate_limited"), Answer(503, "")]
    opened = delivery_for(channel)

    assert delivery.attempt(opened.pk) is not None
    assert delivery.attempt(opened.pk) is not None
    assert delivery.attempt(opened.pk) is None

    assert [request.status for request in receiver.requests] == [429, 503, 200]
    assert list(NotificationLog.objects.order_by("id").values_list("outcome", "error")) == [
        ("retrying", "Slack answered HTTP 429: rate_limited"),
        ("retrying", "Slack answered HTTP 503"),
        ("delivered", ""),
    ]


def test_an_unreachable_slack_is_retried_without_showing_the_url(receiver):
    channel = NotificationChannelFactory(
        kind="slack", config={"webhook_url": f"http://127.0.0.1:9{SECRET_PATH}"}
    )
    opened = delivery_for(channel)

    assert delivery.attempt(opened.pk) is not None

    log = NotificationLog.objects.get()
    assert log.outcome == "retrying" and log.error.startswith("Slack: ConnectionError")
    assert "s3cret" not in log.error + log.response


def test_the_sample_names_the_channel(receiver):
    channel = NotificationChannelFactory(
        name="#ops", kind="slack", config={"webhook_url": f"{receiver.base_url}{SECRET_PATH}"}
    )

    log = send_test_message(channel)

    body = receiver.requests[0].json()
    assert body["text"] == "[TEST] uptime can reach this channel. Nothing is down."
    assert 'sent to the channel "#ops"' in body["blocks"][0]["text"]["text"]
    assert (log.outcome, log.response) == ("delivered", "HTTP 200 ok")


@pytest.mark.parametrize(
    ("config", "errors"),
    [
        ({}, ['A Slack channel needs "webhook_url": the incoming webhook\'s URL.']),
        ({"webhook_url": "http://hooks.slack.com/services/T/B/X"},
         ["webhook_url: a Slack webhook URL starts with https://."]),
        ({"webhook_url": "https://"}, ["webhook_url: Enter a valid URL."]),
        ({"webhook_url": "https://[::1/services"}, ["webhook_url: Enter a valid URL."]),
        ({"webhook_url": "https://hooks.slack.com/services/T0/B0/XXXX"}, []),
        # Not only Slack's host: a relay or a test receiver of one's own works too.
        ({"webhook_url": "https://127.0.0.1:8443/services/T0/B0/XXXX"}, []),
    ],
)
def test_config_is_validated(config, errors):
    assert SlackTransport.validate_config(config) == errors
