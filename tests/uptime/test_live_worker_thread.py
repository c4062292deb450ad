"""A check run on a worker's thread (as the threads pool runs them, with no event loop of its
own) publishes through the real channels-redis layer to the real consumer, its events in the
order they happened."""

import threading

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from monitors.checking import run_check
from tests.factories import MonitorFactory
from tests.uptime.conftest import status_socket, token_headers

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_worker_thread_connections"),
]


def on_a_worker_thread(monitor_id: int):
    results = []

    def work():
        try:
            results.append(run_check(monitor_id, scheduled=False))
        finally:
            connection.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)
    return results[0]


check_on_a_worker_thread = sync_to_async(on_a_worker_thread)


@pytest.fixture
def monitor(alice, target):
    return MonitorFactory(owner=alice, url=target.url("/health"), failure_threshold=2)


async def test_a_check_on_a_worker_thread_reaches_the_owners_socket(alice, monitor):
    async with status_socket(headers=await token_headers(alice)) as socket:
        await socket.receive_json_from()

        result = await check_on_a_worker_thread(monitor.pk)

        check = await socket.receive_json_from(timeout=5)
        flipped = await socket.receive_json_from(timeout=5)
    assert check["type"] == "check"
    assert check["check"]["id"] == result.pk
    assert flipped["type"] == "monitor.up"
    assert flipped["monitor"]["id"] == monitor.pk


async def test_a_checks_events_arrive_in_the_order_they_happened(alice, monitor, target):
    async with status_socket(headers=await token_headers(alice)) as socket:
        await socket.receive_json_from()
        target.take_down()

        await check_on_a_worker_thread(monitor.pk)
        await check_on_a_worker_thread(monitor.pk)
        # Read one by one, skipping nothing: the second check's three events were sent in one
        # go and must not come out shuffled.
        events = [(await socket.receive_json_from(timeout=5))["type"] for _ in range(4)]
        assert await socket.receive_nothing(timeout=0.5)

    assert events == ["check", "check", "monitor.down", "incident.opened"]
