"""Case 10: the webhook receiver answers 503 for two minutes, then recovers. The incident's
notification is retried on the real backoff schedule (UPTIME_NOTIFICATION_BACKOFF_SECONDS
doubling per attempt, with jitter), every attempt is logged, and the receiver, which accepts
one request per Idempotency-Key, gets exactly one. Real worker and beat; about three minutes.
"""

import time

import pytest

from incidents.models import Incident
from notifications.models import Delivery, NotificationLog
from tests.factories import MonitorFactory, NotificationChannelFactory
from tests.support.pipeline import Pipeline
from tests.support.receiver import Answer

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

OUTAGE = 120
BACKOFF = 5
# Waits of 5, 10, 20, 40 and 80 s (each +-20 %): the sixth attempt comes 124 to 186 s after
# the first, after the outage whatever the jitter, and none is given up.
MAX_ATTEMPTS = 10


def test_a_receiver_down_for_two_minutes_gets_the_notification_once_it_recovers(
    tmp_path, target, receiver, fault_report
):
    target.take_down()
    monitor = MonitorFactory(url=target.url("/health"), interval_seconds=60, timeout_seconds=1,
                             failure_threshold=1)
    NotificationChannelFactory(owner=monitor.owner, config={"url": receiver.url})
    receiver.answer = Answer(503, "down for maintenance")

    def accepted():
        return [r for r in receiver.requests if r.status < 300]

    with Pipeline(tmp_path, pool="threads", UPTIME_NOTIFICATION_BACKOFF_SECONDS=str(BACKOFF),
                  UPTIME_NOTIFICATION_MAX_ATTEMPTS=str(MAX_ATTEMPTS)) as pipeline:
        pipeline.wait_for(lambda: receiver.requests, timeout=30,
                          what="the first attempt at the incident.opened webhook")
        first_at = time.monotonic()
        time.sleep(max(0.0, first_at + OUTAGE - time.monotonic()))
        receiver.answer = Answer(200, "ok")
        recovered_at = time.monotonic()
        pipeline.wait_for(accepted, timeout=90, what="the webhook, after the receiver recovered")
        delivered_at = time.monotonic()
        time.sleep(5)  # room for a second delivery to show up

    delivery = Delivery.objects.get(incident__monitor=monitor)
    logs = list(NotificationLog.objects.filter(delivery=delivery).order_by("attempt")
                .values_list("attempt", "outcome"))
    keys = {r.headers.get("Idempotency-Key") for r in receiver.requests}
    refused = [r for r in receiver.requests if r.status == 503]
    fault_report(
        f"10 webhook receiver 503 for {OUTAGE} s",
        "delivered once (one accepted request per key); attempts logged",
        f"{len(accepted())} accepted of {len(receiver.requests)} requests, 1 key; "
        f"{delivery.attempts} attempts logged; delivered {delivered_at - recovered_at:.0f} s "
        f"after recovery ({delivered_at - first_at:.0f} s after the first attempt)",
    )
    assert Incident.objects.filter(monitor=monitor).count() == 1
    assert keys == {delivery.idempotency_key}
    assert len(accepted()) == 1
    assert receiver.requests[-1].status == 200, "no request after the accepted one"
    assert len(refused) >= 4, "retried on its schedule throughout the outage"
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.attempts == len(receiver.requests)
    assert logs == [(n, "retrying") for n in range(1, len(refused) + 1)] + [
        (len(refused) + 1, "delivered")]
