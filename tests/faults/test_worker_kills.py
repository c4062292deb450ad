"""Cases 1 and 2: a worker killed in the middle of a check.

1. The prefork pool's child running the check is SIGKILLed: Celery requeues the message at
   once (acks_late + reject_on_worker_lost), and its second delivery finds the claim lease
   that the dead child left behind. It is a redelivery of the very message that holds the
   lease, so it takes the lease over and runs the check again (Monitor.claim_check).
2. The worker's main process is SIGKILLed (threads pool, as production runs checks): its
   unacknowledged message comes back when the broker allows, RabbitMQ as soon as the
   connection drops, Redis once its visibility timeout has passed, and a new worker runs it.

Each ends with one result for the killed message and no duplicate incident.
"""

import re
import time
from datetime import timedelta

import psutil
import pytest
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from incidents.models import Incident
from monitors.bulk import create_monitors
from monitors.models import CheckResult
from notifications.models import Delivery
from tests.factories import MonitorFactory, NotificationChannelFactory, UserFactory
from tests.support.pipeline import Pipeline
from tests.support.rabbitmq import rabbitmq_vhost
from tests.support.stalling import SilentServer

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

TIMEOUT = 2
RECEIVED = re.compile(r"Task monitors\.run_check\[([0-9a-f-]+)\] received")


def connected_to(process, port: int) -> bool:
    return any(c.raddr and c.raddr.port == port for c in process.net_connections("tcp"))


def test_a_check_whose_worker_child_is_killed_runs_again_with_one_result(
    tmp_path, fault_report
):
    hanging = SilentServer().start()
    # Created with save(): the check-at-once message is the one in flight when the child dies.
    monitor = MonitorFactory(url=hanging.url("/"), interval_seconds=60, timeout_seconds=TIMEOUT,
                             failure_threshold=1)
    results = CheckResult.objects.filter(monitor=monitor)
    lease = monitor.limits.claim_lease
    try:
        with Pipeline(tmp_path, pool="prefork") as pipeline:
            worker = pipeline.workers[0]
            child = pipeline.wait_for(
                lambda: next((c for c in pipeline.worker_children(worker)
                              if connected_to(c, hanging.port)), None),
                timeout=30, what="a worker child hanging on the target")
            child.kill()
            killed_at = time.monotonic()
            pipeline.wait_for(results.exists, timeout=lease - 10,
                              what="the check to run again before its dead claim's lease ends")
            recovered_in = time.monotonic() - killed_at
            time.sleep(TIMEOUT + 2)  # room for a duplicate to show up
            worker_log = pipeline.log_path(worker).read_text()
    finally:
        hanging.stop()

    task_ids = RECEIVED.findall(worker_log)
    fault_report(
        "1 worker child SIGKILLed mid-check (prefork)",
        f"runs again before the {lease} s lease ends; 1 result",
        f"{results.count()} result ({results.first().outcome}) {recovered_in:.1f} s after the "
        f"kill; target asked {len(hanging.requests_seen)} times",
    )
    assert "WorkerLostError" in worker_log, worker_log[-3000:]
    # One message, delivered twice (the second time after the kill), probed twice, one result.
    # (The monitor's first slot on its 60 s grid may fall inside the test: that scheduled
    # message is received too, and steps aside, since the check is in flight or just done.)
    killed = task_ids[0]
    assert task_ids.count(killed) == 2, task_ids
    assert len(task_ids) <= 3, task_ids
    assert list(results.values_list("task_id", "outcome")) == [(killed, "timeout")]
    assert len(hanging.requests_seen) == 2
    assert Incident.objects.filter(monitor=monitor).count() == 1


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request):
    if request.param == "redis":
        yield "redis", ""  # empty: the broker is REDIS_URL
        return
    with rabbitmq_vhost() as url:
        yield "rabbitmq", url


def test_a_check_whose_worker_is_killed_is_redelivered_once(
    tmp_path, broker, receiver, fault_report
):
    broker_name, broker_url = broker
    hanging = SilentServer().start()
    # Bulk-created, so no check-at-once message goes to this test process's broker: the
    # check comes from beat, which owes a monitor whose task last ran a day ago one at once.
    owner = UserFactory()
    (monitor,) = create_monitors([MonitorFactory.build(
        owner=owner, url=hanging.url("/"), interval_seconds=600, timeout_seconds=TIMEOUT,
        failure_threshold=1)])
    PeriodicTask.objects.filter(pk=monitor.periodic_task_id).update(
        last_run_at=timezone.now() - timedelta(days=1))
    NotificationChannelFactory(owner=owner, config={"url": receiver.url})
    # Redis's visibility timeout must outlast the longest claim lease (uptime/budgets.py):
    # with this monitor's timeout as the longest allowed, it can be this monitor's lease + 1.
    visibility = monitor.limits.claim_lease + 1
    results = CheckResult.objects.filter(monitor=monitor)
    try:
        with Pipeline(tmp_path, pool="threads", CELERY_BROKER_URL=broker_url,
                      UPTIME_MAX_TIMEOUT_SECONDS=str(TIMEOUT),
                      UPTIME_BROKER_VISIBILITY_TIMEOUT=str(visibility)) as pipeline:
            first = pipeline.workers[0]
            pipeline.wait_for(lambda: connected_to(psutil.Process(first.pid), hanging.port),
                              timeout=30, what="the worker hanging on the target")
            # No later slot of this monitor muddles which message comes back.
            pipeline.beats[0].terminate()
            pipeline.kill(first)
            killed_at = time.monotonic()
            (killed_task,) = RECEIVED.findall(pipeline.log_path(first).read_text())
            pipeline.start_worker()
            # Redis: the visibility timeout, then up to ~100 s until a worker's sweep of
            # unacknowledged messages (kombu: every 10 s, scanning every 10th time).
            pipeline.wait_for(lambda: results.filter(task_id=killed_task).exists(),
                              timeout=30 if broker_name == "rabbitmq" else visibility + 120,
                              what=f"the killed check {killed_task} to run again")
            recovered_in = time.monotonic() - killed_at
            pipeline.wait_for(
                lambda: Delivery.objects.filter(status=Delivery.Status.DELIVERED).exists(),
                timeout=30, what="the incident's notification")
            time.sleep(TIMEOUT + 2)
    finally:
        hanging.stop()

    incidents = Incident.objects.filter(monitor=monitor)
    fault_report(
        f"2 worker SIGKILLed mid-check (threads, {broker_name})",
        "redelivered, 1 result, 1 incident, 1 webhook",
        f"{results.filter(task_id=killed_task).count()} result after {recovered_in:.1f} s; "
        f"{incidents.count()} incident; webhooks {receiver.events()}",
    )
    assert list(results.values_list("task_id", flat=True)) == [killed_task]
    assert incidents.count() == 1
    assert receiver.events() == ["incident.opened"]
    if broker_name == "rabbitmq":
        assert recovered_in < 15
    else:
        assert recovered_in > visibility - 5
