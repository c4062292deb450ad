"""In a real browser: the monitor page's Badges card shows each badge as an image and copies
its Markdown."""

import pytest
from playwright.sync_api import expect

from monitors.models import Monitor
from tests.factories import CheckResultFactory, MonitorFactory
from tests.uptime.browser import chromium, log_in, outside_the_browser_loop, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def make_monitor(owner) -> Monitor:
    monitor = MonitorFactory(owner=owner, name="Billing API")
    CheckResultFactory(monitor=monitor, response_ms=87)
    Monitor.objects.filter(pk=monitor.pk).update(status=Monitor.Status.UP)
    return monitor


def test_the_badges_card_shows_each_badge_and_copies_its_markdown(server, alice):
    monitor = outside_the_browser_loop(make_monitor, alice)
    with chromium(permissions=["clipboard-read", "clipboard-write"]) as page:
        log_in(page, server.url(f"/monitors/{monitor.pk}/"), "alice")

        card = page.locator("#badges")
        images = card.locator("img")
        expect(images).to_have_count(5)
        for index in range(5):
            image = images.nth(index)
            image.scroll_into_view_if_needed()
            # Loaded and drawn: an SVG the browser could not parse has no natural width.
            page.wait_for_function("image => image.complete && image.naturalWidth > 0",
                                   arg=image.element_handle())
        markdown = card.locator("#badge-status").input_value()
        assert markdown.startswith("![Status](") and markdown.endswith(
            f"/badge/{monitor.badge_key}/status.svg)")
        card.locator('button[data-copy="badge-status"]').click()
        expect(card.locator('button[data-copy="badge-status"]')).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == markdown
        card.scroll_into_view_if_needed()
        screenshot(page, "monitor-badges")
