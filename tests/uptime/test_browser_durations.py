"""An open incident's "for 12m 3s" counts up in the browser, on the signed-in pages (live.js)
and on the public status page (status-page.js), both through uptime/static/uptime/durations.js."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from monitors.models import Monitor
from tests.factories import IncidentFactory, MonitorFactory, StatusPageFactory
from tests.uptime.browser import chromium, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("fresh_status_pages")]

# Past the 10 s between two refreshes, with room for a busy machine.
TICK_TIMEOUT_MS = 25_000
TWELVE_MINUTES_AND_SECONDS = re.compile(r"^1[2-3]m( \d+s)?$")


@pytest.fixture
def open_incident(alice):
    database = MonitorFactory(owner=alice, name="Database", url="https://db.example.com/")
    Monitor.objects.filter(pk=database.pk).update(status="down")
    incident = IncidentFactory(monitor=database, opened_at=timezone.now() - timedelta(minutes=12))
    page = StatusPageFactory(owner=alice, slug="acme", title="Acme status")
    page.set_layout([database.pk], {}, [])
    return incident


def assert_it_counts_up(page) -> None:
    assert page.evaluate("window.uptimeDurations.format(93784)") == "1d 2h 3m 4s"
    duration = page.locator("[data-duration-since]").first
    shown = duration.text_content()
    assert TWELVE_MINUTES_AND_SECONDS.match(shown), shown
    expect(duration).not_to_have_text(shown, timeout=TICK_TIMEOUT_MS)
    expect(duration).to_have_text(TWELVE_MINUTES_AND_SECONDS)


def test_the_public_page_counts_an_open_incident_up(server, open_incident):
    with chromium() as page:
        page.goto(server.url("/status/acme/"))
        assert_it_counts_up(page)


def test_the_incident_list_counts_an_open_incident_up(server, alice, open_incident):
    with chromium() as page:
        log_in(page, server.url("/incidents/"), alice.username)
        assert_it_counts_up(page)
