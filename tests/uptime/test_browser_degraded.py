"""In a real browser, against a real daphne: a check that degrades a monitor turns its status
dot, its label, its newest bead and the degraded chip amber without a reload; and the amber
text stays readable (WCAG AA) in light and dark mode."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from monitors.checking import run_check
from monitors.models import Monitor
from monitors.outcomes import Outcome
from tests.factories import CheckResultFactory, MonitorFactory
from tests.uptime.browser import (
    chromium,
    log_in,
    outside_the_browser_loop,
    screenshot,
    wait_for_live,
)
from tests.uptime.test_browser_contrast import AA, low_contrast

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LIVE_TIMEOUT_MS = 10_000
AMBER = "rgb(245, 158, 11)"  # --degraded, #f59e0b


def test_the_dashboard_turns_amber_when_a_check_degrades_the_monitor(server, target, alice):
    target.mode_for_path["/health.json"] = "json"
    monitor = MonitorFactory(owner=alice, name="Shop", url=target.url("/health.json"),
                             assertions=[{"type": "body_contains", "value": "healthy",
                                          "degrade": True}])
    with chromium() as page:
        log_in(page, server.url("/"), "alice")
        row = page.locator(f'[data-monitor-row="{monitor.pk}"]')
        wait_for_live(page)

        check = outside_the_browser_loop(run_check, monitor.pk, scheduled=False)

        status = row.locator('[data-field="status"]')
        expect(status).to_have_attribute("data-status", "degraded", timeout=LIVE_TIMEOUT_MS)
        expect(status).to_have_attribute("title", "Degraded")
        bead = row.locator(f'.beat[data-check-id="{check.pk}"]')
        expect(bead).to_have_attribute("data-state", "degraded")
        expect(bead).to_have_css("background-color", AMBER)
        expect(status.locator(".dot")).to_have_css("background-color", AMBER)
        expect(page.locator('[data-count="degraded"]')).to_have_text("1")
        assert page.evaluate("window.notReloaded") is True
        screenshot(page, "live-dashboard-degraded")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_degraded_text_meets_wcag_aa_contrast(server, alice, scheme):
    monitor = MonitorFactory(owner=alice, name="Shop", kind="tls", url="https://shop.example.com")
    CheckResultFactory(monitor=monitor, outcome=Outcome.DEGRADED,
                       error="expires in 5 days (valid until 2026-12-02)")
    Monitor.objects.filter(pk=monitor.pk).update(status="degraded",
                                                 last_checked_at=timezone.now())
    failures = {}
    with chromium(color_scheme=scheme) as page:
        log_in(page, server.url("/"), "alice")
        for name, path in {"dashboard": "/", "dashboard-degraded": "/?status=degraded",
                           "monitor": f"/monitors/{monitor.pk}/"}.items():
            page.goto(server.url(path))
            page.wait_for_selector('html[data-live="connected"]')
            expect(page.locator('[data-field="status"]').first).to_have_attribute(
                "data-status", "degraded")
            failures[name] = low_contrast(page)
            screenshot(page, f"contrast-degraded-{name}-{scheme}")

    failures = {name: found for name, found in failures.items() if found}
    report = "\n".join(f"{name}: {line}" for name, found in failures.items() for line in found)
    assert not failures, f"text below {AA}:1 in {scheme} mode:\n{report}"
