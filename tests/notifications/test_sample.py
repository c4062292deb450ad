import pytest
from django.core import mail
from django.template.loader import get_template

from notifications.models import Delivery, NotificationLog
from notifications.sample import sample_notification, send_test_message
from tests.factories import NotificationChannelFactory

pytestmark = pytest.mark.django_db


def test_a_webhook_receives_a_sample_shaped_like_a_real_event(receiver):
    channel = NotificationChannelFactory(name="Ops hook", config={"url": receiver.url})

    log = send_test_message(channel)

    [payload] = receiver.received
    assert payload["event"] == "test"
    assert {"idempotency_key", "monitor", "incident", "text"} <= set(payload)
    assert payload["monitor"]["id"] is None and payload["incident"]["id"] is None
    assert payload["text"] == "[TEST] uptime can reach this channel. Nothing is down."
    assert receiver.headers[0]["Idempotency-Key"].startswith(f"test:{channel.pk}:")
    assert (log.outcome, log.attempt, log.response) == ("delivered", 1, "HTTP 200")


def test_each_test_is_a_new_message(receiver):
    channel = NotificationChannelFactory(config={"url": receiver.url})

    send_test_message(channel)
    send_test_message(channel)

    keys = [headers["Idempotency-Key"] for headers in receiver.headers]
    assert len(set(keys)) == 2


def test_an_email_sample_names_the_channel():
    channel = NotificationChannelFactory(name="Night shift", kind="email",
                                         config={"to": "ops@example.com"})

    send_test_message(channel)

    [message] = mail.outbox
    assert message.subject == "[TEST] uptime can reach this address"
    assert '"Night shift"' in message.body


def test_a_failure_is_logged_and_nothing_is_left_to_retry():
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    channel = NotificationChannelFactory(config={"url": "http://127.0.0.1:9/hook"})

    log = send_test_message(channel)

    assert log.outcome == NotificationLog.Outcome.FAILED
    assert log.error
    assert NotificationLog.objects.get() == log
    assert not Delivery.objects.exists()


@pytest.mark.parametrize(
    "template",
    [
        "summary.txt",
        "email/subject.txt",
        "email/body.txt",
        "email/body.html",
        "slack/details.txt",
        "discord/title.txt",
        "discord/description.txt",
        "telegram/message.html",
    ],
)
def test_every_template_has_a_sample_that_says_it_is_a_test(template):
    channel = NotificationChannelFactory(name="Night shift")
    # Its own, not the sample/summary.txt that a transport without one falls back to.
    get_template(f"notifications/sample/{template}")

    text = sample_notification(channel).render(template).lower()

    assert "test" in text
    # Worded for a test, not a real alert about the stand-in monitor.
    assert "example api" not in text
