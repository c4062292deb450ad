"""Changes made outside a check reach the dashboards too, after they commit: a monitor
created, edited, paused, resumed or deleted, and an incident acknowledged."""

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction

from monitors.models import Monitor
from tests.factories import IncidentFactory, MonitorFactory
from tests.uptime.conftest import next_event, status_socket, token_headers

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_worker_thread_connections"),
]


@pytest.fixture
def monitor(alice):
    return MonitorFactory(owner=alice, name="billing")


async def test_creating_a_monitor_adds_it_to_the_owners_dashboards(alice):
    async with status_socket(headers=await token_headers(alice)) as socket:
        await socket.receive_json_from()

        monitor = await sync_to_async(MonitorFactory)(owner=alice, name="search")

        event = await next_event(socket, "monitor.created")
    assert event["monitor"]["id"] == monitor.pk
    assert event["monitor"]["name"] == "search"


async def test_pausing_and_resuming_are_published_with_the_new_state(alice, monitor):
    async with status_socket(headers=await token_headers(alice)) as socket:
        await socket.receive_json_from()

        await sync_to_async(monitor.pause)()
        paused = await next_event(socket, "monitor.paused")
        await sync_to_async(monitor.resume)()
        resumed = await next_event(socket, "monitor.resumed")

    assert paused["monitor"]["status"] == "paused" and paused["monitor"]["is_paused"]
    assert resumed["monitor"]["status"] == "unknown" and not resumed["monitor"]["is_paused"]


async def test_editing_a_monitor_is_published_as_an_update(alice, monitor):
    async with status_socket(headers=await token_headers(alice)) as socket:
        await socket.receive_json_from()

        monitor.name = "billing v2"
        await sync_to_async(monitor.save)()

        event = await next_event(socket, "monitor.updated")
    assert event["monitor"]["name"] == "billing v2"


async def test_deleting_a_monitor_removes_it_by_id(alice, monitor):
    monitor_id = monitor.pk
    async with status_socket(headers=await token_headers(alice)) as socket:
        await socket.receive_json_from()

        await sync_to_async(Monitor.objects.filter(pk=monitor_id).delete)()

        event = await next_event(socket, "monitor.deleted")
    assert event["monitor"] == {"id": monitor_id}


async def test_acknowledging_an_incident_is_published(alice, bob, monitor):
    incident = await sync_to_async(IncidentFactory)(monitor=monitor)
    async with status_socket(headers=await token_headers(alice)) as socket:
        await socket.receive_json_from()

        await sync_to_async(incident.acknowledge)(bob)

        event = await next_event(socket, "incident.acknowledged")
    assert event["monitor"]["id"] == monitor.pk
    assert event["incident"]["id"] == incident.pk
    assert event["incident"]["acknowledged_at"] is not None


async def test_a_second_acknowledgement_publishes_nothing(alice, bob, monitor):
    incident = await sync_to_async(IncidentFactory)(monitor=monitor)
    await sync_to_async(incident.acknowledge)(bob)
    async with status_socket(headers=await token_headers(alice)) as socket:
        await socket.receive_json_from()

        await sync_to_async(incident.acknowledge)(alice)

        assert await socket.receive_nothing(timeout=0.5)


async def test_a_change_that_rolls_back_is_never_published(alice, monitor):
    @sync_to_async
    def pause_then_roll_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            monitor.pause()
            raise RuntimeError("the request failed after the save")

    async with status_socket(headers=await token_headers(alice)) as socket:
        await socket.receive_json_from()

        await pause_then_roll_back()

        assert await socket.receive_nothing(timeout=0.5)
