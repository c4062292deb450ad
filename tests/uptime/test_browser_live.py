"""In a real browser, against a real daphne: a target goes down, checks run in another
process, and the dashboard and the admin changelist show it without a reload."""

import pytest
from playwright.sync_api import expect

from monitors.checking import run_check
from tests.factories import MonitorFactory, UserFactory
from tests.uptime.browser import (
    chromium,
    log_in,
    outside_the_browser_loop,
    screenshot,
    wait_for_live,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LIVE_TIMEOUT_MS = 10_000


@pytest.fixture
def monitor(alice, target):
    monitor = MonitorFactory(owner=alice, name="Checkout API", url=target.url("/health"),
                             failure_threshold=2)
    run_check(monitor.pk, scheduled=False)
    return monitor


def take_down_and_check(target, monitor) -> None:
    target.take_down()
    for _ in range(monitor.failure_threshold):
        outside_the_browser_loop(run_check, monitor.pk, scheduled=False)


def expect_down(page, status, *, server, name: str) -> None:
    try:
        expect(status).to_have_attribute("data-status", "down", timeout=LIVE_TIMEOUT_MS)
    except AssertionError as error:
        shot = screenshot(page, f"{name}-failed")
        pytest.fail(f"the page never showed the monitor down (see {shot})\n{error}\n"
                    f"--- daphne\n{server.log()}")


def test_the_dashboard_shows_a_target_going_down_without_a_reload(server, target, monitor):
    with chromium() as page:
        log_in(page, server.url("/"), "alice")
        status = page.locator(f'[data-monitor-row="{monitor.pk}"] [data-field="status"]')
        expect(status).to_have_attribute("data-status", "up")
        wait_for_live(page)

        take_down_and_check(target, monitor)

        expect_down(page, status, server=server, name="live-dashboard")
        expect(page.locator('[data-count="down"]')).to_have_text("1")
        assert page.evaluate("window.notReloaded") is True
        screenshot(page, "live-dashboard-down")


def test_the_admin_changelist_shows_a_target_going_down_without_a_reload(
    server, target, monitor
):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    with chromium() as page:
        log_in(page, server.url("/admin/monitors/monitor/"), "root")
        row = page.locator("#result_list tr", has=page.locator(f'[data-monitor-id="{monitor.pk}"]'))
        status = row.locator('[data-field="status"]')
        expect(status).to_have_attribute("data-status", "up")
        wait_for_live(page)

        take_down_and_check(target, monitor)

        expect_down(page, status, server=server, name="live-admin")
        expect(status).to_have_text("Down")
        expect(row.locator('[data-field="consecutive_failures"]')).to_have_text("2")
        expect(row.locator('[data-field="last_checked_at"]')).to_have_text("just now")
        assert page.evaluate("window.notReloaded") is True
        screenshot(page, "live-admin-down")
