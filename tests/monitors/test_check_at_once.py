"""A monitor is checked at once when it is created, resumed, or its target changes: one
check-now message on its queue after the commit, whichever way the change was made."""

import json
import logging
import os
import socket
import subprocess
import sys
import time

import pytest
from django.db import transaction
from knox.models import AuthToken
from rest_framework.test import APIClient

from config.celery_app import app as celery_app
from monitors.bulk import create_monitors
from monitors.models import CheckResult, Monitor
from tests.factories import MonitorFactory
from tests.support.webserver import ROOT, child_env

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(redis_server):
    """The monitor ids of the check-now messages waiting on a queue (real broker)."""
    queues = ["checks", "checks.eu-west"]
    redis_server.delete(*queues)

    def ids(queue: str = "checks") -> list[int]:
        found = []
        for raw in redis_server.lrange(queue, 0, -1):
            headers = json.loads(raw)["headers"]
            assert headers["task"] == "monitors.run_check"
            assert headers["kwargsrepr"] in ("{'scheduled': False}",
                                             f"{{'scheduled': False, 'region': '{queue[7:]}'}}")
            found.append(int(headers["argsrepr"].strip("(),")))
        return found

    yield ids
    redis_server.delete(*queues)


def test_a_new_monitor_is_checked_once_after_the_commit(queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        monitor = MonitorFactory()
        assert queued() == [], "queued before the commit: a worker could miss the new row"

    assert queued() == [monitor.pk]


def test_a_new_paused_monitor_is_not_checked(queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        MonitorFactory(is_paused=True)

    assert queued() == []


def test_a_creation_that_rolls_back_queues_nothing(queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            MonitorFactory()
            raise RuntimeError("rolled back")

    assert queued() == []


@pytest.mark.parametrize("field, value", [
    ("url", "https://example.com/other"),
    ("method", "HEAD"),
    ("request_headers", {"X-Api-Key": "new"}),
    ("expected_status_codes", [204]),
    ("timeout_seconds", 9),
])
def test_a_changed_target_is_checked_at_once(queued, django_capture_on_commit_callbacks,
                                             field, value):
    monitor = MonitorFactory()
    setattr(monitor, field, value)

    with django_capture_on_commit_callbacks(execute=True):
        monitor.save()

    assert queued() == [monitor.pk]


def test_a_new_region_is_checked_on_its_own_queue(queued, django_capture_on_commit_callbacks):
    monitor = MonitorFactory()
    monitor.regions = ["eu-west"]

    with django_capture_on_commit_callbacks(execute=True):
        monitor.save()

    assert (queued("checks"), queued("checks.eu-west")) == ([], [monitor.pk])


@pytest.mark.parametrize("field, value", [
    ("name", "Renamed"), ("interval_seconds", 120), ("failure_threshold", 5),
])
def test_an_edit_that_does_not_change_what_is_checked_queues_nothing(
    queued, django_capture_on_commit_callbacks, field, value
):
    monitor = MonitorFactory()
    setattr(monitor, field, value)

    with django_capture_on_commit_callbacks(execute=True):
        monitor.save()

    assert queued() == []


def test_a_stale_instance_saved_unchanged_queues_nothing(queued,
                                                         django_capture_on_commit_callbacks):
    monitor = MonitorFactory()
    Monitor.objects.filter(pk=monitor.pk).update(status="up")

    with django_capture_on_commit_callbacks(execute=True):
        Monitor.objects.get(pk=monitor.pk).save()

    assert queued() == []


def test_resuming_checks_at_once_and_pausing_does_not(queued,
                                                      django_capture_on_commit_callbacks):
    monitor = MonitorFactory()

    with django_capture_on_commit_callbacks(execute=True):
        monitor.pause()
        monitor.url = "https://example.com/while-paused"
        monitor.save()
    assert queued() == []

    with django_capture_on_commit_callbacks(execute=True):
        monitor.resume()
    assert queued() == [monitor.pk]


def test_bulk_creation_queues_no_checks(queued, django_capture_on_commit_callbacks):
    # Thousands of checks at once would sit in front of the scheduled ones; beat's grid
    # already spreads bulk-created monitors over their interval.
    owner = MonitorFactory().owner
    with django_capture_on_commit_callbacks(execute=True):
        created = create_monitors([
            Monitor(owner=owner, name=f"bulk {n}", url="https://example.com/")
            for n in range(50)
        ])

    assert len(created) == 50
    assert queued() == []


# --- every way in: web, API, admin (their transactions really commit) ----------------------


@pytest.mark.django_db(transaction=True)
def test_the_web_form_queues_the_first_check(client, alice, queued):
    client.force_login(alice)

    response = client.post("/monitors/new/", {
        "name": "Payments", "url": "https://payments.example.com/health", "method": "GET",
        "expected_status_codes": "", "request_headers": "", "timeout_seconds": 5,
        "interval_seconds": 60, "failure_threshold": 3, "regions": "",
    })

    assert response.status_code == 302
    assert queued() == [Monitor.objects.get().pk]


@pytest.mark.django_db(transaction=True)
def test_the_api_queues_the_first_check_and_one_on_resume(alice, queued):
    client = APIClient()
    _, token = AuthToken.objects.create(user=alice)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    created = client.post("/api/v1/monitors/", {
        "name": "Payments", "url": "https://payments.example.com/health",
    }, format="json")
    monitor_id = created.json()["id"]
    client.post(f"/api/v1/monitors/{monitor_id}/pause")
    client.post(f"/api/v1/monitors/{monitor_id}/resume")

    assert created.status_code == 201
    assert queued() == [monitor_id, monitor_id]


@pytest.mark.django_db(transaction=True)
def test_the_admin_queues_the_first_check(client, alice, queued):
    alice.is_staff = alice.is_superuser = True
    alice.save()
    client.force_login(alice)

    response = client.post("/admin/monitors/monitor/add/", {
        "owner": alice.pk, "name": "Payments", "url": "https://payments.example.com/health",
        "method": "GET", "expected_status_codes": "[]", "request_headers": "{}",
        "timeout_seconds": 5, "interval_seconds": 60, "failure_threshold": 3, "regions": "",
        **{f"{inline}-{count}": 0
           for inline in ("maintenance_windows", "region_states", "checks", "incidents")
           for count in ("TOTAL_FORMS", "INITIAL_FORMS")},
    })

    assert response.status_code == 302
    assert queued() == [Monitor.objects.get().pk]


# --- a broker that is down -----------------------------------------------------------------


@pytest.fixture
def broker_down():
    """Point the Celery app at a loopback port nobody listens on, as if Redis had stopped."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conf = celery_app.conf
    # broker_write_url too: a process that pinned its settings (config.celery_app.pin_settings,
    # as beat does) has it set, and it wins over broker_url for sending.
    saved = (conf.get("broker_url"), conf.get("broker_write_url"), celery_app._pool,
             celery_app.amqp._producer_pool)
    conf.broker_url = conf.broker_write_url = f"redis://127.0.0.1:{port}/0"
    celery_app._pool = celery_app.amqp._producer_pool = None
    yield
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    (conf.broker_url, conf.broker_write_url, celery_app._pool,
     celery_app.amqp._producer_pool) = saved


@pytest.mark.django_db(transaction=True)
def test_a_broker_that_is_down_fails_no_request(client, alice, broker_down, caplog):
    client.force_login(alice)

    with caplog.at_level(logging.WARNING, logger="monitors.signals"):
        response = client.post("/monitors/new/", {
            "name": "Payments", "url": "https://payments.example.com/health", "method": "GET",
            "expected_status_codes": "", "request_headers": "", "timeout_seconds": 5,
            "interval_seconds": 60, "failure_threshold": 3, "regions": "",
        })

    monitor = Monitor.objects.get()
    assert response.status_code == 302
    assert monitor.periodic_task.enabled
    messages = [record.getMessage() for record in caplog.records
                if record.name == "monitors.signals"]
    assert len(messages) == 1, messages
    assert messages[0].startswith(f"monitor {monitor.pk}: its first check could not be queued")
    assert messages[0].endswith("the schedule will run it")


# --- end to end: a real worker, and no beat ------------------------------------------------


@pytest.fixture
def checks_worker(tmp_path):
    """A real checks worker process on this run's database and Redis; no beat runs."""
    log_path = tmp_path / "worker.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "checks",
             "--pool", "threads", "--concurrency", "2", "-n", f"at-once-{os.getpid()}@%h",
             "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
            cwd=ROOT, env=child_env(), stdout=log, stderr=subprocess.STDOUT,
        )
    yield log_path
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_new_monitor_gets_its_first_result_long_before_its_interval(checks_worker, target,
                                                                      queued):
    monitor = MonitorFactory(url=target.url("/health"), interval_seconds=3600)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not CheckResult.objects.filter(monitor=monitor):
        time.sleep(0.2)

    result = CheckResult.objects.filter(monitor=monitor).first()
    assert result is not None, checks_worker.read_text()[-3000:]
    assert (result.outcome, Monitor.objects.get(pk=monitor.pk).status) == ("ok", "up")
