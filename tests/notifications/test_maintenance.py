"""During a maintenance window checks go on and are kept, incidents are tracked, but nobody is
notified; an outage still going when the window ends notifies then."""

from datetime import timedelta

import pytest
from django.utils import timezone

from monitors.checking import record_result
from monitors.outcomes import Outcome, ProbeResult
from notifications import delivery
from notifications.follow_up import follow_up
from notifications.models import Delivery
from tests.factories import MaintenanceWindowFactory, MonitorFactory, NotificationChannelFactory

pytestmark = pytest.mark.django_db

DOWN = ProbeResult(Outcome.CONNECTION_REFUSED, "connection refused by 127.0.0.1:9")
UP = ProbeResult(Outcome.OK, "200 OK", status_code=200, response_ms=12)


@pytest.fixture
def monitor(receiver):
    monitor = MonitorFactory(failure_threshold=1)
    NotificationChannelFactory(owner=monitor.owner, config={"url": receiver.url},
                               remind_every_minutes=5)
    return monitor


def send_everything():
    for pk in Delivery.objects.filter(status="pending").order_by("pk").values_list("pk", flat=True):
        delivery.attempt(pk)


def end_window(window):
    window.ends_at = timezone.now() - timedelta(seconds=1)
    window.save()


def test_checks_and_incidents_go_on_but_nothing_is_sent(monitor, receiver):
    window = MaintenanceWindowFactory(monitor=monitor)

    record_result(monitor.pk, DOWN)
    follow_up(timezone.now() + timedelta(minutes=30))
    send_everything()

    assert monitor.checks.count() == 1
    assert monitor.incidents.get().is_open
    opened = Delivery.objects.get()
    assert (opened.event, opened.status) == ("incident.opened", Delivery.Status.HELD)
    assert opened.next_attempt_at == window.ends_at
    assert receiver.received == []


def test_an_outage_still_going_when_the_window_ends_notifies_then(monitor, receiver):
    window = MaintenanceWindowFactory(monitor=monitor)
    record_result(monitor.pk, DOWN)
    end_window(window)

    counts = follow_up()
    send_everything()

    assert counts["released"] == 1
    assert receiver.events() == ["incident.opened"]
    record_result(monitor.pk, UP)
    send_everything()
    assert receiver.events() == ["incident.opened", "incident.resolved"]


def test_an_outage_over_within_the_window_is_never_announced(monitor, receiver):
    window = MaintenanceWindowFactory(monitor=monitor)
    record_result(monitor.pk, DOWN)
    record_result(monitor.pk, UP)
    end_window(window)

    follow_up()
    send_everything()

    assert receiver.received == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {"suppressed"}


def test_a_resolution_during_the_window_of_an_outage_announced_before_waits_for_its_end(
    monitor, receiver
):
    record_result(monitor.pk, DOWN)
    send_everything()
    window = MaintenanceWindowFactory(monitor=monitor)

    record_result(monitor.pk, UP)
    send_everything()
    assert receiver.events() == ["incident.opened"]

    end_window(window)
    follow_up()
    send_everything()
    assert receiver.events() == ["incident.opened", "incident.resolved"]


def test_a_resolution_after_the_window_but_before_the_sweep_still_announces_the_outage(
    monitor, receiver
):
    window = MaintenanceWindowFactory(monitor=monitor)
    record_result(monitor.pk, DOWN)
    end_window(window)

    record_result(monitor.pk, UP)
    send_everything()

    assert receiver.events() == ["incident.opened", "incident.resolved"]


def test_no_reminders_during_a_window(monitor, receiver):
    record_result(monitor.pk, DOWN)
    send_everything()
    MaintenanceWindowFactory(monitor=monitor, ends_at=timezone.now() + timedelta(days=1))

    follow_up(timezone.now() + timedelta(hours=1))

    assert not Delivery.objects.filter(event="incident.reminder").exists()


def test_a_window_that_follows_on_keeps_holding(monitor, receiver):
    window = MaintenanceWindowFactory(monitor=monitor)
    record_result(monitor.pk, DOWN)
    later = timezone.now() + timedelta(hours=2)
    end_window(window)
    MaintenanceWindowFactory(monitor=monitor, ends_at=later)

    follow_up()

    held = Delivery.objects.get()
    assert held.status == Delivery.Status.HELD and held.next_attempt_at == later
