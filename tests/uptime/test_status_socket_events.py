"""What /ws/status/ sends: a snapshot on connect, then every event about the monitors the user
may see, published by the check pipeline through the real channel layer."""

import pytest
from asgiref.sync import sync_to_async

from monitors.checking import run_check
from tests.factories import IncidentFactory, MonitorFactory
from tests.uptime.conftest import browser_headers, next_event, status_socket, token_headers

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_worker_thread_connections"),
]

check_now = sync_to_async(run_check)


@pytest.fixture
def alices_monitor(alice, target):
    return MonitorFactory(
        owner=alice, name="alice api", url=target.url("/health"), failure_threshold=2
    )


@pytest.fixture
def charlies_monitor(charlie):
    return MonitorFactory(owner=charlie, name="charlie api")


async def test_the_snapshot_has_the_users_monitors_and_their_open_incident(
    alice, alices_monitor, charlies_monitor
):
    incident = await sync_to_async(IncidentFactory)(monitor=alices_monitor, cause="timed out")

    async with status_socket(headers=await browser_headers(alice)) as socket:
        snapshot = await socket.receive_json_from()

    assert snapshot["type"] == "snapshot"
    assert [monitor["name"] for monitor in snapshot["monitors"]] == ["alice api"]
    state = snapshot["monitors"][0]
    assert state["status"] == "unknown" and state["last_checked_at"] is None
    assert state["open_incident"]["id"] == incident.pk
    assert state["open_incident"]["cause"] == "timed out"


async def test_staff_get_a_summary_of_the_fleet_not_every_monitor(
    bob, alices_monitor, charlies_monitor
):
    async with status_socket(headers=await browser_headers(bob)) as socket:
        summary = await socket.receive_json_from()

    assert summary["type"] == "summary"
    assert summary["total"] == 2 and summary["counts"]["unknown"] == 2
    assert summary["open_incidents"] == 0


async def test_staff_get_the_monitors_they_subscribe_to(bob, alices_monitor, charlies_monitor):
    async with status_socket(headers=await browser_headers(bob)) as socket:
        await socket.receive_json_from()
        await socket.send_json_to(
            {"type": "subscribe", "monitors": [alices_monitor.pk, charlies_monitor.pk]})
        snapshot = await socket.receive_json_from()

    assert snapshot["type"] == "snapshot" and (snapshot["page"], snapshot["pages"]) == (1, 1)
    assert {monitor["name"] for monitor in snapshot["monitors"]} == {"alice api", "charlie api"}


async def test_staff_get_a_subscribed_monitors_events_once(bob, alice, alices_monitor):
    async with status_socket(headers=await browser_headers(bob)) as socket:
        await socket.receive_json_from()
        # The monitor and the summary: its flip reaches the socket through both groups.
        await socket.send_json_to(
            {"type": "subscribe", "monitors": [alices_monitor.pk], "summary": True})
        await next_event(socket, "snapshot")
        await next_event(socket, "summary")

        await check_now(alices_monitor.pk, scheduled=False)

        event = await next_event(socket, "check")
        flipped = await next_event(socket, "monitor.up")
        summary = await next_event(socket, "summary")
        assert event["monitor"]["id"] == flipped["monitor"]["id"] == alices_monitor.pk
        assert summary["counts"]["up"] == 1
        assert await socket.receive_nothing(timeout=1.5)


async def test_a_target_going_down_sends_the_down_state_and_the_incident(
    alice, alices_monitor, target
):
    async with status_socket(headers=await token_headers(alice)) as socket:
        await socket.receive_json_from()
        target.take_down()

        await check_now(alices_monitor.pk, scheduled=False)
        first = await next_event(socket, "check")
        await check_now(alices_monitor.pk, scheduled=False)
        second = await next_event(socket, "check")
        flipped = await next_event(socket, "monitor.down")
        opened = await next_event(socket, "incident.opened")

    assert first["check"]["outcome"] == "connection_refused"
    assert first["monitor"]["status"] == "pending"  # one failure is below the threshold
    assert second["monitor"]["status"] == "down"
    assert flipped["monitor"]["status"] == "down"
    assert opened["monitor"]["status"] == "down"
    assert "refused" in opened["incident"]["cause"]


async def test_status_flips_are_events_of_their_own_and_steady_checks_are_not(
    alice, alices_monitor, target
):
    async with status_socket(headers=await token_headers(alice)) as socket:
        await socket.receive_json_from()

        await check_now(alices_monitor.pk, scheduled=False)
        up = await next_event(socket, "monitor.up")
        await check_now(alices_monitor.pk, scheduled=False)
        steady = await next_event(socket, "check")
        assert await socket.receive_nothing(timeout=0.5)

    assert up["monitor"]["status"] == "up"
    assert steady["monitor"]["status"] == "up"
