"""Cases 5 and 6: beat killed and started again, and two beats dispatching at once.

5. With the workers down too, beat's ticks pile up in the queue; beat is SIGKILLed and started
   again. Each queued tick expires (a monitor's messages live one interval: expire_seconds),
   the new beat owes every monitor one catch-up check, and the claim lets no slot run twice.
6. Two beats with the lock switched off (UPTIME_BEAT_LOCK=false) both send every tick; the
   claim still stores one result per monitor per slot. (The lock itself, one beat active and
   a standby taking over on SIGKILL, is tested in tests/monitors/test_beat_lock.py.)

The monitors are bulk-created: no check-at-once message, every check comes from beat. Redis is
the broker here whatever CELERY_BROKER_URL says, so that the test can read the queue.
"""

import json
import re
import time
from datetime import datetime

import pytest
from django.utils import timezone

from monitors.bulk import create_monitors
from monitors.models import CheckResult
from tests.factories import MonitorFactory, UserFactory
from tests.support.pipeline import Pipeline

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

INTERVAL = 4
DISCARDED = re.compile(r"Discarding revoked task: monitors\.run_check\[([0-9a-f-]+)\]")
RECEIVED = re.compile(r"Task monitors\.run_check\[([0-9a-f-]+)\] received")


def bulk_monitors(url: str, count: int, interval: int):
    owner = UserFactory()
    return create_monitors([
        MonitorFactory.build(owner=owner, name=f"beat fault {n}", url=url,
                             interval_seconds=interval, timeout_seconds=1)
        for n in range(count)
    ])


def check_times(monitor) -> list[datetime]:
    return list(CheckResult.objects.filter(monitor=monitor).order_by("checked_at")
                .values_list("checked_at", flat=True))


def smallest_gap(monitors) -> float:
    gaps = [(later - earlier).total_seconds()
            for monitor in monitors
            for earlier, later in zip(check_times(monitor), check_times(monitor)[1:],
                                      strict=False)]
    return min(gaps)


def queued_checks(redis_server) -> dict[str, dict]:
    """The check messages waiting in the Redis queue, by task id."""
    messages = (json.loads(raw)["headers"] for raw in redis_server.lrange("checks", 0, -1))
    return {m["id"]: m for m in messages if m["task"] == "monitors.run_check"}


def test_a_killed_beat_started_again_owes_one_catch_up_check_and_stale_ticks_expire(
    tmp_path, settings, target, redis_server, fault_report
):
    settings.UPTIME_MIN_INTERVAL_SECONDS = 1
    redis_server.delete("checks")
    monitors = bulk_monitors(target.url("/health"), 4, INTERVAL)
    with Pipeline(tmp_path, pool="threads", CELERY_BROKER_URL="",
                  UPTIME_MIN_INTERVAL_SECONDS="1") as pipeline:
        pipeline.wait_for(lambda: all(len(check_times(m)) >= 2 for m in monitors),
                          timeout=30, what="two checks of each monitor")
        worker = pipeline.workers[0]
        worker.terminate()  # a warm shutdown: the checks in flight finish
        worker.wait(timeout=15)
        stopped_at = timezone.now()
        time.sleep(2 * INTERVAL)
        pipeline.kill(pipeline.beats[0])
        stale = queued_checks(redis_server)
        time.sleep(INTERVAL)
        pipeline.start_beat()
        pipeline.wait_for(lambda: len(queued_checks(redis_server)) >= len(stale) + len(monitors),
                          timeout=20, what="the new beat's catch-up checks")
        restarted = pipeline.start_worker()
        pipeline.wait_for(lambda: all(check_times(m)[-1] > stopped_at for m in monitors),
                          timeout=20, what="a catch-up check of each monitor")
        resumed_at = min(check_times(m)[-1] for m in monitors)
        time.sleep(3 * INTERVAL)
        worker_log = pipeline.log_path(restarted).read_text()

    discarded = set(DISCARDED.findall(worker_log))
    ran_stale = CheckResult.objects.filter(task_id__in=stale).count()
    catch_ups = [
        sum(1 for at in check_times(m)
            if resumed_at <= at < resumed_at + timezone.timedelta(seconds=INTERVAL / 2))
        for m in monitors
    ]
    gap = smallest_gap(monitors)
    fault_report(
        "5 beat SIGKILLed and started again",
        f"1 catch-up check per monitor; stale ticks expire; gaps >= {INTERVAL / 2:g} s",
        f"catch-ups {catch_ups}; {len(stale)} stale ticks, {len(discarded & set(stale))} "
        f"expired, {ran_stale} ran; smallest gap {gap:.1f} s",
    )
    assert len(stale) >= len(monitors), "every monitor had a tick queued while workers were down"
    assert discarded >= set(stale), "every stale tick was discarded as expired"
    assert ran_stale == 0
    assert catch_ups == [1] * len(monitors)
    assert gap >= INTERVAL / 2 - 0.05
    # Back on the grid afterwards: a check each interval, give or take the catch-up's slot.
    assert all(len([at for at in check_times(m) if at >= resumed_at]) >= 3 for m in monitors)


def test_two_beats_without_the_lock_still_store_one_result_per_slot(
    tmp_path, settings, target, redis_server, fault_report
):
    settings.UPTIME_MIN_INTERVAL_SECONDS = 1
    interval = 3
    redis_server.delete("checks")
    monitors = bulk_monitors(target.url("/health"), 4, interval)
    with Pipeline(tmp_path, pool="threads", beats=2, CELERY_BROKER_URL="",
                  UPTIME_BEAT_LOCK="false", UPTIME_MIN_INTERVAL_SECONDS="1") as pipeline:
        pipeline.wait_for(lambda: all(check_times(m) for m in monitors),
                          timeout=30, what="a first check of each monitor")
        started = timezone.now()
        time.sleep(5 * interval)
        ended = timezone.now()
        time.sleep(2)
        worker_log = pipeline.log_path(pipeline.workers[0]).read_text()
        beat_logs = [pipeline.log_path(beat).read_text() for beat in pipeline.beats]

    window = (ended - started).total_seconds()
    per_monitor = [sum(1 for at in check_times(m) if started <= at < ended) for m in monitors]
    results = CheckResult.objects.filter(monitor__in=monitors)
    received = RECEIVED.findall(worker_log)
    gap = smallest_gap(monitors)
    fault_report(
        "6 two beats, lock switched off",
        f"both dispatch; 1 result per monitor per {interval} s slot",
        f"{len(received)} messages for {results.count()} results; "
        f"{window:.0f} s window: {per_monitor} results; smallest gap {gap:.1f} s",
    )
    assert all("holds no lock" in log for log in beat_logs), beat_logs
    # Each slot was sent by both beats...
    assert len(received) >= 1.8 * results.count(), (len(received), results.count())
    # ...and checked once.
    assert gap >= interval / 2 - 0.05
    assert all(window // interval - 1 <= count <= window // interval + 1
               for count in per_monitor), per_monitor
    assert results.values("task_id").distinct().count() == results.count()
