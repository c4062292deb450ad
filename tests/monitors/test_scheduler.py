"""The grid scheduler (monitors/scheduler.py) against the real database and the real broker.

Beat's clock is stepped by the test (the scheduler reads it through `clock`), so "five minutes
of beat" takes milliseconds; what it sends is read back from the Redis queues it sent to.
"""

import json
import logging
import socket

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_celery_beat.models import PeriodicTask

from config.celery_app import app as celery_app
from monitors.models import Monitor
from monitors.scheduler import MonitorScheduler, ideal_slot
from tests.factories import MonitorFactory

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("without_first_checks")]

START = 1_800_000_000.0  # a fixed unix time, so every run steps through the same slots
STEP = 0.5


class SteppedClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return SteppedClock(START)


@pytest.fixture
def sent(redis_server):
    """What beat has put on the checks queue since the last call: task names, oldest first."""
    redis_server.delete("checks", "notifications")

    def take(queue: str = "checks") -> list[str]:
        raw = redis_server.lrange(queue, 0, -1)
        redis_server.delete(queue)
        # kombu LPUSHes, so the list is newest first.
        return [json.loads(message)["headers"]["periodic_task_name"] for message in raw[::-1]]

    return take


@pytest.fixture
def beat(clock):
    started = []

    def start() -> MonitorScheduler:
        class SteppedScheduler(MonitorScheduler):
            refresh_seconds = 0  # every tick looks for changes
            sync_seconds = 3600  # the tests sync when they mean to

        SteppedScheduler.clock = staticmethod(clock)
        scheduler = SteppedScheduler(app=celery_app)
        started.append(scheduler)
        return scheduler

    yield start
    for scheduler in started:
        scheduler.close()


def run(scheduler, clock, sent, seconds: float, queue: str = "checks") -> dict[str, list[float]]:
    """Tick every STEP seconds of beat time, from one step after now until `seconds` later, so
    that consecutive runs cover consecutive windows (t, t + seconds] and each slot falls in
    exactly one. Returns when each task was sent."""
    times: dict[str, list[float]] = {}
    for _ in range(round(seconds / STEP)):
        clock.now += STEP
        scheduler.tick()
        for name in sent(queue):
            times.setdefault(name, []).append(clock.now)
    return times


def name_of(monitor: Monitor) -> str:
    return PeriodicTask.objects.get(pk=monitor.periodic_task_id).name


def test_each_monitor_is_sent_once_per_slot_on_its_own_grid(beat, clock, sent):
    monitors = MonitorFactory.create_batch(20, interval_seconds=60)
    scheduler = beat()

    times = run(scheduler, clock, sent, 300)

    for monitor in monitors:
        name = name_of(monitor)
        sends = times[name]
        assert len(sends) == 5, (name, sends)
        for sent_at in sends:
            # Sent on the first tick at or after its slot.
            assert 0 <= sent_at - ideal_slot(name, 60, sent_at) < STEP
        assert [b - a for a, b in zip(sends, sends[1:], strict=False)] == [60.0] * 4


def test_monitors_created_together_do_not_tick_together(db):
    monitors = MonitorFactory.create_batch(200, interval_seconds=60)

    slots = [ideal_slot(name_of(monitor), 60, START) for monitor in monitors]

    offsets = sorted(slot - START + 60 for slot in slots)
    assert offsets[-1] - offsets[0] > 50  # spread over the interval
    per_second = [sum(1 for offset in offsets if int(offset) == second) for second in range(60)]
    assert max(per_second) <= 15


def test_an_edited_interval_is_picked_up_without_a_full_reload(beat, clock, sent):
    monitor, other = MonitorFactory.create_batch(2, interval_seconds=60)
    scheduler = beat()
    run(scheduler, clock, sent, 60)

    monitor.interval_seconds = 30
    monitor.save()
    times = run(scheduler, clock, sent, 120)

    name = name_of(monitor)
    sends = times[name]
    # Every slot of the new 30 s grid after the tick that found the edit (a slot inside that
    # first tick's step is the grid's "now": the next slot, not a catch-up, comes first).
    # The grid's phase hangs on the task's name, so on the monitor's id: 3 or 4 slots.
    found_at = START + 60 + STEP
    slots = [slot for slot in (ideal_slot(name, 30, found_at) + 30 * k for k in range(1, 6))
             if slot <= START + 180]
    assert len(sends) == len(slots) >= 3
    assert all(0 <= sent_at - slot < STEP for sent_at, slot in zip(sends, slots, strict=True))
    assert len(times[name_of(other)]) == 2
    assert scheduler.stats["full_loads"] == 1
    assert scheduler.stats["refreshes"] >= 1


def test_paused_deleted_and_created_monitors_are_picked_up_without_a_full_reload(
    beat, clock, sent
):
    paused, deleted, kept = MonitorFactory.create_batch(3, interval_seconds=60)
    paused_name, deleted_name = name_of(paused), name_of(deleted)
    scheduler = beat()
    run(scheduler, clock, sent, 60)

    paused.pause()
    deleted.delete()
    created = MonitorFactory(interval_seconds=60)
    times = run(scheduler, clock, sent, 180)

    assert paused_name not in times
    assert deleted_name not in times
    assert len(times[name_of(kept)]) == 3
    assert len(times[name_of(created)]) == 3
    assert scheduler.stats["full_loads"] == 1

    paused.resume()
    found_at = clock.now + STEP
    times = run(scheduler, clock, sent, 120)
    # A resumed monitor's next slot, not a catch-up: the slots of its grid after the tick
    # that found it (its phase hangs on the monitor's id), 1 or 2 in these 120 s.
    slots = [slot for slot in (ideal_slot(paused_name, 60, found_at) + 60 * k for k in (1, 2))
             if slot <= found_at - STEP + 120]
    assert len(times.get(paused_name, [])) == len(slots) >= 1
    assert scheduler.stats["full_loads"] == 1


