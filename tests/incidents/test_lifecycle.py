import pytest
from django.db import IntegrityError, transaction

from incidents.models import Incident, IncidentEvent
from monitors.checking import record_result
from monitors.models import Monitor
from monitors.outcomes import Outcome, ProbeResult
from notifications.models import Delivery
from tests.factories import IncidentFactory, MonitorFactory, NotificationChannelFactory

pytestmark = pytest.mark.django_db

UP = ProbeResult(Outcome.OK, "200 OK", status_code=200, response_ms=12)
DOWN = ProbeResult(Outcome.CONNECTION_REFUSED, "connection refused by 127.0.0.1:9")


def feed(monitor, *results):
    for result in results:
        record_result(monitor.pk, result)
    monitor.refresh_from_db()


@pytest.fixture
def monitor():
    return MonitorFactory(failure_threshold=3)


def test_it_opens_one_incident_at_the_threshold(monitor):
    feed(monitor, DOWN, DOWN)
    assert not Incident.objects.exists()
    assert monitor.status == Monitor.Status.PENDING

    feed(monitor, DOWN)

    incident = Incident.objects.get()
    assert incident.is_open
    assert incident.cause == DOWN.message
    assert monitor.status == Monitor.Status.DOWN
    opened = incident.events.get()
    assert opened.kind == IncidentEvent.Kind.OPENED and opened.message == DOWN.message


def test_further_failures_do_not_open_another(monitor):
    feed(monitor, DOWN, DOWN, DOWN, DOWN, DOWN)
    assert Incident.objects.count() == 1
    assert monitor.consecutive_failures == 5


def test_the_first_success_resolves_it(monitor):
    feed(monitor, DOWN, DOWN, DOWN, UP)

    incident = Incident.objects.get()
    assert not incident.is_open
    assert incident.duration.total_seconds() >= 0
    assert [event.kind for event in incident.events.all()] == ["opened", "resolved"]
    assert monitor.status == Monitor.Status.UP
    assert monitor.consecutive_failures == 0


def test_blips_below_the_threshold_open_nothing(monitor):
    feed(monitor, UP, DOWN, UP, DOWN, DOWN, UP)
    assert not Incident.objects.exists()
    assert monitor.status == Monitor.Status.UP

    feed(monitor, DOWN)
    assert not Incident.objects.exists()
    assert monitor.status == Monitor.Status.PENDING


def test_flapping_gives_one_incident_per_real_outage(monitor):
    feed(monitor, DOWN, DOWN, DOWN, UP, DOWN, UP, DOWN, DOWN, DOWN, UP)
    assert Incident.objects.count() == 2
    assert not Incident.objects.open().exists()


def test_the_database_allows_one_open_incident_per_monitor(monitor):
    IncidentFactory(monitor=monitor)
    with pytest.raises(IntegrityError), transaction.atomic():
        IncidentFactory(monitor=monitor)
    # A resolved one does not count against the constraint.
    IncidentFactory(monitor=monitor, resolved_at=monitor.created_at)


def test_a_duplicated_message_is_recorded_once(monitor):
    for _ in range(3):
        record_result(monitor.pk, DOWN, task_id="same-celery-message")
    monitor.refresh_from_db()
    assert monitor.checks.count() == 1
    assert monitor.consecutive_failures == 1


def test_transitions_write_notification_intents(monitor):
    webhook = NotificationChannelFactory(owner=monitor.owner)
    NotificationChannelFactory(owner=monitor.owner, is_enabled=False)
    NotificationChannelFactory()  # someone else's

    feed(monitor, DOWN, DOWN, DOWN, UP)

    deliveries = Delivery.objects.order_by("id")
    assert [(d.channel, d.event) for d in deliveries] == [
        (webhook, "incident.opened"),
        (webhook, "incident.resolved"),
    ]


def test_a_monitor_may_name_a_subset_of_channels(monitor):
    NotificationChannelFactory(owner=monitor.owner)
    chosen = NotificationChannelFactory(owner=monitor.owner)
    monitor.channels.set([chosen])

    feed(monitor, DOWN, DOWN, DOWN)

    assert list(Delivery.objects.values_list("channel", flat=True)) == [chosen.pk]


def test_intents_are_published_only_after_commit(monitor, queue_length,
                                                 django_capture_on_commit_callbacks):
    NotificationChannelFactory(owner=monitor.owner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        feed(monitor, DOWN, DOWN, DOWN)
    assert queue_length("notifications") == 0

    for callback in callbacks:
        callback()
    assert queue_length("notifications") == 1


def test_a_failed_transaction_leaves_no_incident_and_no_intent(monitor):
    NotificationChannelFactory(owner=monitor.owner)
    feed(monitor, DOWN, DOWN)
    with pytest.raises(RuntimeError), transaction.atomic():
        record_result(monitor.pk, DOWN)
        raise RuntimeError("crash before commit")

    assert not Incident.objects.exists()
    assert not Delivery.objects.exists()
    monitor.refresh_from_db()
    assert monitor.consecutive_failures == 2


def test_acknowledging_is_recorded_once(monitor, alice):
    incident = IncidentFactory(monitor=monitor)
    assert incident.acknowledge(alice) is not None
    assert incident.acknowledge(alice) is None
    assert incident.events.filter(kind="acknowledged").count() == 1
