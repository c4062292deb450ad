"""In a real browser: page 2 of a paginated dashboard stays live for its own rows, keeps its
counts over every monitor, and offers a reload for a new monitor instead of adding a row."""

import pytest
from playwright.sync_api import expect

from monitors.bulk import create_monitors
from monitors.checking import run_check
from monitors.models import Monitor
from tests.factories import MonitorFactory
from tests.uptime.browser import chromium, log_in, outside_the_browser_loop, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LIVE_TIMEOUT_MS = 10_000


def test_page_two_updates_its_rows_and_counts_and_offers_a_reload_for_new_ones(
    server, target, alice
):
    monitors = create_monitors([
        Monitor(owner=alice, name=f"monitor {n:03d}", url=target.url("/health"),
                failure_threshold=1)
        for n in range(105)
    ])
    on_this_page, on_page_one = monitors[102], monitors[0]
    target.take_down()

    with chromium() as page:
        log_in(page, server.url("/?page=2"), "alice")
        expect(page.locator("html")).to_have_attribute("data-live", "connected",
                                                       timeout=LIVE_TIMEOUT_MS)
        page.evaluate("window.notReloaded = true")
        rows = page.locator("[data-monitor-row]")
        expect(rows).to_have_count(5)

        outside_the_browser_loop(run_check, on_this_page.pk, scheduled=False)
        outside_the_browser_loop(run_check, on_page_one.pk, scheduled=False)

        status = page.locator(f'[data-monitor-row="{on_this_page.pk}"] [data-field="status"]')
        expect(status).to_have_attribute("data-status", "down", timeout=LIVE_TIMEOUT_MS)
        expect(page.locator('[data-count="down"]')).to_have_text("2", timeout=LIVE_TIMEOUT_MS)
        expect(rows).to_have_count(5)

        outside_the_browser_loop(MonitorFactory, owner=alice, name="monitor 102a")

        expect(page.locator("[data-live-new]")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        expect(rows).to_have_count(5)
        assert page.evaluate("window.notReloaded") is True
        screenshot(page, "live-dashboard-page-two")