def test_a_restarted_beat_sends_one_catch_up_per_overdue_monitor(beat, clock, sent):
    monitors = MonitorFactory.create_batch(10, interval_seconds=60)
    first = beat()
    run(first, clock, sent, 120)
    first.close()  # what SIGTERM does: the run state is written

    clock.now += 300  # beat is down for five minutes
    second = beat()
    second.tick()
    catch_up = sent()
    times = run(second, clock, sent, 60)

    names = sorted(name_of(monitor) for monitor in monitors)
    assert sorted(catch_up) == names
    # After the catch-up, back on the grid: one check in the next interval, at its slot.
    for name in names:
        assert len(times[name]) == 1
        assert times[name][0] - ideal_slot(name, 60, times[name][0]) < STEP


def test_a_beat_restarted_within_the_slot_sends_nothing_extra(beat, clock, sent):
    MonitorFactory.create_batch(10, interval_seconds=60)
    first = beat()
    run(first, clock, sent, 90)
    first.close()

    second = beat()
    second.tick()

    assert sent() == []


def test_run_state_is_written_in_one_statement_per_batch(beat, clock, sent):
    MonitorFactory.create_batch(50, interval_seconds=60)
    scheduler = beat()
    run(scheduler, clock, sent, 60)

    with CaptureQueriesContext(connection) as queries:
        scheduler.sync()

    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert PeriodicTask.objects.filter(
        name__startswith="monitor-check:", last_run_at__isnull=True
    ).count() == 0


def test_the_built_in_sweeps_still_run(beat, clock, sent):
    scheduler = beat()

    times = run(scheduler, clock, sent, 60, queue="notifications")

    assert {name: len(sends) for name, sends in times.items()} == {
        "notifications.sweep_outbox": 2, "notifications.follow_up": 1,
        "monitors.detect_gaps": 2, "monitors.roll_up_history": 1,
    }


def test_deleting_a_paused_monitor_needs_no_full_reload(beat, clock, sent):
    paused, kept = MonitorFactory.create_batch(2, interval_seconds=60)
    paused.pause()
    scheduler = beat()

    paused.delete()
    times = run(scheduler, clock, sent, 60)

    assert len(times[name_of(kept)]) == 1
    assert scheduler.stats["full_loads"] == 1


def test_a_change_no_date_reveals_is_found_by_a_full_read(beat, clock, sent):
    # A schedule edited in the admin moves the change marker but no PeriodicTask's
    # date_changed; so does a row written by a web process whose clock is far behind.
    monitor = MonitorFactory(interval_seconds=60)
    scheduler = beat()
    run(scheduler, clock, sent, 60)

    task = PeriodicTask.objects.get(pk=monitor.periodic_task_id)
    schedule = task.interval
    schedule.every = 30
    schedule.save()
    times = run(scheduler, clock, sent, 120)

    assert len(times[task.name]) == 4
    assert scheduler.stats["full_loads"] == 2


def test_a_broker_that_is_away_costs_one_log_line_and_the_missed_slots(
    beat, clock, sent, caplog
):
    monitors = MonitorFactory.create_batch(5, interval_seconds=10)
    scheduler = beat()
    run(scheduler, clock, sent, 10)  # every monitor sent once: the producer is connected
    working = scheduler.producer
    # A producer on a port nobody listens on: every publish fails, as with Redis stopped.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    scheduler.producer = celery_app.amqp.Producer(
        celery_app.connection_for_write(f"redis://127.0.0.1:{dead_port}/0"), auto_declare=False)

    with caplog.at_level(logging.INFO, logger="monitors.scheduler"):
        away = run(scheduler, clock, sent, 20)
        scheduler.producer = working
        back = run(scheduler, clock, sent, 10)

    assert away == {}
    lines = [record for record in caplog.records if record.name == "monitors.scheduler"]
    assert [record.getMessage()[:29] for record in lines if record.levelno >= logging.WARNING] \
        == ["beat: cannot reach the broker", "beat: the broker is back afte"]
    assert not any(record.exc_info for record in lines)
    # Slots missed while it was away are skipped, not sent late: one each on its grid.
    assert sorted(back) == sorted(name_of(monitor) for monitor in monitors)
    assert all(len(times) == 1 for times in back.values())


def test_a_monitor_with_regions_is_sent_to_each_regions_queue_at_each_slot(
        beat, clock, sent, redis_server):
    monitor = MonitorFactory(interval_seconds=60, regions=["us", "in"])
    redis_server.delete("checks.us", "checks.in")
    scheduler = beat()
    raw = {}

    for _ in range(round(180 / STEP)):
        clock.now += STEP
        scheduler.tick()
        for region in ("us", "in"):
            raw.setdefault(region, []).extend(redis_server.lrange(f"checks.{region}", 0, -1))
            redis_server.delete(f"checks.{region}")

    assert sent("checks") == []
    for region in ("us", "in"):
        assert len(raw[region]) == 3, region
        for message in raw[region]:
            headers = json.loads(message)["headers"]
            assert headers["argsrepr"] == f"[{monitor.pk}]"
            assert headers["kwargsrepr"] == f"{{'region': '{region}'}}"
