"""/ws/status/<slug>/: a public status page's viewers, with no login. They hear only
"status_page.changed", and only when what the page shows changed (a transition, an update, an
edit); by then the page's cached copy is already the new one. A steady check costs the pages
nothing: no event and no query."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from config.asgi import application
from incidents.models import Incident
from monitors.checking import run_check
from tests.factories import MaintenanceWindowFactory, MonitorFactory, StatusPageFactory

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("close_worker_thread_connections", "fresh_status_pages"),
]

CHANGED = {"type": "status_page.changed"}


@pytest.fixture
def monitor(alice, target):
    return MonitorFactory(owner=alice, name="billing-prod", url=target.url("/health"),
                          failure_threshold=2)


@pytest.fixture
def page(alice, monitor):
    page = StatusPageFactory(owner=alice, slug="acme", title="Acme status")
    page.set_layout([monitor.pk], {monitor.pk: "Payments"}, [])
    return page


def viewer(slug: str = "acme", origin: bytes = b"https://somewhere-else.example"):
    return WebsocketCommunicator(application, f"/ws/status/{slug}/",
                                 headers=[(b"origin", origin)])


@sync_to_async
def public_html() -> str:
    return Client().get("/status/acme/fragment/").content.decode()


def check_queries(monitor_id: int) -> list[str]:
    """Check the monitor now, as a worker does; the statements it ran, commit hooks included."""
    with CaptureQueriesContext(connection) as queries:
        run_check(monitor_id, scheduled=False)
    return [query["sql"] for query in queries]


async def test_anyone_may_watch_a_page_from_any_origin_but_not_a_page_that_does_not_exist(
        page):
    socket = viewer()
    connected, _ = await socket.connect(timeout=5)
    assert connected
    await socket.send_to(text_data="not json at all")
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()

    missing = viewer("nope")
    connected, _ = await missing.connect(timeout=5)
    assert not connected


async def test_a_monitor_going_down_reaches_the_viewers_after_the_copy_is_new(
        page, monitor, target):
    await sync_to_async(run_check)(monitor.pk, scheduled=False)
    await public_html()  # a viewer loaded the page: its copy is cached
    socket = viewer()
    await socket.connect(timeout=5)
    target.take_down()

    await sync_to_async(run_check)(monitor.pk, scheduled=False)  # pending: not a change
    assert await socket.receive_nothing(timeout=0.5)
    await sync_to_async(run_check)(monitor.pk, scheduled=False)

    assert await socket.receive_json_from(timeout=5) == CHANGED
    html = await public_html()
    assert "Outage" in html and "Major outage" in html and "Payments" in html
    assert "billing-prod" not in html and "refused" not in html
    await socket.disconnect()


async def test_steady_checks_cost_the_pages_nothing(page, monitor):
    await sync_to_async(run_check)(monitor.pk, scheduled=False)  # unknown -> up: a change
    socket = viewer()
    await socket.connect(timeout=5)

    statements = await sync_to_async(check_queries)(monitor.pk)

    assert await socket.receive_nothing(timeout=0.5)
    assert not [sql for sql in statements if "statuspage" in sql.lower()]
    await socket.disconnect()


async def test_a_check_of_a_monitor_on_no_page_tells_no_page(alice, page, target):
    other = await sync_to_async(MonitorFactory)(owner=alice, url=target.url("/health"))
    socket = viewer()
    await socket.connect(timeout=5)

    await sync_to_async(run_check)(other.pk, scheduled=False)

    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_an_update_an_edit_and_maintenance_reach_the_viewers(page, monitor):
    incident = await sync_to_async(Incident.objects.create)(monitor=monitor, cause="x")
    socket = viewer()
    await socket.connect(timeout=5)

    await sync_to_async(incident.post_update)(status="identified", message="A bad deploy.")
    assert await socket.receive_json_from(timeout=5) == CHANGED
    assert "A bad deploy." in await public_html()

    page.title = "Acme, Inc. status"
    await sync_to_async(page.save)()
    assert await socket.receive_json_from(timeout=5) == CHANGED
    assert "Acme, Inc. status" in await public_html()

    await sync_to_async(MaintenanceWindowFactory)(monitor=monitor)
    assert await socket.receive_json_from(timeout=5) == CHANGED
    assert "Under maintenance" in await public_html()

    monitor.name = "renamed, but the page names it"
    await sync_to_async(monitor.save)()
    assert await socket.receive_json_from(timeout=5) == CHANGED
    await socket.disconnect()


async def test_a_deleted_monitor_leaves_its_pages(alice, page, monitor):
    other = await sync_to_async(MonitorFactory)(owner=alice, name="Website")
    await sync_to_async(page.set_layout)([monitor.pk, other.pk], {}, [])
    await sync_to_async(page.save)()
    assert "Website" in await public_html()
    socket = viewer()
    await socket.connect(timeout=5)

    await sync_to_async(other.delete)()

    assert await socket.receive_json_from(timeout=5) == CHANGED
    assert "Website" not in await public_html()
    await socket.disconnect()
