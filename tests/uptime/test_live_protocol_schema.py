"""uptime/static/uptime/live-protocol.schema.json describes what the socket really sends: the
messages of a real outage, through the real application, validate against it."""

import json
from pathlib import Path

import jsonschema
import pytest
from asgiref.sync import sync_to_async

from monitors.checking import run_check
from tests.factories import MonitorFactory
from tests.uptime.conftest import browser_headers, status_socket, token_headers

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_worker_thread_connections"),
]

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "uptime/static/uptime/live-protocol.schema.json").read_text())
check_now = sync_to_async(run_check)


def validate(message: dict, definition: str) -> None:
    schema = {**SCHEMA, "oneOf": [{"$ref": f"#/$defs/{definition}"}]}
    jsonschema.Draft202012Validator(schema).validate(message)


async def test_what_a_subscribed_socket_receives_in_an_outage_matches_the_schema(
    alice, bob, target
):
    monitor = await sync_to_async(MonitorFactory)(
        owner=alice, url=target.url("/health"), failure_threshold=1, regions=[])
    subscribe = {"type": "subscribe", "monitors": [monitor.pk], "summary": {"query": ""}}
    validate(subscribe, "clientMessage")
    validate({"type": "unsubscribe"}, "clientMessage")
    received = []
    async with (
        status_socket(headers=await token_headers(alice)) as socket,
        status_socket(headers=await browser_headers(bob)) as staff,
    ):
        received.append(await socket.receive_json_from())  # the default snapshot
        received.append(await staff.receive_json_from())  # staff: the summary
        await socket.send_json_to(subscribe)
        received.append(await socket.receive_json_from())
        received.append(await socket.receive_json_from())
        await check_now(monitor.pk, scheduled=False)
        target.take_down()
        await check_now(monitor.pk, scheduled=False)
        while not any(event["type"] == "incident.opened"
                      for message in received if message["type"] == "batch"
                      for event in message["events"]):
            received.append(await socket.receive_json_from(timeout=5))
        await socket.send_to(text_data="{}")
        received.append(await socket.receive_json_from())

    assert [message["type"] for message in received[:4]] == [
        "snapshot", "summary", "snapshot", "summary"]
    assert received[-1]["type"] == "error"
    for message in received:
        validate(message, "serverMessage")
