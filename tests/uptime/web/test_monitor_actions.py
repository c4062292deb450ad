"""Pausing, resuming and deleting monitors from the web: POST only, scoped to the user."""

import pytest
from django_celery_beat.models import PeriodicTask

from monitors.models import Monitor
from tests.factories import MonitorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitor(alice):
    return MonitorFactory(owner=alice)


def test_pausing_stops_the_schedule_and_resuming_restarts_it(client, alice, monitor):
    client.force_login(alice)

    response = client.post(f"/monitors/{monitor.pk}/pause/")

    assert response["Location"] == f"/monitors/{monitor.pk}/"
    monitor.refresh_from_db()
    assert monitor.is_paused and monitor.status == "paused"
    assert not PeriodicTask.objects.get(pk=monitor.periodic_task_id).enabled

    client.post(f"/monitors/{monitor.pk}/resume/")
    monitor.refresh_from_db()
    assert not monitor.is_paused
    assert PeriodicTask.objects.get(pk=monitor.periodic_task_id).enabled


def test_an_action_returns_to_the_page_it_came_from_on_this_site_only(client, alice, monitor):
    client.force_login(alice)

    back = client.post(f"/monitors/{monitor.pk}/pause/", {"next": "/"})
    away = client.post(f"/monitors/{monitor.pk}/resume/", {"next": "https://evil.example/"})

    assert back["Location"] == "/"
    assert away["Location"] == f"/monitors/{monitor.pk}/"


def test_actions_do_not_answer_get(client, alice, monitor):
    client.force_login(alice)

    assert client.get(f"/monitors/{monitor.pk}/pause/").status_code == 405
    monitor.refresh_from_db()
    assert not monitor.is_paused


def test_deleting_asks_first_then_removes_the_monitor_and_its_schedule(client, alice, monitor):
    client.force_login(alice)

    confirm = client.get(f"/monitors/{monitor.pk}/delete/")
    response = client.post(f"/monitors/{monitor.pk}/delete/")

    assert confirm.status_code == 200 and b"Delete monitor" in confirm.content
    assert response["Location"] == "/"
    assert not Monitor.objects.exists()
    assert not PeriodicTask.objects.filter(name__startswith="monitor-check:").exists()


def test_another_user_can_neither_pause_nor_delete(client, charlie, monitor):
    client.force_login(charlie)

    assert client.post(f"/monitors/{monitor.pk}/pause/").status_code == 404
    assert client.post(f"/monitors/{monitor.pk}/delete/").status_code == 404
    monitor.refresh_from_db()
    assert not monitor.is_paused


def test_check_now_is_refused_for_a_paused_monitor(client, alice, monitor, queue_length):
    monitor.pause()
    client.force_login(alice)

    response = client.post(f"/monitors/{monitor.pk}/check/", follow=True)

    assert b"Resume the monitor to check it." in response.content
    assert queue_length("checks") == 0


def test_check_now_queues_a_check(client, alice, monitor, queue_length):
    client.force_login(alice)

    client.post(f"/monitors/{monitor.pk}/check/")

    assert queue_length("checks") == 1


def test_check_now_shares_the_apis_throttle(client, alice, monitor, queue_length, rates):
    rates(check_now="2/minute")
    client.force_login(alice)

    for _ in range(3):
        response = client.post(f"/monitors/{monitor.pk}/check/", follow=True)

    assert b"Too many checks asked for; try again in" in response.content
    assert queue_length("checks") == 2
