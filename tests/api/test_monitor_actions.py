import json

import pytest
from django_celery_beat.models import PeriodicTask

from monitors.models import Monitor
from tests.factories import MonitorFactory

pytestmark = pytest.mark.django_db


def test_pause_disables_the_schedule(as_alice, alice):
    monitor = MonitorFactory(owner=alice)

    response = as_alice.post(f"/api/v1/monitors/{monitor.pk}/pause")

    assert response.status_code == 200
    assert (response.json()["is_paused"], response.json()["status"]) == (True, "paused")
    assert not PeriodicTask.objects.get().enabled


def test_resume_enables_the_schedule_and_starts_counting_afresh(as_alice, alice):
    monitor = MonitorFactory(owner=alice)
    monitor.pause()
    Monitor.objects.filter(pk=monitor.pk).update(consecutive_failures=5)

    response = as_alice.post(f"/api/v1/monitors/{monitor.pk}/resume")

    body = response.json()
    assert (body["is_paused"], body["status"], body["consecutive_failures"]) == (
        False, "unknown", 0,
    )
    assert PeriodicTask.objects.get().enabled


def test_pausing_twice_is_harmless(as_alice, alice):
    monitor = MonitorFactory(owner=alice)

    as_alice.post(f"/api/v1/monitors/{monitor.pk}/pause")
    response = as_alice.post(f"/api/v1/monitors/{monitor.pk}/pause")

    assert response.status_code == 200
    assert PeriodicTask.objects.count() == 1


def test_check_now_queues_one_check_on_each_regions_queue(as_alice, alice, queue_length):
    monitor = MonitorFactory(owner=alice, regions=["eu-west", "us"])

    response = as_alice.post(f"/api/v1/monitors/{monitor.pk}/check-now")

    assert response.status_code == 202
    assert response.json() == {"detail": "A check is queued."}
    assert queue_length("checks.eu-west") == 1
    assert queue_length("checks.us") == 1


def test_check_now_sends_the_monitor_id_outside_the_schedule(as_alice, alice, redis_server):
    monitor = MonitorFactory(owner=alice, regions=["api-test"])
    redis_server.delete("checks.api-test")

    as_alice.post(f"/api/v1/monitors/{monitor.pk}/check-now")

    message = json.loads(redis_server.lpop("checks.api-test"))
    assert message["headers"]["task"] == "monitors.run_check"
    assert message["headers"]["argsrepr"] == f"({monitor.pk},)"
    assert message["headers"]["kwargsrepr"] == "{'scheduled': False, 'region': 'api-test'}"


def test_a_paused_monitor_is_not_checked_now(as_alice, alice, queue_length):
    monitor = MonitorFactory(owner=alice, is_paused=True)

    response = as_alice.post(f"/api/v1/monitors/{monitor.pk}/check-now")

    assert response.status_code == 409
    assert response.json() == {"detail": "The monitor is paused: resume it to check it."}
    assert queue_length("checks") == 0
