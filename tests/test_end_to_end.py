"""The whole pipeline with real processes: beat -> Redis -> worker -> DB -> webhook receiver."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from incidents.models import Incident
from monitors.models import Monitor
from tests.factories import MonitorFactory, NotificationChannelFactory
from tests.support.webserver import child_env

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pipeline(tmp_path):
    env = child_env(UPTIME_MIN_INTERVAL_SECONDS="1")
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    commands = {
        "worker": celery + ["worker", "-Q", "checks,notifications", "--concurrency", "2",
                            "-n", f"e2e-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
                            "--loglevel", "INFO"],
        "beat": celery + ["beat", "--loglevel", "INFO", "--pidfile=", "--max-interval", "1"],
    }
    processes = []
    for name, command in commands.items():
        log = open(tmp_path / f"{name}.log", "w")
        processes.append((name, log, subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )))
    yield tmp_path
    for _, _, process in processes:
        process.terminate()
    for _, log, process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_for(condition, *, timeout: float, what: str, logs: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    tails = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs.glob("*.log"))
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{tails}")


def test_a_target_going_down_and_up_gives_one_incident_and_two_webhooks(
    pipeline, target, receiver, settings
):
    settings.UPTIME_MIN_INTERVAL_SECONDS = 1
    monitor = MonitorFactory(
        url=target.url("/health"), interval_seconds=1, timeout_seconds=1, failure_threshold=2
    )
    NotificationChannelFactory(owner=monitor.owner, config={"url": receiver.url})

    def status():
        return Monitor.objects.get(pk=monitor.pk).status

    wait_for(lambda: status() == "up", timeout=60, what="the first good check", logs=pipeline)

    target.take_down()
    wait_for(lambda: receiver.events() == ["incident.opened"], timeout=30,
             what="the incident.opened webhook", logs=pipeline)
    assert status() == "down"

    target.bring_up()
    wait_for(lambda: receiver.events() == ["incident.opened", "incident.resolved"], timeout=30,
             what="the incident.resolved webhook", logs=pipeline)

    incident = Incident.objects.get(monitor=monitor)
    assert incident.resolved_at is not None
    assert [e.kind for e in incident.events.all()] == ["opened", "resolved"]
    assert "refused" in incident.cause
    # Still exactly one incident and two webhooks a couple of checks later.
    time.sleep(2.5)
    assert Incident.objects.filter(monitor=monitor).count() == 1
    assert receiver.events() == ["incident.opened", "incident.resolved"]
