import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications import delivery
from notifications.models import Delivery, NotificationChannel
from notifications.sample import send_test_message
from tests.factories import IncidentFactory, MonitorFactory, NotificationChannelFactory

pytestmark = pytest.mark.django_db

# An open incident's duration runs until the message is rendered: a slow run adds seconds.
SECONDS = r"( \d+s)?"


@pytest.fixture
def channel():
    return NotificationChannelFactory(
        name="Night shift", kind=NotificationChannel.Kind.EMAIL, config={"to": "ops@example.com"}
    )


def send(channel, event: str = "incident.opened", *, name: str = "Checkout",
         **incident_fields) -> mail.EmailMultiAlternatives:
    monitor = MonitorFactory(owner=channel.owner, name=name, url="https://shop.example.com/")
    incident = IncidentFactory(monitor=monitor, cause="timed out after 5.0 s", **incident_fields)
    sent = Delivery.objects.create(incident=incident, channel=channel, event=event)
    delivery.attempt(sent.pk)
    return mail.outbox[-1]


def html_of(message: mail.EmailMultiAlternatives) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def test_an_alert_comes_as_text_and_html(channel, settings):
    message = send(channel)

    incident = Delivery.objects.get().incident
    monitor_url = f"{settings.SITE_URL}{reverse('web:monitor', args=[incident.monitor_id])}"
    since = f"{incident.opened_at:%Y-%m-%d %H:%M:%S} UTC"
    assert message.subject == "[DOWN] Checkout"
    for body in (message.body, html_of(message)):
        assert "Checkout is down" in body
        assert "https://shop.example.com/" in body
        assert since in body
        assert "timed out after 5.0 s" in body
        assert monitor_url in body
    assert f'<a href="{monitor_url}"' in html_of(message)


def test_the_html_is_escaped_and_the_text_is_not(channel):
    message = send(channel, name="Tom & Jerry <shop>")

    assert message.subject == "[DOWN] Tom & Jerry <shop>"
    assert message.body.startswith("Tom & Jerry <shop> is down.")
    assert "Tom &amp; Jerry &lt;shop&gt; is down" in html_of(message)
    assert "<shop>" not in html_of(message)


def test_a_name_with_a_line_break_makes_a_one_line_subject(channel):
    message = send(channel, name="Checkout\nBcc: everyone@example.com")

    assert message.subject == "[DOWN] Checkout Bcc: everyone@example.com"


def test_the_resolution_says_how_long_it_was_down(channel):
    opened_at = timezone.now() - timedelta(hours=3)
    message = send(channel, "incident.resolved", opened_at=opened_at,
                   resolved_at=opened_at + timedelta(hours=2, minutes=30))

    assert message.subject == "[UP] Checkout (down 2h 30m)"
    assert message.body.startswith("Checkout is back up after 2h 30m.")
    assert "Downtime:   2h 30m" in message.body
    assert "It was down for 2h 30m." in html_of(message)


def test_a_reminder_says_it_is_still_down_and_for_how_long(channel):
    message = send(channel, "incident.reminder", opened_at=timezone.now() - timedelta(hours=1))

    assert re.fullmatch(rf"\[STILL DOWN\] Checkout \(down 1h{SECONDS}\)", message.subject)
    assert re.match(
        rf"Checkout is still down, for 1h{SECONDS} now, and nobody has acknowledged it yet\.",
        message.body,
    )
    assert "It has been down for 1h now" in html_of(message)


def test_an_escalation_says_how_long_it_went_unacknowledged(channel):
    message = send(channel, "incident.escalated", opened_at=timezone.now() - timedelta(minutes=30))

    assert re.fullmatch(rf"\[ESCALATED\] Checkout down 30m{SECONDS}, unacknowledged",
                        message.subject)
    assert re.match(
        rf"Checkout has been down for 30m{SECONDS} and nobody has acknowledged it, so this "
        "alert has been escalated to you.",
        message.body,
    )
    assert "is down and unacknowledged" in html_of(message)


def test_the_sample_has_an_html_part_naming_the_channel(channel):
    log = send_test_message(channel)

    [message] = mail.outbox
    assert message.subject == "[TEST] uptime can reach this address"
    assert "&ldquo;Night shift&rdquo;" in html_of(message)
    assert log.response == "sent 1 message(s) to ops@example.com"
