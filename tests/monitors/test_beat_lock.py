"""Exactly one active beat (monitors/beat_lock.py): the locks themselves, and two real
`celery beat` processes, one standing by until the other is SIGKILLed."""

import random
import re
import signal
import time

import psycopg
import pytest
from django.db import connection

from monitors.beat_lock import FileLock, NoLock, PostgresAdvisoryLock, beat_lock
from monitors.models import Monitor
from tests.factories import UserFactory
from tests.support.machine import needs_machine_postgres

from .test_beat_process import beat_process, sent_task_names, wait_for  # noqa: F401

MACHINE_POSTGRES = {"NAME": "postgres", "USER": "postgres", "HOST": "127.0.0.1", "PORT": 5432}


@pytest.fixture
def key():
    """A key of this test's own: other test runs on the machine's server may hold beat's."""
    return random.randrange(1, 2**31)


def test_a_second_file_lock_waits_until_the_first_is_released(tmp_path):
    first, second = FileLock(tmp_path / "beat.lock"), FileLock(tmp_path / "beat.lock")

    assert first.try_acquire()
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    assert (tmp_path / "beat.lock").read_text().strip().isdigit()  # the holder's pid
    second.release()


@needs_machine_postgres
def test_a_second_advisory_lock_waits_until_the_first_session_ends(key):
    first = PostgresAdvisoryLock(MACHINE_POSTGRES, key=key)
    second = PostgresAdvisoryLock(MACHINE_POSTGRES, key=key)
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        first.release()  # the session ends, and its lock with it
        assert second.try_acquire()
    finally:
        first.release()
        second.release()


@needs_machine_postgres
def test_a_holder_whose_session_was_killed_knows_it_lost_the_lock(key):
    holder = PostgresAdvisoryLock(MACHINE_POSTGRES, key=key)
    other = PostgresAdvisoryLock(MACHINE_POSTGRES, key=key)
    try:
        assert holder.try_acquire()
        pid = holder._connection.info.backend_pid
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres",
                             autocommit=True) as admin:
            # wait => true only once the backend is gone, and its locks with it (without it, the
            # signal is sent and the backend may still hold the lock a moment: CI saw that).
            admin.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
        # What a database restart does to the holder: the lock is free for another beat...
        assert other.try_acquire()
        holder._confirmed_at = 0  # confirm() looks at most every CONFIRM_SECONDS
        # ...and the holder says so, rather than dispatching beside it.
        assert holder.confirm() is False
        assert holder.try_acquire() is False
    finally:
        holder.release()
        other.release()


def test_the_lock_follows_the_database_and_can_be_switched_off(settings):
    expected = PostgresAdvisoryLock if connection.vendor == "postgresql" else FileLock
    assert isinstance(beat_lock(), expected)
    settings.UPTIME_BEAT_LOCK = False
    assert isinstance(beat_lock(), NoLock)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_standby_beat_takes_over_within_15_s_of_the_first_being_killed(
    beat_process, redis_server, tmp_path  # noqa: F811
):
    monitor = Monitor.objects.create(
        owner=UserFactory(), name="ticking", url="https://example.com/", interval_seconds=10,
        timeout_seconds=5,
    )
    name = monitor.periodic_task.name
    redis_server.delete("checks")
    active = beat_process()
    wait_for(lambda: name in sent_task_names(redis_server), 30, "the active beat's first check")
    standby = beat_process()
    standby_log = tmp_path / "beat-1.log"
    wait_for(lambda: "standing by" in standby_log.read_text(), 30, "the second beat to stand by")

    # While the first runs, the second sends nothing: a 20.5 s window holds 2 or 3 slots of
    # a 10 s grid, so one beat sends at most 3 messages for the monitor, two beats at least 4.
    redis_server.delete("checks")
    time.sleep(20.5)
    sent = [m for m in redis_server.lrange("checks", 0, -1) if name.encode() in m]
    assert len(sent) <= 3, f"{len(sent)} messages in two intervals: both beats dispatch"
    assert "took over" not in standby_log.read_text()

    active.send_signal(signal.SIGKILL)
    active.wait()
    killed_at = time.monotonic()
    wait_for(lambda: "took over" in standby_log.read_text(), 15, "the standby to take over")
    took = time.monotonic() - killed_at
    redis_server.delete("checks")
    wait_for(lambda: name in sent_task_names(redis_server), 20, "the new active beat's check")

    assert standby.poll() is None
    assert took < 15
    assert re.search(r"took over .* after [\d.]+ s in standby", standby_log.read_text())
