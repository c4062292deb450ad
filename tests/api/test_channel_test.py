import pytest
from django.core import mail

from notifications.models import NotificationLog
from tests.factories import NotificationChannelFactory

pytestmark = pytest.mark.django_db


def test_a_webhook_test_reaches_the_receiver_and_is_logged(as_alice, alice, receiver):
    channel = NotificationChannelFactory(owner=alice, config={"url": receiver.url})

    response = as_alice.post(f"/api/v1/channels/{channel.pk}/test")

    assert response.status_code == 200
    body = response.json()
    assert (body["event"], body["outcome"], body["response"]) == ("test", "delivered", "HTTP 200")
    assert receiver.events() == ["test"]
    log = NotificationLog.objects.get()
    assert (log.pk, log.channel, log.delivery, log.incident) == (body["id"], channel, None, None)


def test_an_email_test_is_sent(as_alice, alice):
    channel = NotificationChannelFactory(owner=alice, kind="email",
                                         config={"to": "ops@example.com"})

    body = as_alice.post(f"/api/v1/channels/{channel.pk}/test").json()

    assert body["outcome"] == "delivered"
    [message] = mail.outbox
    assert message.to == ["ops@example.com"]
    assert message.subject.startswith("[TEST]")


def test_a_failed_test_reports_why(as_alice, alice, receiver):
    receiver.statuses = [410]
    channel = NotificationChannelFactory(owner=alice, config={"url": receiver.url})

    body = as_alice.post(f"/api/v1/channels/{channel.pk}/test").json()

    assert body["outcome"] == "failed"
    assert "HTTP 410" in body["error"]
    assert body["response"].startswith("HTTP 410")
