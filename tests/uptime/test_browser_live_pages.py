"""In a real browser, against a real daphne: while a target goes down and comes back, the
monitor page's Incidents card and uptime figures and the incident list follow the events
without a reload (their fragments are refetched), and the dashboard's heartbeat bar and
counters follow the checks."""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from incidents.models import Incident
from monitors.checking import run_check
from tests.factories import IncidentFactory, MonitorFactory
from tests.uptime.browser import (
    chromium,
    log_in,
    outside_the_browser_loop,
    screenshot,
    wait_for_live,
)
from uptime import live

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LIVE_TIMEOUT_MS = 10_000


@pytest.fixture
def monitor(alice, target):
    monitor = MonitorFactory(owner=alice, name="Checkout API", url=target.url("/health"),
                             failure_threshold=2)
    run_check(monitor.pk, scheduled=False)
    return monitor


def check(monitor) -> None:
    outside_the_browser_loop(run_check, monitor.pk, scheduled=False)


def acknowledge(monitor, user) -> None:
    # Someone else (another tab, the app) acknowledges: this page must hear of it.
    outside_the_browser_loop(
        lambda: Incident.objects.open().get(monitor=monitor).acknowledge(user)
    )


def test_the_monitor_page_and_the_incident_list_follow_an_outage_without_a_reload(
    server, target, monitor, alice
):
    with chromium() as page:
        log_in(page, server.url(f"/monitors/{monitor.pk}/"), "alice")
        incidents_page = page.context.new_page()
        incidents_page.goto(server.url("/incidents/"))
        wait_for_live(page)
        wait_for_live(incidents_page)
        card = page.locator(f'[data-live-fragment$="/monitors/{monitor.pk}/fragments/incidents/"]')
        uptime = page.locator('[data-stat="uptime_24h"]')
        status = page.locator('h1 [data-field="status"]')
        expect(card).to_contain_text("No incidents.")
        expect(uptime).to_have_text("100%")
        expect(incidents_page.locator(".card")).to_contain_text("No incidents yet.")

        target.take_down()
        check(monitor)

        expect(status).to_have_text("Pending (1 of 2 failed)", timeout=LIVE_TIMEOUT_MS)
        expect(uptime).to_have_text("50%", timeout=LIVE_TIMEOUT_MS)
        expect(card).to_contain_text("No incidents.")
        screenshot(page, "live-monitor-pending")

        check(monitor)

        opened = card.locator('[data-incident-state="open"]')
        expect(opened).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
        expect(uptime).to_have_text("33.33%", timeout=LIVE_TIMEOUT_MS)
        expect(status).to_have_text("Down")
        expect(page.locator(f'[data-live-incident="{monitor.pk}"]')).to_be_visible()
        listed = incidents_page.locator('[data-incident-state="open"]')
        expect(listed).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
        expect(listed).to_contain_text("Checkout API")
        screenshot(page, "live-monitor-down")
        screenshot(incidents_page, "live-incidents-opened")

        acknowledge(monitor, alice)

        expect(card.locator('[data-incident-state="acknowledged"]')).to_have_count(
            1, timeout=LIVE_TIMEOUT_MS)
        expect(card).to_contain_text("Acknowledged by alice.")
        expect(incidents_page.locator('[data-incident-state="acknowledged"]')).to_have_count(
            1, timeout=LIVE_TIMEOUT_MS)

        target.bring_up()
        check(monitor)

        resolved = card.locator('[data-incident-state="resolved"]')
        expect(resolved).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
        expect(card.locator(".badge-acknowledged")).to_have_count(0)
        expect(resolved).to_contain_text("Back up after")
        expect(uptime).to_have_text("50%", timeout=LIVE_TIMEOUT_MS)
        expect(status).to_have_text("Up")
        expect(page.locator(f'[data-live-incident="{monitor.pk}"]')).to_be_hidden()
        expect(incidents_page.locator('[data-incident-state="resolved"]')).to_have_count(
            1, timeout=LIVE_TIMEOUT_MS)
        assert page.evaluate("window.notReloaded") is True
        assert incidents_page.evaluate("window.notReloaded") is True
        screenshot(page, "live-monitor-resolved")
        screenshot(incidents_page, "live-incidents-resolved")


def test_the_dashboard_heartbeats_and_counters_follow_the_checks(server, target, monitor):
    with chromium() as page:
        log_in(page, server.url("/"), "alice")
        wait_for_live(page)
        bar = page.locator(f'[data-monitor-row="{monitor.pk}"] [data-field="beats"]')
        expect(bar.locator(".beat")).to_have_count(30)
        expect(bar.locator('.beat[data-state="up"]')).to_have_count(1)
        expect(page.locator('[data-count="up"]')).to_have_text("1")

        target.take_down()
        check(monitor)

        expect(bar.locator('.beat[data-state="down"]')).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
        expect(bar.locator(".beat").last).to_have_attribute("data-state", "down")
        expect(page.locator('[data-count="pending"]')).to_have_text("1")
        expect(page.locator('[data-count="up"]')).to_have_text("0")

        check(monitor)

        expect(bar.locator('.beat[data-state="down"]')).to_have_count(2, timeout=LIVE_TIMEOUT_MS)
        expect(bar.locator(".beat")).to_have_count(30)
        expect(page.locator('[data-count="down"]')).to_have_text("1")
        expect(page.locator('[data-count="open_incidents"]')).to_have_text("1")
        expect(page.locator("[data-live-open-incidents]")).to_be_visible()
        assert page.evaluate("window.notReloaded") is True
        screenshot(page, "live-dashboard-heartbeats")


def test_after_a_reconnect_the_fragments_show_what_changed_while_the_socket_was_down(
    server, monitor, alice
):
    with chromium() as page:
        log_in(page, server.url(f"/monitors/{monitor.pk}/"), "alice")
        wait_for_live(page)
        card = page.locator(f'[data-live-fragment$="/monitors/{monitor.pk}/fragments/incidents/"]')
        expect(card).to_contain_text("No incidents.")
        [session] = [cookie["value"] for cookie in page.context.cookies()
                     if cookie["name"] == settings.SESSION_COOKIE_NAME]

        # The refetches that followed the first snapshot are done.
        page.wait_for_load_state("networkidle")
        # An incident that no event announces (made in the shell, or while the socket was
        # down): only the refetch after the next snapshot can show it.
        outside_the_browser_loop(IncidentFactory, monitor=monitor, cause="seen on reconnect")
        page.wait_for_timeout(1500)
        expect(card).to_contain_text("No incidents.")
        outside_the_browser_loop(live.close_sockets, live.revocation_group(session_key=session))

        expect(card).to_contain_text("seen on reconnect", timeout=LIVE_TIMEOUT_MS)
        expect(page.locator("html")).to_have_attribute("data-live", "connected")
        assert page.evaluate("window.notReloaded") is True
