"""A person runs uptime alone, in the web app only, against the real stack: daphne, a Celery
worker and beat as processes, a target that goes down and comes back, a webhook receiver.

Everything after the sign-in is done by clicking in Debian's Chromium; the test only reads the
database to check that what the pages say is true. Two tabs stay open without a reload while
the outage happens: the monitor page and /incidents/. Screenshots land in test-output/.
"""

import re

import pytest
from playwright.sync_api import expect

from incidents.models import Incident, format_duration
from monitors.models import CheckResult, Monitor
from monitors.outcomes import Outcome
from tests.support.pipeline import Pipeline
from tests.support.webserver import WebServer, child_env
from tests.uptime.browser import (
    assert_not_reloaded,
    chromium,
    fill_one_off_window_from_now,
    log_in,
    outside_the_browser_loop,
    screenshot,
    wait_for_live,
)
from uptime.templatetags.uptime_web import percent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Long enough for a check every 2 s to pass the threshold of 3 and for beat to catch up once.
LIVE_TIMEOUT_MS = 30_000
INTERVAL_SECONDS = 2
THRESHOLD = 3


@pytest.fixture
def stack(static_root, tmp_path):
    """The web server and the pipeline, all allowed 1-second intervals."""
    env = {"UPTIME_MIN_INTERVAL_SECONDS": "1"}
    server = WebServer(env=child_env(STATIC_ROOT=str(static_root), **env),
                       log_path=tmp_path / "daphne.log").start()
    try:
        with Pipeline(tmp_path, **env) as pipeline:
            yield server, pipeline
    finally:
        server.stop()


