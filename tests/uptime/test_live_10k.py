"""/ws/status/ at 10,000 monitors: every message stays under 256 KB, a staff socket gets its
summary at once, and a user who owns the fleet gets it all, in pages (issue 15: the 2.3 MB
snapshot was over daphne's 1 MiB limit and closed the socket with 1011)."""

import json
import time

import pytest

from monitors.bulk import create_monitors
from monitors.models import Monitor
from tests.factories import IncidentFactory
from tests.uptime.conftest import browser_headers, status_socket, token_headers

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_worker_thread_connections"),
]

FLEET = 10_000
LIMIT = 256 * 1024


@pytest.fixture
def fleet(alice):
    monitors = create_monitors([
        Monitor(owner=alice, name=f"customer api {n:05}",
                url=f"https://service-{n}.customers.example.com/health/ready?probe=uptime",
                status=Monitor.Status.UP if n % 10 else Monitor.Status.DOWN,
                regions=["eu-west", "us-east"] if n % 100 == 0 else [])
        for n in range(FLEET)
    ])
    for monitor in monitors[:50:10]:
        IncidentFactory(monitor=monitor, cause="connection refused")
    return monitors


async def receive_text(socket, timeout: float = 30) -> str:
    text = await socket.receive_from(timeout=timeout)
    assert len(text.encode()) <= LIMIT, f"a message of {len(text.encode())} bytes"
    return text


async def test_a_staff_socket_gets_the_summary_of_10000_monitors_at_once(bob, fleet):
    async with status_socket(headers=await browser_headers(bob)) as socket:
        started = time.monotonic()
        summary = json.loads(await receive_text(socket))
        elapsed = time.monotonic() - started

    assert summary["type"] == "summary"
    assert summary["total"] == FLEET
    assert summary["counts"]["down"] == FLEET // 10 and summary["counts"]["up"] == FLEET * 9 // 10
    assert summary["open_incidents"] == 5
    assert elapsed < 2, f"the first message took {elapsed:.2f} s"


async def test_a_staff_socket_subscribed_to_a_thousand_monitors_gets_them_in_pages(bob, fleet):
    ids = [monitor.pk for monitor in fleet[:1000]]
    async with status_socket(headers=await browser_headers(bob)) as socket:
        await receive_text(socket)
        await socket.send_json_to({"type": "subscribe", "monitors": ids})
        received, pages = await all_pages(socket)

    assert sorted(received) == ids
    assert pages > 1


async def test_a_user_who_owns_10000_monitors_gets_them_all_in_pages(alice, fleet):
    async with status_socket(headers=await token_headers(alice)) as socket:
        started = time.monotonic()
        first = json.loads(await receive_text(socket, timeout=60))
        elapsed = time.monotonic() - started
        received = [monitor["id"] for monitor in first["monitors"]]
        for _ in range(first["pages"] - 1):
            received += [monitor["id"] for monitor in json.loads(await receive_text(socket))
                         ["monitors"]]

    assert sorted(received) == sorted(monitor.pk for monitor in fleet)
    assert first["pages"] >= 10
    assert elapsed < 15, f"the first page took {elapsed:.2f} s"


async def test_too_many_monitors_in_one_subscription_are_refused(bob, fleet):
    async with status_socket(headers=await browser_headers(bob)) as socket:
        await receive_text(socket)
        await socket.send_json_to(
            {"type": "subscribe", "monitors": [monitor.pk for monitor in fleet[:1001]]})
        error = json.loads(await receive_text(socket))

    assert error == {"type": "error", "error": "at most 1000 monitors per socket"}


async def all_pages(socket) -> tuple[list[int], int]:
    received: list[int] = []
    while True:
        page = json.loads(await receive_text(socket))
        assert page["type"] == "snapshot"
        received += [monitor["id"] for monitor in page["monitors"]]
        if page["page"] == page["pages"]:
            return received, page["pages"]


