"""WCAG AA contrast in a real browser: on every page, in light and dark mode, every visible
piece of text is at least 4.5:1 against what is behind it (tests/uptime/contrast.js measures
the computed colours). The pages show every monitor status and every incident state."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from incidents.models import IncidentEvent
from monitors.models import CheckResult, Monitor
from monitors.outcomes import Outcome
from tests.factories import IncidentFactory, MonitorFactory, NotificationChannelFactory
from tests.uptime.browser import chromium, log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CONTRAST_JS = (Path(__file__).parent / "contrast.js").read_text()
AA = 4.5


def checks(monitor: Monitor, *, failing: int = 0, count: int = 12) -> None:
    now = timezone.now()
    CheckResult.objects.bulk_create([
        CheckResult(
            monitor=monitor, checked_at=now - timedelta(minutes=5 * step), region="default",
            outcome=Outcome.CONNECTION_REFUSED if step < failing else Outcome.OK,
            status_code=None if step < failing else 200,
            response_ms=None if step < failing else 80 + step,
            error="connection refused by 203.0.113.7:443" if step < failing else "",
        )
        for step in range(count)
    ])


def set_state(monitor: Monitor, status: str, failures: int = 0) -> None:
    Monitor.objects.filter(pk=monitor.pk).update(
        status=status, consecutive_failures=failures, last_checked_at=timezone.now(),
        last_response_ms=None if failures else 84,
    )


def incident(monitor: Monitor, *, minutes_ago: int, acknowledged: bool = False,
             resolved: bool = False):
    opened = timezone.now() - timedelta(minutes=minutes_ago)
    row = IncidentFactory(monitor=monitor, opened_at=opened,
                          cause="connection refused by 203.0.113.7:443")
    row.events.create(kind=IncidentEvent.Kind.OPENED, at=opened, message=row.cause)
    if acknowledged:
        row.acknowledged_at = opened + timedelta(minutes=3)
        row.save()
        row.events.create(kind=IncidentEvent.Kind.ACKNOWLEDGED, at=row.acknowledged_at,
                          message="by alice")
    if resolved:
        row.resolved_at = opened + timedelta(minutes=20)
        row.save()
        row.events.create(kind=IncidentEvent.Kind.RESOLVED, at=row.resolved_at,
                          message="Back up after 20m.")
    return row


@pytest.fixture
def every_state(alice):
    """A monitor in each status (up, down, pending, unknown, paused) and an incident in each
    state (open, acknowledged, resolved)."""
    up = MonitorFactory(owner=alice, name="Up API", url="https://up.example.com/health")
    checks(up)
    set_state(up, "up")
    acknowledged = MonitorFactory(owner=alice, name="Acknowledged API",
                                  url="https://ack.example.com/health")
    checks(acknowledged, failing=4)
    set_state(acknowledged, "down", 4)
    incident(acknowledged, minutes_ago=120, resolved=True)
    incident(acknowledged, minutes_ago=15, acknowledged=True)
    down = MonitorFactory(owner=alice, name="Down API", url="https://down.example.com/health")
    checks(down, failing=3)
    set_state(down, "down", 3)
    incident(down, minutes_ago=10)
    pending = MonitorFactory(owner=alice, name="Pending API", failure_threshold=3,
                             url="https://pending.example.com/health")
    checks(pending, failing=2)
    set_state(pending, "pending", 2)
    MonitorFactory(owner=alice, name="Unknown API", url="https://new.example.com/health")
    MonitorFactory(owner=alice, name="Paused API", url="https://paused.example.com/",
                   is_paused=True)
    NotificationChannelFactory(owner=alice, name="Ops hook",
                               config={"url": "https://hooks.example.com/ops"})
    NotificationChannelFactory(owner=alice, name="Old hook", is_enabled=False,
                               config={"url": "https://hooks.example.com/old"})
    return {"up": up, "acknowledged": acknowledged, "down": down, "pending": pending}


def optional_pages(monitor: Monitor) -> dict[str, str]:
    """Pages other parts of the frontend add, measured once they exist."""
    pages = {}
    for name, (url_name, kwargs) in {
        "channels": ("web:channels", {}),
        "channel-new": ("web:channel-new", {}),
        "channel-new-webhook": ("web:channel-new-kind", {"kind": "webhook"}),
        "maintenance-new": ("web:maintenance-new", {"pk": monitor.pk}),
    }.items():
        try:
            pages[name] = reverse(url_name, kwargs=kwargs)
        except NoReverseMatch:
            pass
    return pages


def low_contrast(page) -> list[str]:
    return page.evaluate(CONTRAST_JS, AA)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_all_text_meets_wcag_aa_contrast(server, every_state, scheme):
    monitor = every_state["acknowledged"]
    pages = {
        "dashboard": "/",
        "dashboard-down": "/?status=down",
        "monitor-acknowledged": f"/monitors/{monitor.pk}/",
        "monitor-down": f"/monitors/{every_state['down'].pk}/",
        "monitor-pending": f"/monitors/{every_state['pending'].pk}/",
        "incidents": "/incidents/",
        "incidents-open": "/incidents/?state=open",
        "monitor-new": "/monitors/new/",
        "monitor-edit": f"/monitors/{monitor.pk}/edit/",
        "monitor-delete": f"/monitors/{monitor.pk}/delete/",
        **optional_pages(monitor),
    }
    failures = {}
    with chromium(color_scheme=scheme) as page:
        page.goto(server.url("/accounts/login/"))
        page.fill('input[name="username"]', "alice")
        page.fill('input[name="password"]', "not the password")
        page.locator('input[name="password"]').press("Enter")
        page.wait_for_selector(".errorlist")
        failures["login-error"] = low_contrast(page)
        screenshot(page, f"contrast-login-{scheme}")

        log_in(page, server.url("/"), "alice")
        for name, path in pages.items():
            page.goto(server.url(path))
            if name == "monitor-new":
                page.fill('input[name="url"]', "ftp://example.com")
                page.click('.form-card [type="submit"]')
                page.wait_for_selector(".errorlist")
            else:
                page.wait_for_selector('html[data-live="connected"]')
            failures[name] = low_contrast(page)
            screenshot(page, f"contrast-{name}-{scheme}")

        # A flash message after an action.
        page.goto(server.url(f"/monitors/{every_state['up'].pk}/"))
        page.click('form[action$="/pause/"] button')
        page.wait_for_selector(".message")
        failures["message"] = low_contrast(page)

    failures = {name: found for name, found in failures.items() if found}
    report = "\n".join(f"{name}: {line}" for name, found in failures.items() for line in found)
    assert not failures, f"text below {AA}:1 in {scheme} mode:\n{report}"


def test_the_measure_catches_low_contrast():
    """The script itself: grey on white fails, black on white passes, translucent layers and
    pseudo-element text are measured."""
    with chromium() as page:
        page.set_content(
            '<body style="background:#fff">'
            '<p id="bad" style="color:#aaa">too light</p>'
            '<p style="color:#000">fine</p>'
            '<div style="background:rgba(0,0,0,.9)">'
            '<span style="color:#333">dark on dark</span></div>'
            '<style>.x::after{content:"after";color:#ccc}</style><span class="x"></span>'
            '</body>'
        )
        found = low_contrast(page)
    assert len(found) == 3, found
    assert found[0].startswith("2.32:1 \"too light\"")
    assert any("dark on dark" in line for line in found)
    assert any("::after" in line for line in found)