def test_a_person_runs_uptime_from_the_web_app_alone(stack, target, receiver, alice):
    server, pipeline = stack
    with chromium() as page:
        log_in(page, server.url("/"), "alice")

        # A webhook channel, and a test message the receiver gets.
        page.get_by_role("link", name="Channels").first.click()
        page.get_by_role("link", name="Add a channel").first.click()
        page.get_by_role("link", name="Webhook").click()
        page.fill('input[name="name"]', "Ops hook")
        page.fill('input[name="url"]', receiver.url)
        page.get_by_role("button", name="Add channel").click()
        page.locator("[data-channel-id]", has_text="Ops hook").get_by_role(
            "button", name="Send a test"
        ).click()
        expect(page.get_by_role("status").first).to_contain_text("delivered")
        assert receiver.events() == ["test"]
        screenshot(page, "journey-1-channel-tested")

        # A monitor that notifies that channel; its first check runs at once.
        page.get_by_role("link", name="Monitors").first.click()
        page.get_by_role("link", name="New monitor").click()
        page.fill('input[name="name"]', "Checkout API")
        page.fill('input[name="url"]', target.url("/health"))
        page.fill('input[name="interval_seconds"]', str(INTERVAL_SECONDS))
        page.fill('input[name="timeout_seconds"]', "1")
        page.fill('input[name="failure_threshold"]', str(THRESHOLD))
        page.get_by_label("Ops hook").check()
        page.get_by_role("button", name="Create monitor").click()
        expect(page.locator("h1")).to_contain_text("Checkout API")
        monitor = outside_the_browser_loop(Monitor.objects.get, name="Checkout API")
        assert [c.name for c in outside_the_browser_loop(list, monitor.channels.all())] == [
            "Ops hook"
        ]
        status = page.locator(f'h1 [data-monitor-id="{monitor.pk}"][data-field="status"]')
        expect(status).to_have_attribute("data-status", "up", timeout=LIVE_TIMEOUT_MS)
        screenshot(page, "journey-2-monitor-up")

        # A second tab on /incidents/, left open through the outage.
        incidents_page = page.context.new_page()
        incidents_page.goto(server.url("/incidents/"))
        wait_for_live(incidents_page, timeout_ms=LIVE_TIMEOUT_MS)
        wait_for_live(page, timeout_ms=LIVE_TIMEOUT_MS)

        # Pending lasts two checks (4 s): too short to look at it after the fact on a busy
        # machine, so the page notes what it showed at each status change as it happens.
        page.evaluate("""(selector) => {
            window.statusesSeen = [];
            const pill = document.querySelector(selector);
            new MutationObserver(() => window.statusesSeen.push({
                status: pill.getAttribute("data-status"),
                label: pill.textContent.trim(),
                incidents: document.querySelectorAll("[data-incident-id]").length,
            })).observe(pill, {attributes: true, childList: true, subtree: true});
        }""", f'h1 [data-monitor-id="{monitor.pk}"][data-field="status"]')
        target.take_down()
        # Pending first: failures below the threshold, in amber, before any incident.
        expect(status).to_have_attribute("data-status", re.compile("pending|down"),
                                         timeout=LIVE_TIMEOUT_MS)
        screenshot(page, "journey-3-pending")

        expect(status).to_have_attribute("data-status", "down", timeout=LIVE_TIMEOUT_MS)
        seen = page.evaluate("window.statusesSeen")
        pending = [change for change in seen if change["status"] == "pending"]
        assert pending, f"the page never showed the monitor pending: {seen}"
        assert {change["incidents"] for change in pending} == {0}, seen
        assert {change["label"] for change in pending} <= {
            f"Pending ({failed} of {THRESHOLD} failed)" for failed in range(1, THRESHOLD)
        }, seen
        card = page.locator("[data-incident-id]").first
        expect(card).to_have_attribute("data-incident-state", "open", timeout=LIVE_TIMEOUT_MS)
        expect(page.locator(f'[data-live-incident="{monitor.pk}"]')).to_be_visible()
        uptime_24h = page.locator('[data-stat="uptime_24h"]')
        expect(uptime_24h).not_to_have_text("100%", timeout=LIVE_TIMEOUT_MS)
        listed = incidents_page.locator("[data-incident-id]").first
        expect(listed).to_have_attribute("data-incident-state", "open", timeout=LIVE_TIMEOUT_MS)
        expect(listed).to_contain_text("Checkout API")
        assert_not_reloaded(page, incidents_page)
        screenshot(page, "journey-4-down")
        screenshot(incidents_page, "journey-4-incidents-open")

        # Acknowledge on the monitor page; the incidents tab follows without a reload.
        page.locator(f'[data-live-incident="{monitor.pk}"]').get_by_role(
            "button", name="Acknowledge"
        ).click()
        expect(card).to_have_attribute("data-incident-state", "acknowledged")
        expect(listed).to_have_attribute("data-incident-state", "acknowledged",
                                         timeout=LIVE_TIMEOUT_MS)
        wait_for_live(page, timeout_ms=LIVE_TIMEOUT_MS)

        target.bring_up()
        expect(status).to_have_attribute("data-status", "up", timeout=LIVE_TIMEOUT_MS)
        expect(card).to_have_attribute("data-incident-state", "resolved", timeout=LIVE_TIMEOUT_MS)
        expect(card.locator(".badge")).to_have_text("Resolved")
        expect(listed).to_have_attribute("data-incident-state", "resolved",
                                         timeout=LIVE_TIMEOUT_MS)
        assert_not_reloaded(page, incidents_page)

        # The duration counts from the first failed check, not from when the threshold was met.
        incident = outside_the_browser_loop(Incident.objects.get, monitor=monitor)
        assert incident.started_at < incident.opened_at < incident.resolved_at
        expect(card).to_contain_text(format_duration(incident.resolved_at - incident.started_at))
        expect(listed).to_contain_text(
            format_duration(incident.resolved_at - incident.started_at)
        )

        # The uptime figure is the share of good checks. After the recovery only good checks are
        # added, so the failed ones behind the figure must be exactly those in the database.
        failed = outside_the_browser_loop(
            CheckResult.objects.filter(monitor=monitor).exclude(outcome=Outcome.OK).count
        )
        assert failed >= THRESHOLD
        figure = page.locator('[data-stat="uptime_24h"]')
        expect(figure).to_have_attribute("title", re.compile(r"^\d+ of \d+ checks up$"))
        shown, title = figure.evaluate("el => [el.textContent.trim(), el.title]")
        up_checks, checks = map(int, re.fullmatch(r"(\d+) of (\d+) checks up", title).groups())
        assert checks - up_checks == failed
        assert shown == percent(round(100 * up_checks / checks, 3))
        screenshot(page, "journey-5-resolved")
        screenshot(incidents_page, "journey-5-incidents-resolved")

        pipeline.wait_for(lambda: {"incident.opened", "incident.resolved"} <= set(
            receiver.events()), timeout=30, what="the incident webhooks")

        # A maintenance window now, then ended.
        page.get_by_role("link", name="Add a maintenance window").click()
        fill_one_off_window_from_now(page, note="database upgrade")
        page.get_by_role("button", name="Add window").click()
        windows = page.locator("[data-maintenance]")
        expect(windows.locator("[data-in-effect]")).to_contain_text("database upgrade")
        assert outside_the_browser_loop(monitor.maintenance_until) is not None
        screenshot(page, "journey-6-maintenance")
        windows.get_by_role("button", name="End now").click()
        expect(page.locator("[data-maintenance] [data-in-effect]")).to_have_count(0)
        assert outside_the_browser_loop(monitor.maintenance_until) is None
        screenshot(page, "journey-7-maintenance-ended")
