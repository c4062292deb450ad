"""Every page at phone and desktop width, light and dark: nothing runs off the side of a
phone, and a screenshot of each lands in test-output/ for a person to look at."""

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import IncidentEvent
from monitors.models import CheckResult, Monitor
from monitors.outcomes import Outcome
from tests.factories import IncidentFactory, MonitorFactory
from tests.uptime.browser import DESKTOP, PHONE, SCREENSHOTS, chromium, log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def a_day_of_checks(monitor: Monitor, *, base_ms: int, failing_hours=()) -> None:
    now = timezone.now()
    checks = []
    for step in range(24 * 6):
        at = now - timedelta(minutes=10 * step)
        failed = (step // 6) in failing_hours
        checks.append(CheckResult(
            monitor=monitor, checked_at=at, region="default",
            outcome=Outcome.CONNECTION_REFUSED if failed else Outcome.OK,
            status_code=None if failed else 200,
            response_ms=None if failed else int(base_ms + base_ms * 0.4 * math.sin(step / 5)),
            error="connection refused by 203.0.113.7:443" if failed else "",
        ))
    CheckResult.objects.bulk_create(checks)
    latest = checks[0]
    Monitor.objects.filter(pk=monitor.pk).update(
        last_checked_at=latest.checked_at, last_response_ms=latest.response_ms,
        status="down" if latest.outcome != Outcome.OK else "up",
        consecutive_failures=6 if latest.outcome != Outcome.OK else 0,
    )


@pytest.fixture
def monitors(alice):
    checkout = MonitorFactory(owner=alice, name="Checkout API",
                              url="https://checkout.example.com/api/v2/health")
    a_day_of_checks(checkout, base_ms=140, failing_hours=(0,))
    search = MonitorFactory(owner=alice, name="Search",
                            url="https://search.example.com/healthz?deep=true&region=eu-west-1")
    a_day_of_checks(search, base_ms=60, failing_hours=(9, 10))
    MonitorFactory(owner=alice, name="Marketing site with a rather long name for a monitor",
                   url="https://www.example.com/", is_paused=True)
    incident = IncidentFactory(monitor=checkout, opened_at=timezone.now() - timedelta(minutes=42),
                               cause="connection refused by 203.0.113.7:443")
    incident.events.create(kind=IncidentEvent.Kind.OPENED, at=incident.opened_at,
                           message=incident.cause)
    resolved = IncidentFactory(monitor=search, opened_at=timezone.now() - timedelta(hours=10),
                               resolved_at=timezone.now() - timedelta(hours=8, minutes=3),
                               cause="connection refused by 198.51.100.4:443")
    resolved.events.create(kind=IncidentEvent.Kind.OPENED, at=resolved.opened_at)
    resolved.events.create(kind=IncidentEvent.Kind.RESOLVED, at=resolved.resolved_at,
                           message="Back up after 1h 57m.")
    return checkout


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_every_page_fits_the_screen(server, monitors, size, scheme):
    viewport = PHONE if size == "phone" else DESKTOP
    pages = {
        "dashboard": "/",
        "monitor": f"/monitors/{monitors.pk}/",
        "monitor-form": "/monitors/new/",
        "incidents": "/incidents/",
    }
    with chromium(viewport=viewport, color_scheme=scheme) as page:
        page.goto(server.url("/accounts/login/"))
        screenshot(page, f"page-login-{size}-{scheme}")
        log_in(page, server.url("/"), "alice")
        overflowing = []
        for name, path in pages.items():
            page.goto(server.url(path))
            if name == "monitor-form":
                page.fill('input[name="url"]', "ftp://example.com")
                page.click('.form-card [type="submit"]')
                page.wait_for_selector(".errorlist")
            else:
                page.wait_for_selector('html[data-live="connected"]')
            screenshot(page, f"page-{name}-{size}-{scheme}")
            if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
                overflowing.append(name)
    assert overflowing == [], f"pages wider than a {viewport['width']}px screen: {overflowing}"


TOP_BAR = """() => {
  const logout = document.querySelector('.topbar-end button').getBoundingClientRect();
  const nav = document.querySelector('.topbar .nav');
  return {
    scrollWidth: document.documentElement.scrollWidth,
    width: window.innerWidth,
    logout: [logout.left, logout.right, logout.top, logout.bottom],
    // Each nav link either is in view or can be scrolled to within the nav.
    links: [...nav.querySelectorAll('a')].map((a) => a.textContent.trim()),
    navScrolls: nav.scrollWidth <= nav.clientWidth || getComputedStyle(nav).overflowX === 'auto',
  };
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_top_bar_fits_a_390px_phone_with_every_link(server, monitors, bob, scheme):
    # bob is staff, so his bar has every link there is (Admin included): the widest one.
    pages = {
        "dashboard": "/",
        "monitor": f"/monitors/{monitors.pk}/",
        "monitor-form": "/monitors/new/",
        "monitor-edit": f"/monitors/{monitors.pk}/edit/",
        "incidents": "/incidents/",
    }
    problems = []
    with chromium(viewport=PHONE, color_scheme=scheme) as page:
        log_in(page, server.url("/"), "bob")
        for name, path in pages.items():
            page.goto(server.url(path))
            page.wait_for_selector('html[data-live="connected"]')
            bar = page.evaluate(TOP_BAR)
            left, right, top, bottom = bar["logout"]
            if bar["scrollWidth"] > bar["width"]:
                problems.append(
                    f"{name}: page {bar['scrollWidth']}px wide on a {bar['width']}px screen"
                )
            if left < 0 or right > bar["width"] or top < 0 or bottom - top < 10:
                problems.append(f"{name}: Log out at x {left:.0f}-{right:.0f}, not fully visible")
            if "Admin" not in bar["links"] or not bar["navScrolls"]:
                problems.append(f"{name}: nav links {bar['links']} cut off without scrolling")
            SCREENSHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"topbar-{name}-phone-{scheme}.png"))
    assert problems == []
