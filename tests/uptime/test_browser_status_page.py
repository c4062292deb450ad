"""A public status page in Chromium, against a real daphne, with no login: it renders (a
screenshot), shows nothing unchosen, meets WCAG AA contrast in light and dark mode, fits a
390 px phone, and follows a monitor going down without a reload."""

from datetime import time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from monitors.checking import run_check
from monitors.models import MaintenanceWindow, Monitor
from tests.factories import (
    IncidentFactory,
    IncidentUpdateFactory,
    MaintenanceWindowFactory,
    MonitorFactory,
    StatusPageFactory,
)
from tests.uptime.browser import (
    DESKTOP,
    PHONE,
    assert_not_reloaded,
    chromium,
    log_in,
    outside_the_browser_loop,
    screenshot,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("fresh_status_pages")]

CONTRAST_JS = (Path(__file__).parent / "contrast.js").read_text()
LIVE_TIMEOUT_MS = 15_000
HIDDEN = ("billing-prod-7f3a", "internal.example", "10.20.30.40", "Secret admin", "alice@")


@pytest.fixture
def status_page(alice, target):
    payments = MonitorFactory(owner=alice, name="billing-prod-7f3a", url=target.url("/health"),
                              failure_threshold=2)
    run_check(payments.pk, scheduled=False)
    search = MonitorFactory(owner=alice, name="Search", url="https://search.internal.example/")
    Monitor.objects.filter(pk=search.pk).update(status="degraded")
    database = MonitorFactory(owner=alice, name="Database", url="https://db.internal.example/")
    Monitor.objects.filter(pk=database.pk).update(status="down")
    MonitorFactory(owner=alice, name="Secret admin", url="https://admin.internal.example/")
    now = timezone.now()
    outage = IncidentFactory(monitor=database, opened_at=now - timedelta(minutes=12),
                             cause="connection refused by 10.20.30.40:5432")
    IncidentUpdateFactory(incident=outage, status="identified",
                          message="A storage node failed; traffic moves to a replica.")
    past = IncidentFactory(monitor=search, opened_at=now - timedelta(days=2),
                           resolved_at=now - timedelta(days=2) + timedelta(minutes=30),
                           cause="timed out reaching search.internal.example")
    IncidentUpdateFactory(incident=past, status="resolved", message="A bad index was rebuilt.")
    MaintenanceWindowFactory(monitor=search, starts_at=now + timedelta(days=1),
                             ends_at=now + timedelta(days=1, hours=2))
    MaintenanceWindowFactory(monitor=database, kind=MaintenanceWindow.Kind.WEEKLY,
                             starts_at=None, ends_at=None, weekday=6, start_time=time(3, 0),
                             duration_minutes=30)
    page = StatusPageFactory(owner=alice, slug="acme", title="Acme status",
                             description="Payments, search and data for Acme's shops.")
    page.set_layout([payments.pk, search.pk, database.pk], {payments.pk: "Payments"},
                    [{"name": "Data", "monitors": [search.pk, database.pk]}])
    return payments


def open_page(page, server) -> None:
    page.goto(server.url("/status/acme/"))
    expect(page.locator("html")).to_have_attribute("data-live", "connected", timeout=10_000)
    page.evaluate("window.notReloaded = true")


def test_the_page_renders_without_login_and_follows_a_monitor_going_down(
        server, target, status_page, tmp_path):
    with chromium() as page:
        open_page(page, server)
        shot = tmp_path / "status-page.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 1000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        screenshot(page, "status-page-desktop")
        payments = page.locator('[data-component="Payments"]')
        expect(payments).to_have_attribute("data-status", "operational")
        expect(page.locator(".overall")).to_have_text("Partial outage")
        html = page.content()
        assert not [text for text in HIDDEN if text in html]

        target.take_down()
        for _ in range(status_page.failure_threshold):
            outside_the_browser_loop(run_check, status_page.pk, scheduled=False)

        try:
            expect(payments).to_have_attribute("data-status", "outage", timeout=LIVE_TIMEOUT_MS)
        except AssertionError as error:
            shot = screenshot(page, "status-page-live-failed")
            pytest.fail(f"the page never showed Payments down (see {shot})\n{error}\n"
                        f"--- daphne\n{server.log()}")
        expect(payments.locator(".component-status")).to_have_text("Outage")
        expect(page.locator(".overall")).to_have_text("Major outage")
        assert_not_reloaded(page)
        assert not [text for text in HIDDEN if text in page.content()]
        screenshot(page, "status-page-live-down")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_page_meets_wcag_aa_contrast_and_fits_a_phone(server, status_page, scheme):
    failures = {}
    with chromium(color_scheme=scheme, viewport=PHONE) as page:
        open_page(page, server)
        failures["public-phone"] = page.evaluate(CONTRAST_JS, 4.5)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
            "the status page is wider than a 390 px phone"
        assert page.locator('[data-component="Payments"] .day:visible').count() == 30
        screenshot(page, f"status-page-phone-{scheme}")

        page.set_viewport_size(DESKTOP)
        failures["public-desktop"] = page.evaluate(CONTRAST_JS, 4.5)
        assert page.locator('[data-component="Payments"] .day:visible').count() == 90

        log_in(page, server.url("/status-pages/"), "alice")
        failures["list"] = page.evaluate(CONTRAST_JS, 4.5)
        page.get_by_role("link", name="Edit").click()
        page.fill('input[name="slug"]', "Not A Slug")
        page.click('.form-card [type="submit"]')
        page.wait_for_selector(".errorlist")
        failures["form-error"] = page.evaluate(CONTRAST_JS, 4.5)
        screenshot(page, f"status-page-form-{scheme}")
        page.set_viewport_size(PHONE)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
            "the status page form is wider than a 390 px phone"

    failures = {name: found for name, found in failures.items() if found}
    report = "\n".join(f"{name}: {line}" for name, found in failures.items() for line in found)
    assert not failures, f"text below 4.5:1 in {scheme} mode:\n{report}"
