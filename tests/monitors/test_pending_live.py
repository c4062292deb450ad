"""Pending and the outage's start on /ws/status/: what a client needs to say "Pending (2 of 3
failed)" and "down since", through the real check pipeline and channel layer."""

import pytest
from asgiref.sync import sync_to_async

from monitors.checking import run_check
from tests.factories import MonitorFactory
from tests.uptime.conftest import (  # noqa: F401  (a fixture, used by name)
    close_worker_thread_connections,
    next_event,
    status_socket,
    token_headers,
)

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_worker_thread_connections"),
]

check_now = sync_to_async(run_check)


@pytest.fixture
def monitor(alice, target):
    return MonitorFactory(owner=alice, url=target.url("/health"), failure_threshold=3)


async def test_checks_below_the_threshold_send_pending_with_the_counts(alice, monitor, target):
    target.take_down()
    async with status_socket(headers=await token_headers(alice)) as socket:
        snapshot = await socket.receive_json_from()
        assert snapshot["monitors"][0]["failure_threshold"] == 3

        first = await check_now(monitor.pk, scheduled=False)
        one = await next_event(socket, "check")
        await check_now(monitor.pk, scheduled=False)
        two = await next_event(socket, "check")
        # Becoming pending is carried by the check event; no flip event of its own.
        assert await socket.receive_nothing(timeout=0.5)
        await check_now(monitor.pk, scheduled=False)
        three = await next_event(socket, "check")
        flipped = await next_event(socket, "monitor.down")
        opened = await next_event(socket, "incident.opened")

    counts = [(e["monitor"]["status"], e["monitor"]["consecutive_failures"],
               e["monitor"]["failure_threshold"]) for e in (one, two, three)]
    assert counts == [("pending", 1, 3), ("pending", 2, 3), ("down", 3, 3)]
    assert flipped["monitor"]["status"] == "down"
    assert opened["incident"]["started_at"] == first.checked_at.isoformat()
    assert opened["incident"]["opened_at"] == three["check"]["checked_at"]


async def test_the_snapshot_carries_a_pending_monitor_and_an_incidents_start(
    alice, monitor, target
):
    target.take_down()
    first = await check_now(monitor.pk, scheduled=False)
    await check_now(monitor.pk, scheduled=False)

    async with status_socket(headers=await token_headers(alice)) as socket:
        pending = (await socket.receive_json_from())["monitors"][0]
    await check_now(monitor.pk, scheduled=False)
    async with status_socket(headers=await token_headers(alice)) as socket:
        down = (await socket.receive_json_from())["monitors"][0]

    assert (pending["status"], pending["consecutive_failures"]) == ("pending", 2)
    assert pending["open_incident"] is None
    assert down["status"] == "down"
    assert down["open_incident"]["started_at"] == first.checked_at.isoformat()
