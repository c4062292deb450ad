"""In a real browser: a person adds a webhook channel and sends it a test, which a real
receiver gets; the page shows the outcome. Then a maintenance window is added and ended from
the monitor page, which said beforehand that the monitor would alert nobody."""

import pytest
from playwright.sync_api import expect

from tests.factories import MonitorFactory
from tests.uptime.browser import (
    PHONE,
    chromium,
    fill_one_off_window_from_now,
    log_in,
    outside_the_browser_loop,
    screenshot,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_add_a_webhook_channel_and_send_it_a_test(server, receiver, alice):
    with chromium() as page:
        log_in(page, server.url("/channels/"), "alice")
        expect(page.get_by_text("your monitors alert nobody")).to_be_visible()

        page.get_by_role("link", name="Add a channel").first.click()
        page.get_by_role("link", name="Webhook").click()
        page.fill('input[name="name"]', "Ops hook")
        page.fill('input[name="url"]', "not a url")
        page.get_by_role("button", name="Add channel").click()
        expect(page.locator(".field.has-error .errorlist")).to_contain_text("URL")
        screenshot(page, "channels-webhook-form-error")

        page.fill('input[name="name"]', "Ops hook")
        page.fill('input[name="url"]', receiver.url)
        page.get_by_role("button", name="Add channel").click()
        expect(page.get_by_role("status").first).to_contain_text("Added Ops hook")

        row = page.locator(".channel-row", has_text="Ops hook")
        row.get_by_role("button", name="Send a test").click()

        expect(page.get_by_role("status").first).to_contain_text(
            "Test sent to Ops hook: delivered (HTTP 200)."
        )
        expect(row.locator("[data-last-test]")).to_contain_text("Delivered")
        assert receiver.events() == ["test"]
        # The URL is the webhook's secret: the page shows only its origin.
        assert receiver.url not in page.content()
        screenshot(page, "channels-test-delivered")

        page.set_viewport_size(PHONE)
        page.reload()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, "channels-list-phone")


def test_a_maintenance_window_is_added_and_ended_on_the_monitor_page(server, alice):
    monitor = outside_the_browser_loop(MonitorFactory, owner=alice, name="Payments API")

    with chromium() as page:
        log_in(page, server.url(f"/monitors/{monitor.pk}/"), "alice")
        expect(page.locator("[data-alerts-nobody]")).to_contain_text("This monitor alerts nobody")

        page.get_by_role("link", name="Add a maintenance window").click()
        page.get_by_label("Weekly").check()
        page.select_option('select[name="weekday"]', label="Monday")
        page.fill('input[name="start_time"]', "02:00")
        page.fill('input[name="duration_minutes"]', "0")
        page.get_by_role("button", name="Add window").click()
        expect(page.locator(".errorlist")).to_contain_text(
            "Ensure this value is greater than or equal to 1."
        )
        screenshot(page, "maintenance-form-error")

        fill_one_off_window_from_now(page, note="database upgrade")
        page.get_by_role("button", name="Add window").click()

        card = page.locator("[data-maintenance]")
        expect(card.locator("[data-in-effect]")).to_contain_text("database upgrade")
        screenshot(page, "maintenance-window-in-effect")

        card.get_by_role("button", name="End now").click()
        expect(page.get_by_role("status").first).to_contain_text("Ended the maintenance window")
        expect(page.locator("[data-maintenance] [data-in-effect]")).to_have_count(0)
        assert outside_the_browser_loop(monitor.maintenance_until) is None
        screenshot(page, "maintenance-window-ended")
