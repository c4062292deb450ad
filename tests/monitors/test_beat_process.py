"""A real `celery beat` process with the grid scheduler: it keeps its run state through a
SIGTERM, and it notices edits while it runs."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django_celery_beat.models import PeriodicTask

from monitors.bulk import create_monitors
from monitors.models import Monitor
from tests.factories import UserFactory
from tests.support.webserver import child_env

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MONITORS = 3000


@pytest.fixture
def beat_process(tmp_path):
    started = []

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"beat-{len(started)}.log", "w")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
             "--pidfile=", "--max-interval", "1"],
            cwd=ROOT, env=child_env(), stdout=log, stderr=subprocess.STDOUT,
        )
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()


def sent_task_names(redis_server) -> set[str]:
    return {
        json.loads(message)["headers"]["periodic_task_name"]
        for message in redis_server.lrange("checks", 0, -1)
    }


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def test_sigterm_stops_beat_quickly_and_keeps_what_it_sent(beat_process, redis_server):
    owner = UserFactory()
    # A 10 s interval, so thousands of slots fall due within the test.
    create_monitors([
        Monitor(owner=owner, name=f"m{i}", url="https://example.com/", interval_seconds=10,
                timeout_seconds=5)
        for i in range(MONITORS)
    ])
    redis_server.delete("checks")
    beat = beat_process()
    wait_for(lambda: redis_server.llen("checks") >= 2500, 120, "beat to send 2,500 checks")

    beat.send_signal(signal.SIGTERM)
    stopped_at = time.monotonic()
    beat.wait(timeout=30)
    took = time.monotonic() - stopped_at

    assert took < 5, f"beat took {took:.1f} s to stop"
    sent = sent_task_names(redis_server)
    recorded = set(
        PeriodicTask.objects.filter(name__in=sent, last_run_at__isnull=False)
        .values_list("name", flat=True)
    )
    assert recorded == sent


def test_a_running_beat_picks_up_a_monitor_created_and_one_paused(beat_process, redis_server):
    owner = UserFactory()
    paused = Monitor.objects.create(
        owner=owner, name="to pause", url="https://example.com/", interval_seconds=10,
        timeout_seconds=5,
    )
    paused_name = paused.periodic_task.name
    redis_server.delete("checks")
    beat_process()
    wait_for(lambda: paused_name in sent_task_names(redis_server), 30, "the first check")

    paused.pause()
    created = Monitor.objects.create(
        owner=owner, name="new", url="https://example.com/", interval_seconds=10,
        timeout_seconds=5,
    )
    time.sleep(2)  # beat looks for changes every second
    redis_server.delete("checks")

    wait_for(lambda: created.periodic_task.name in sent_task_names(redis_server), 30,
             "the new monitor's first check")
    time.sleep(10)  # one more whole interval
    assert paused_name not in sent_task_names(redis_server)
