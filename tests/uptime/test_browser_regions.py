"""In a real browser, against a real daphne: a monitor checked from two regions goes down in
one of them (the target answers 500 to that region's source address), and the dashboard
shows it without a reload: the region's dot turns red and the status says where."""

import pytest
from playwright.sync_api import expect

from monitors.checking import run_check
from tests.factories import MonitorFactory
from tests.uptime.browser import chromium, log_in, outside_the_browser_loop, wait_for_live

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ADDRESSES = {"us": "127.0.0.2", "in": "127.0.0.3"}
LIVE_TIMEOUT_MS = 10_000


def check_from(settings, monitor, region: str) -> None:
    settings.UPTIME_SOURCE_ADDRESS = ADDRESSES[region]
    outside_the_browser_loop(run_check, monitor.pk, region=region, scheduled=False)


def test_the_dashboard_shows_one_regions_outage_without_a_reload(server, target, alice,
                                                                   settings):
    monitor = MonitorFactory(owner=alice, name="Checkout API", url=target.url("/health"),
                             regions=["us", "in"], failure_threshold=2)
    for region in ADDRESSES:
        check_from(settings, monitor, region)
    with chromium() as page:
        log_in(page, server.url("/"), "alice")
        row = page.locator(f'[data-monitor-row="{monitor.pk}"]')
        expect(row.locator('.region-dot[data-status="up"]')).to_have_count(2)
        wait_for_live(page)

        target.mode_for_peer[ADDRESSES["in"]] = "error"
        for _ in range(2):
            check_from(settings, monitor, "in")

        expect(row.locator('.region-dot[title="in: down"]')).to_have_count(
            1, timeout=LIVE_TIMEOUT_MS)
        expect(row.locator('[data-field="status"]')).to_have_attribute("data-status",
                                                                      "degraded")
        expect(row.locator(".status-label")).to_have_text("Degraded (down in in; up in us)")
        assert page.evaluate("window.notReloaded") is True
