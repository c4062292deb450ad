"""Subscriptions on /ws/status/: a socket gets the snapshot and events of what it subscribed
to, in batches, and nothing else; through the real ASGI application and channel layer."""

import json

import pytest
from asgiref.sync import sync_to_async

from monitors.checking import run_check
from tests.factories import MonitorFactory
from tests.uptime.conftest import (
    browser_headers,
    communicator,
    next_event,
    next_message,
    status_socket,
    token_headers,
)
from uptime import live

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_worker_thread_connections"),
]

check_now = sync_to_async(run_check)
publish_events = sync_to_async(live.publish_events)


@pytest.fixture
def first(alice, target):
    return MonitorFactory(owner=alice, name="first", url=target.url("/health"))


@pytest.fixture
def second(alice, target):
    return MonitorFactory(owner=alice, name="second", url=target.url("/health"))


async def explicit_socket(headers):
    socket = communicator(headers=headers)
    socket.scope["query_string"] = b"subscription=explicit"
    connected, _ = await socket.connect(timeout=5)
    assert connected
    return socket


async def test_a_socket_that_subscribes_gets_only_that_monitors_snapshot_and_events(
    alice, first, second
):
    async with status_socket(headers=await token_headers(alice)) as socket:
        assert len((await socket.receive_json_from())["monitors"]) == 2  # the default
        await socket.send_json_to({"type": "subscribe", "monitor": first.pk})
        snapshot = await socket.receive_json_from()
        assert [monitor["id"] for monitor in snapshot["monitors"]] == [first.pk]

        await check_now(second.pk, scheduled=False)
        await check_now(first.pk, scheduled=False)

        batch = await socket.receive_json_from(timeout=5)
        assert batch["type"] == "batch"
        assert {event["monitor"]["id"] for event in batch["events"]} == {first.pk}
        assert await socket.receive_nothing(timeout=1.5)


async def test_an_explicit_socket_says_nothing_until_it_subscribes(alice, first):
    socket = await explicit_socket(await browser_headers(alice))
    try:
        assert await socket.receive_nothing(timeout=0.5)
        await socket.send_json_to({"type": "subscribe", "monitors": [first.pk]})
        assert (await socket.receive_json_from())["type"] == "snapshot"
    finally:
        await socket.disconnect()


async def test_another_users_monitor_is_missing_and_its_events_never_arrive(
    alice, charlie, first
):
    async with status_socket(headers=await token_headers(charlie)) as socket:
        await socket.receive_json_from()
        await socket.send_json_to({"type": "subscribe", "monitors": [first.pk]})
        snapshot = await socket.receive_json_from()
        assert snapshot["monitors"] == [] and snapshot["missing"] == [first.pk]

        await check_now(first.pk, scheduled=False)
        assert await socket.receive_nothing(timeout=1)


async def test_after_unsubscribing_nothing_more_arrives(alice, first):
    async with status_socket(headers=await token_headers(alice)) as socket:
        await socket.receive_json_from()
        await socket.send_json_to({"type": "subscribe", "monitors": [first.pk]})
        await socket.receive_json_from()
        await socket.send_json_to({"type": "unsubscribe", "monitors": [first.pk]})

        await check_now(first.pk, scheduled=False)
        assert await socket.receive_nothing(timeout=1.5)


async def test_a_burst_of_checks_is_one_batch_with_the_latest_check_and_every_flip(
    alice, first, second
):
    async with status_socket(headers=await token_headers(alice)) as socket:
        await socket.receive_json_from()
        await socket.send_json_to({"type": "subscribe", "monitors": [first.pk, second.pk]})
        await socket.receive_json_from()

        for number in range(1, 6):
            await publish_events(alice.pk, [
                {"type": "check", "monitor": {"id": first.pk}, "check": {"id": number}},
                {"type": "check", "monitor": {"id": second.pk}, "check": {"id": 100 + number}},
            ])
        await publish_events(alice.pk, [{"type": "monitor.down", "monitor": {"id": first.pk}}])
        await publish_events(alice.pk, [
            {"type": "check", "monitor": {"id": first.pk}, "check": {"id": 6}},
            {"type": "incident.opened", "monitor": {"id": first.pk}, "incident": {"id": 1}},
        ])

        batches = []
        while not any(event["type"] == "incident.opened" for event in sum(batches, [])):
            batch = await socket.receive_json_from(timeout=3)
            assert batch["type"] == "batch"
            batches.append(batch["events"])
        assert await socket.receive_nothing(timeout=1.5)

    # In each batch a monitor has at most one check, its latest; nothing else is dropped.
    for events in batches:
        checked = [event["monitor"]["id"] for event in events if event["type"] == "check"]
        assert len(checked) == len(set(checked))
    shown = [(event["type"], event.get("check", {}).get("id")) for event in sum(batches, [])]
    assert [kind for kind, _ in shown if kind != "check"] == ["monitor.down", "incident.opened"]
    assert ("check", 6) in shown and ("check", 105) in shown
    assert len(batches) <= 2, "sent at once, then at most once per window"


async def test_a_summary_follows_the_flips_of_the_users_monitors(alice, first, target):
    async with status_socket(headers=await browser_headers(alice)) as socket:
        await socket.receive_json_from()
        await socket.send_json_to({"type": "subscribe", "summary": {"query": "fir"}})
        summary = await next_message(socket)
        assert summary["total"] == 1 and summary["counts"]["unknown"] == 1

        await check_now(first.pk, scheduled=False)
        summary = await next_event(socket, "summary")
        assert summary["counts"]["up"] == 1 and summary["query"] == "fir"
        assert await socket.receive_nothing(timeout=1.5)


@pytest.mark.parametrize("message", [
    "not json at all",
    json.dumps({"type": "subscribe"}),
    json.dumps({"type": "subscribe", "monitors": ["1"]}),
    json.dumps({"type": "subscribe", "summary": {"query": "x" * 201}}),
    json.dumps({"type": "shout"}),
])
async def test_a_message_the_protocol_does_not_know_is_answered_with_an_error(
    alice, first, message
):
    async with status_socket(headers=await token_headers(alice)) as socket:
        await socket.receive_json_from()
        await socket.send_to(text_data=message)
        assert (await socket.receive_json_from())["type"] == "error"
        await socket.send_json_to({"type": "subscribe", "monitor": first.pk})
        assert (await socket.receive_json_from())["type"] == "snapshot"
