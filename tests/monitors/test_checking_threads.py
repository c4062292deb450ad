"""Checks on a real `celery worker --pool threads`, the way `make run` starts it: many in
flight in one process, hung ones ended by their own deadline (Celery enforces no time limit
in this pool), and every message recorded at most once."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitors.models import CheckResult
from monitors.tasks import run_check
from tests.factories import MonitorFactory
from tests.support.stalling import HeaderTrickler, SilentServer, SlowServer
from tests.support.webserver import child_env

ROOT = Path(__file__).resolve().parent.parent.parent
CONCURRENCY = 50
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("without_first_checks")]


@pytest.fixture(scope="module")
def threads_worker(tmp_path_factory, django_db_setup, django_db_blocker):
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    with django_db_blocker.unblock():
        env = child_env()
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "checks",
         "--pool", "threads", "--concurrency", str(CONCURRENCY),
         "-n", f"threads-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
         "--loglevel", "INFO"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    wait_for(lambda: " ready." in log_path.read_text(), timeout=60, what="the worker",
             log_path=log_path)
    yield log_path
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def wait_for(condition, *, timeout: float, what: str, log_path: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{log_path.read_text()[-3000:]}")


@pytest.fixture
def stalling_servers():
    servers = [SilentServer().start(), HeaderTrickler().start()]
    yield servers
    for server in servers:
        server.stop()


def check(monitor, **options) -> None:
    run_check.apply_async((monitor.pk,), {"scheduled": False}, **options)


def results_for(monitors) -> int:
    return CheckResult.objects.filter(monitor__in=monitors).count()


def test_hung_checks_end_at_their_limit_as_timeouts_while_the_others_finish(
    threads_worker, target, stalling_servers
):
    hung = [MonitorFactory(url=server.url(), timeout_seconds=3) for server in stalling_servers]
    fast = [MonitorFactory(url=target.url(f"/{n}"), timeout_seconds=3) for n in range(10)]
    for monitor in hung + fast:
        check(monitor)

    wait_for(lambda: results_for(fast) == 10, timeout=30, what="the fast checks",
             log_path=threads_worker)
    # The hung ones are still waiting on their servers while the fast ones are done.
    assert results_for(hung) == 0

    wait_for(lambda: results_for(hung) == 2, timeout=30, what="the hung checks",
             log_path=threads_worker)
    for monitor in hung:
        result = CheckResult.objects.get(monitor=monitor)
        assert (result.outcome, result.error) == ("timeout", "timed out after 3.0 s")
    assert all(
        result.outcome == "ok" for result in CheckResult.objects.filter(monitor__in=fast)
    )


def test_many_checks_in_flight_at_once_record_one_result_each(threads_worker):
    server = SlowServer(delay=2).start()
    try:
        monitors = [MonitorFactory(url=server.url(f"/{n}"), timeout_seconds=5)
                    for n in range(40)]
        for monitor in monitors:
            check(monitor)

        wait_for(lambda: results_for(monitors) == 40, timeout=60, what="40 results",
                 log_path=threads_worker)
    finally:
        server.stop()

    # One worker process held most of them open at the same time.
    assert server.most_at_once >= 30
    for monitor in monitors:
        assert CheckResult.objects.filter(monitor=monitor, outcome="ok").count() == 1


def test_a_redelivered_message_records_nothing_twice(threads_worker, target):
    monitor = MonitorFactory(url=target.url("/health"))
    # Two deliveries of one message at once (a second consumer got it too), then the same
    # message once more after its result is stored (a broker redelivery).
    check(monitor, task_id="message-1")
    check(monitor, task_id="message-1")
    wait_for(lambda: results_for([monitor]) == 1, timeout=30, what="the first result",
             log_path=threads_worker)
    check(monitor, task_id="message-1")
    check(monitor, task_id="message-2")
    wait_for(lambda: results_for([monitor]) == 2, timeout=30, what="the second message",
             log_path=threads_worker)
    time.sleep(1)  # room for a duplicate to land, if one were going to

    assert sorted(CheckResult.objects.filter(monitor=monitor).values_list("task_id", flat=True)
                  ) == ["message-1", "message-2"]
    assert len(target.requests_seen) == 2
