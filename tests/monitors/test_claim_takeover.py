"""A redelivered message whose first delivery died holding the claim takes the claim over
(Monitor.claim_check): the check runs again at once instead of stepping aside until the dead
check's lease ends. The fault suite kills real workers (tests/faults/test_worker_kills.py);
these are the claim's rules one by one."""

import pytest

from monitors.checking import run_check
from monitors.models import CheckResult, Monitor
from tests.factories import MonitorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitor(target):
    return MonitorFactory(url=target.url("/health"), timeout_seconds=2)


def claimed_by(monitor, task_id: str) -> Monitor:
    """The lease as a check of `task_id` that died mid-probe left it."""
    assert Monitor.objects.get(pk=monitor.pk).claim_check(scheduled=True, task_id=task_id)
    return Monitor.objects.get(pk=monitor.pk)


def test_a_redelivery_of_the_message_holding_the_lease_runs_the_check(monitor, target):
    claimed_by(monitor, "message-1")

    result = run_check(monitor.pk, task_id="message-1", redelivered=True)

    assert result is not None and result.task_id == "message-1"
    assert len(target.requests_seen) == 1
    assert Monitor.objects.get(pk=monitor.pk).check_lease_until is None


def test_a_redelivery_of_another_message_respects_the_lease(monitor, target):
    claimed_by(monitor, "message-1")

    assert run_check(monitor.pk, task_id="message-2", redelivered=True) is None
    assert run_check(monitor.pk, task_id="message-2", scheduled=False, redelivered=True) is None
    assert target.requests_seen == []


def test_a_second_delivery_not_flagged_as_redelivered_respects_the_lease(monitor, target):
    # Two consumers given one message at once, neither a redelivery: only one probes.
    claimed_by(monitor, "message-1")

    assert run_check(monitor.pk, task_id="message-1") is None
    assert target.requests_seen == []


def test_a_redelivery_after_the_result_is_stored_records_nothing(monitor, target):
    run_check(monitor.pk, task_id="message-1")

    assert run_check(monitor.pk, task_id="message-1", scheduled=False, redelivered=True) is None
    assert CheckResult.objects.filter(monitor=monitor).count() == 1
    assert len(target.requests_seen) == 1


def test_a_claim_without_a_message_leaves_no_holder_to_take_over(monitor):
    claimed = claimed_by(monitor, "message-1")
    assert claimed.check_lease_task_id == "message-1"
    Monitor.objects.filter(pk=monitor.pk).update(check_lease_until=None)

    assert Monitor.objects.get(pk=monitor.pk).claim_check(scheduled=False)
    assert Monitor.objects.get(pk=monitor.pk).check_lease_task_id == ""
    assert run_check(monitor.pk, task_id="", scheduled=False, redelivered=True) is None


def discarded(task_id: str, monitor, *, redelivered: bool = True) -> None:
    """What a worker does with a message it will not run (expired, revoked): Celery's own
    signal, with the request context it sends."""
    from celery.app.task import Context
    from celery.signals import task_revoked

    from monitors.tasks import run_check as run_check_task

    task_revoked.send(sender=run_check_task, request=Context(
        id=task_id, args=[monitor.pk], kwargs={},
        delivery_info={"redelivered": redelivered}), terminated=False, signum=None,
        expired=True)


def test_a_redelivery_discarded_as_expired_frees_the_lease_its_first_delivery_held(monitor):
    # RabbitMQ gives the message of a killed worker's check back at once, but the next
    # worker may take it only after its interval: it is discarded, and must not leave the
    # dead check's lease behind for timeout + 50 s.
    claimed_by(monitor, "message-1")

    discarded("message-1", monitor)

    assert Monitor.objects.get(pk=monitor.pk).check_lease_until is None
    assert Monitor.objects.get(pk=monitor.pk).claim_check(scheduled=False)


def test_a_discarded_message_that_holds_no_lease_frees_nothing(monitor):
    claimed_by(monitor, "message-1")

    discarded("message-2", monitor)

    assert Monitor.objects.get(pk=monitor.pk).check_lease_until is not None


def test_a_discarded_first_delivery_costs_no_statement(monitor, django_assert_num_queries):
    # A message that expired while queued (never delivered before) holds no lease: a worker
    # discarding hundreds of them after an outage must not query for each.
    claimed_by(monitor, "message-1")

    with django_assert_num_queries(0):
        discarded("message-1", monitor, redelivered=False)

    assert Monitor.objects.get(pk=monitor.pk).check_lease_until is not None
