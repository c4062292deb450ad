import json

import pytest
from django_celery_beat.models import PeriodicTask

from monitors.models import Monitor
from tests.factories import MonitorFactory, NotificationChannelFactory

pytestmark = pytest.mark.django_db

NEW_MONITOR = {
    "name": "Billing API",
    "url": "https://billing.example.com/health",
    "interval_seconds": 30,
    "timeout_seconds": 5,
}


def test_creating_a_monitor_schedules_its_checks(as_alice, alice):
    response = as_alice.post("/api/v1/monitors/", NEW_MONITOR)

    assert response.status_code == 201
    body = response.json()
    monitor = Monitor.objects.get(pk=body["id"])
    assert monitor.owner == alice
    assert body["owner"] == alice.pk
    assert body["status"] == "unknown"
    task = PeriodicTask.objects.get()
    assert monitor.periodic_task == task
    assert (task.interval.every, json.loads(task.args), task.enabled) == (30, [monitor.pk], True)


def test_the_owner_is_always_the_requesting_user(as_alice, alice, charlie):
    response = as_alice.post("/api/v1/monitors/", {**NEW_MONITOR, "owner": charlie.pk})

    assert response.status_code == 201
    assert Monitor.objects.get().owner == alice


def test_listing_shows_only_your_monitors_paginated(as_alice, alice, charlie):
    MonitorFactory.create_batch(3, owner=alice)
    MonitorFactory(owner=charlie, name="Charlie's")

    body = as_alice.get("/api/v1/monitors/").json()

    assert body["count"] == 3
    assert {"next", "previous", "results"} <= set(body)
    assert "Charlie's" not in {monitor["name"] for monitor in body["results"]}


def test_staff_list_every_monitor(as_bob, alice, charlie):
    MonitorFactory(owner=alice)
    MonitorFactory(owner=charlie)

    assert as_bob.get("/api/v1/monitors/").json()["count"] == 2


def test_editing_the_interval_reschedules_the_same_task(as_alice, alice):
    monitor = MonitorFactory(owner=alice, interval_seconds=60)
    task_id = monitor.periodic_task_id

    response = as_alice.patch(f"/api/v1/monitors/{monitor.pk}/", {"interval_seconds": 120})

    assert response.status_code == 200
    task = PeriodicTask.objects.get()
    assert (task.pk, task.interval.every, task.expire_seconds) == (task_id, 120, 120)


def test_a_full_update_replaces_the_settings(as_alice, alice):
    monitor = MonitorFactory(owner=alice, method="GET")

    response = as_alice.put(
        f"/api/v1/monitors/{monitor.pk}/", {**NEW_MONITOR, "method": "HEAD"}
    )

    assert response.status_code == 200
    monitor.refresh_from_db()
    assert (monitor.name, monitor.method, monitor.interval_seconds) == ("Billing API", "HEAD", 30)


def test_an_edit_keeps_the_state_that_checks_wrote(as_alice, alice):
    monitor = MonitorFactory(owner=alice)
    Monitor.objects.filter(pk=monitor.pk).update(status="down", consecutive_failures=4)

    as_alice.patch(f"/api/v1/monitors/{monitor.pk}/", {"name": "Renamed"})

    monitor.refresh_from_db()
    assert (monitor.name, monitor.status, monitor.consecutive_failures) == ("Renamed", "down", 4)


def test_state_fields_are_read_only(as_alice, alice):
    monitor = MonitorFactory(owner=alice)

    response = as_alice.patch(
        f"/api/v1/monitors/{monitor.pk}/", {"status": "up", "consecutive_failures": 99}
    )

    assert response.status_code == 200
    monitor.refresh_from_db()
    assert (monitor.status, monitor.consecutive_failures) == ("unknown", 0)


def test_setting_is_paused_pauses_and_disables_the_schedule(as_alice, alice):
    monitor = MonitorFactory(owner=alice)

    body = as_alice.patch(f"/api/v1/monitors/{monitor.pk}/", {"is_paused": True}).json()

    assert (body["is_paused"], body["status"]) == (True, "paused")
    assert not PeriodicTask.objects.get().enabled


def test_deleting_a_monitor_deletes_its_schedule(as_alice, alice):
    monitor = MonitorFactory(owner=alice)

    assert as_alice.delete(f"/api/v1/monitors/{monitor.pk}/").status_code == 204

    assert not Monitor.objects.exists()
    assert not PeriodicTask.objects.exists()


def test_request_headers_are_write_only(as_alice):
    response = as_alice.post(
        "/api/v1/monitors/",
        {**NEW_MONITOR, "request_headers": {"Authorization": "Bearer s3cret", "X-Env": "prod"}},
    )

    monitor_id = response.json()["id"]
    for body in (response.json(), as_alice.get(f"/api/v1/monitors/{monitor_id}/").json()):
        assert "request_headers" not in body
        assert body["request_header_names"] == ["Authorization", "X-Env"]
        assert "s3cret" not in json.dumps(body)
    assert Monitor.objects.get().request_headers["Authorization"] == "Bearer s3cret"


def test_an_update_without_request_headers_keeps_them(as_alice, alice):
    monitor = MonitorFactory(owner=alice, request_headers={"X-Api-Key": "k"})

    as_alice.put(f"/api/v1/monitors/{monitor.pk}/", NEW_MONITOR)

    monitor.refresh_from_db()
    assert monitor.request_headers == {"X-Api-Key": "k"}


def test_a_monitor_can_notify_its_owners_channels(as_alice, alice):
    channels = NotificationChannelFactory.create_batch(2, owner=alice)

    response = as_alice.post(
        "/api/v1/monitors/", {**NEW_MONITOR, "channels": [c.pk for c in channels]}
    )

    assert sorted(response.json()["channels"]) == sorted(c.pk for c in channels)
    assert Monitor.objects.get().channels.count() == 2


def test_another_users_channel_reads_as_nonexistent(as_alice, charlie):
    theirs = NotificationChannelFactory(owner=charlie)

    response = as_alice.post("/api/v1/monitors/", {**NEW_MONITOR, "channels": [theirs.pk]})
    never_used = as_alice.post("/api/v1/monitors/", {**NEW_MONITOR, "channels": [999999]})

    assert response.status_code == never_used.status_code == 400
    assert response.json()["channels"] == [
        f'Invalid pk "{theirs.pk}" - object does not exist.'
    ]
    assert not Monitor.objects.exists()


def test_staff_editing_a_users_monitor_choose_among_that_users_channels(as_bob, alice, bob):
    monitor = MonitorFactory(owner=alice)
    hers, his = NotificationChannelFactory(owner=alice), NotificationChannelFactory(owner=bob)

    ok = as_bob.patch(f"/api/v1/monitors/{monitor.pk}/", {"channels": [hers.pk]})
    wrong = as_bob.patch(f"/api/v1/monitors/{monitor.pk}/", {"channels": [his.pk]})

    assert (ok.status_code, wrong.status_code) == (200, 400)
    assert list(monitor.channels.all()) == [hers]


def test_the_trailing_slash_is_optional(as_alice, alice):
    monitor = MonitorFactory(owner=alice)

    assert as_alice.post("/api/v1/monitors", NEW_MONITOR).status_code == 201
    assert as_alice.get(f"/api/v1/monitors/{monitor.pk}").status_code == 200
