"""In a real browser: the monitor form shows only the chosen kind's fields as the kind select
changes, keeps a server-side error in view, and a new heartbeat's page shows its ping URL
ready to copy into a crontab."""

import pytest
from playwright.sync_api import expect

from monitors.models import Monitor
from tests.uptime.browser import chromium, log_in, outside_the_browser_loop, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OPTION_FIELDS = ["method", "expected_status_codes", "request_headers", "assertions",
                 "dns_record_type", "dns_expected", "dns_resolver", "tls_warn_days",
                 "grace_seconds", "url", "timeout_seconds"]
SHOWN = {
    "http": {"url", "timeout_seconds", "method", "expected_status_codes", "request_headers",
             "assertions", "tls_warn_days"},
    "tcp": {"url", "timeout_seconds"},
    "dns": {"url", "timeout_seconds", "dns_record_type", "dns_expected", "dns_resolver"},
    "tls": {"url", "timeout_seconds", "tls_warn_days"},
    "postgres": {"url", "timeout_seconds"},
    "redis": {"url", "timeout_seconds"},
    "heartbeat": {"grace_seconds"},
}
URL_PLACEHOLDERS = {
    "http": "https://", "tcp": "tcp://", "dns": "dns://", "tls": "https://",
    "postgres": "postgres://", "redis": "redis://",
}


def field(page, name: str):
    return page.locator(f'[name="{name}"]')


def test_the_form_follows_the_kind_and_a_heartbeat_gets_its_ping_url(server, alice):
    with chromium(permissions=["clipboard-read", "clipboard-write"]) as page:
        log_in(page, server.url("/monitors/new/"), "alice")

        for kind, shown in SHOWN.items():
            page.select_option('select[name="kind"]', kind)
            for name in OPTION_FIELDS:
                if name in shown:
                    expect(field(page, name), f"{name} for {kind}").to_be_visible()
                else:
                    expect(field(page, name), f"{name} for {kind}").to_be_hidden()
            if kind in URL_PLACEHOLDERS:
                placeholder = field(page, "url").get_attribute("placeholder")
                assert placeholder.startswith(URL_PLACEHOLDERS[kind]), (kind, placeholder)
            expect(page.locator('label[for="id_interval_seconds"]')).to_have_text(
                "Expect a ping every (seconds)" if kind == "heartbeat"
                else "Check every (seconds)")
            expected_threshold = "1" if kind == "heartbeat" else "3"
            expect(field(page, "failure_threshold")).to_have_attribute(
                "placeholder", expected_threshold)
        screenshot(page, "monitor-form-heartbeat")

        # A server-side error keeps its group in view after the page comes back.
        page.select_option('select[name="kind"]', "dns")
        page.fill('input[name="name"]', "Mail records")
        page.fill('input[name="url"]', "dns://example.com")
        page.fill('input[name="dns_resolver"]', "not an address")
        page.get_by_role("button", name="Create monitor").click()
        error = page.locator(".field.has-error", has=field(page, "dns_resolver"))
        expect(error.locator(".errorlist")).to_be_visible()
        expect(field(page, "grace_seconds")).to_be_hidden()
        screenshot(page, "monitor-form-dns-error")

        page.select_option('select[name="kind"]', "heartbeat")
        page.fill('input[name="name"]', "Nightly backup")
        page.fill('input[name="interval_seconds"]', "3600")
        page.fill('input[name="grace_seconds"]', "600")
        page.fill('input[name="dns_resolver"]', "")
        page.get_by_role("button", name="Create monitor").click()
        expect(page.locator("h1")).to_contain_text("Nightly backup")

        monitor = outside_the_browser_loop(Monitor.objects.get, name="Nightly backup")
        assert (monitor.kind, monitor.failure_threshold, monitor.grace_seconds) == \
            ("heartbeat", 1, 600)
        ping_url = page.locator("#ping-url-value")
        expect(ping_url).to_have_value(monitor.ping_url)
        assert str(monitor.ping_token) in monitor.ping_url
        expect(page.locator(".crontab-example")).to_contain_text(
            f"0 * * * * /path/to/your-job.sh && curl -fsS -m 10 --retry 5 {monitor.ping_url}")
        # The Badges card has Copy buttons of its own.
        card = page.locator("#ping-url")
        card.get_by_role("button", name="Copy").click()
        expect(card.get_by_role("button", name="Copied")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == monitor.ping_url
        screenshot(page, "monitor-heartbeat-page")
