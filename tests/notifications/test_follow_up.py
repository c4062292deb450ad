"""Reminders while an incident stays open and unacknowledged, escalation to more channels,
and acknowledgement stopping both (notifications/follow_up.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from monitors.checking import record_result
from monitors.outcomes import Outcome, ProbeResult
from notifications import delivery
from notifications.follow_up import follow_up
from notifications.models import Delivery
from tests.factories import MonitorFactory, NotificationChannelFactory, UserFactory

pytestmark = pytest.mark.django_db

DOWN = ProbeResult(Outcome.CONNECTION_REFUSED, "connection refused by 127.0.0.1:9")
UP = ProbeResult(Outcome.OK, "200 OK", status_code=200, response_ms=12)


@pytest.fixture
def monitor():
    return MonitorFactory(failure_threshold=1)


def channel(monitor, receiver, **settings):
    return NotificationChannelFactory(
        owner=monitor.owner, config={"url": receiver.url}, **settings
    )


def open_incident(monitor):
    record_result(monitor.pk, DOWN)
    return monitor.incidents.get()


def send_everything():
    for pk in Delivery.objects.filter(status="pending").order_by("pk").values_list("pk", flat=True):
        delivery.attempt(pk)


def test_a_reminder_goes_out_every_n_minutes_while_it_stays_open(monitor, receiver):
    channel(monitor, receiver, remind_every_minutes=10)
    incident = open_incident(monitor)
    send_everything()

    follow_up(incident.opened_at + timedelta(minutes=9))
    assert not Delivery.objects.filter(event="incident.reminder").exists()

    follow_up(incident.opened_at + timedelta(minutes=10))
    follow_up(incident.opened_at + timedelta(minutes=11))  # the same reminder is not written twice
    follow_up(incident.opened_at + timedelta(minutes=20))
    send_everything()

    assert receiver.events() == ["incident.opened", "incident.reminder", "incident.reminder"]
    keys = [headers["Idempotency-Key"] for headers in receiver.headers]
    assert len(set(keys)) == 3


def test_a_sweep_that_was_away_sends_one_reminder_not_a_burst(monitor, receiver):
    channel(monitor, receiver, remind_every_minutes=5)
    incident = open_incident(monitor)

    follow_up(incident.opened_at + timedelta(hours=2))

    assert Delivery.objects.filter(event="incident.reminder").count() == 1


def test_channels_without_reminders_get_none(monitor, receiver):
    channel(monitor, receiver)
    incident = open_incident(monitor)

    follow_up(incident.opened_at + timedelta(days=1))

    assert not Delivery.objects.filter(event="incident.reminder").exists()


def test_acknowledging_stops_reminders_and_escalation(monitor, receiver):
    channel(monitor, receiver, remind_every_minutes=10)
    pager = channel(monitor, receiver, escalate_after_minutes=15)
    incident = open_incident(monitor)
    incident.acknowledge(UserFactory())

    counts = follow_up(incident.opened_at + timedelta(hours=1))

    assert counts["reminders"] == counts["escalations"] == 0
    assert not Delivery.objects.filter(channel=pager).exists()


def test_a_reminder_written_before_the_acknowledgement_is_not_sent(monitor, receiver):
    channel(monitor, receiver, remind_every_minutes=10)
    incident = open_incident(monitor)
    send_everything()
    follow_up(incident.opened_at + timedelta(minutes=10))
    incident.acknowledge(UserFactory())

    send_everything()

    assert receiver.events() == ["incident.opened"]
    reminder = Delivery.objects.get(event="incident.reminder")
    assert reminder.status == Delivery.Status.SUPPRESSED


def test_an_escalation_channel_hears_only_after_m_minutes_unacknowledged(monitor, receiver):
    team = channel(monitor, receiver)
    pager = channel(monitor, receiver, escalate_after_minutes=15)
    incident = open_incident(monitor)
    assert list(Delivery.objects.values_list("channel", "event")) == [
        (team.pk, "incident.opened")
    ]

    follow_up(incident.opened_at + timedelta(minutes=14))
    assert not Delivery.objects.filter(channel=pager).exists()
    follow_up(incident.opened_at + timedelta(minutes=15))
    follow_up(incident.opened_at + timedelta(minutes=16))
    send_everything()

    assert Delivery.objects.filter(channel=pager, event="incident.escalated").count() == 1
    assert sorted(receiver.events()) == ["incident.escalated", "incident.opened"]


def test_the_resolution_goes_to_escalated_channels_but_not_to_those_never_told(
    monitor, receiver
):
    channel(monitor, receiver)
    escalated = channel(monitor, receiver, escalate_after_minutes=5)
    never_told = channel(monitor, receiver, escalate_after_minutes=60)
    incident = open_incident(monitor)
    follow_up(incident.opened_at + timedelta(minutes=5))

    record_result(monitor.pk, UP)

    resolved_to = set(
        Delivery.objects.filter(event="incident.resolved").values_list("channel", flat=True)
    )
    assert escalated.pk in resolved_to and never_told.pk not in resolved_to
    assert len(resolved_to) == 2


def test_escalated_channels_are_reminded_from_when_they_were_told(monitor, receiver):
    pager = channel(monitor, receiver, escalate_after_minutes=30, remind_every_minutes=10)
    incident = open_incident(monitor)

    follow_up(incident.opened_at + timedelta(minutes=30))
    follow_up(incident.opened_at + timedelta(minutes=35))
    assert not Delivery.objects.filter(channel=pager, event="incident.reminder").exists()

    follow_up(incident.opened_at + timedelta(minutes=40))
    assert Delivery.objects.filter(channel=pager, event="incident.reminder").count() == 1


def test_paused_monitors_and_resolved_incidents_are_left_alone(monitor, receiver):
    channel(monitor, receiver, remind_every_minutes=1)
    incident = open_incident(monitor)
    monitor.refresh_from_db()
    monitor.pause()

    follow_up(timezone.now() + timedelta(hours=1))

    assert not Delivery.objects.filter(event="incident.reminder").exists()
    assert incident.is_open
