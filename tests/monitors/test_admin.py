"""The monitor admin: a changelist whose status cells update live, and its actions."""

import pytest
from django.utils import timezone

from monitors.models import Monitor
from tests.factories import MonitorFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/monitors/monitor/"


def test_the_changelist_cells_carry_the_hooks_live_js_updates(admin_client):
    monitor = MonitorFactory(status="down", last_response_ms=250, last_checked_at=timezone.now())

    html = admin_client.get(CHANGELIST).content.decode()

    assert (f'data-monitor-id="{monitor.pk}" data-field="status" data-status="down"'
            in html)
    assert f'data-monitor-id="{monitor.pk}" data-field="last_response_ms">250 ms<' in html
    assert f'data-monitor-id="{monitor.pk}" data-field="last_checked_at"' in html
    assert "/static/uptime/live.js" in html and "/static/uptime/status.css" in html


def test_a_monitor_never_checked_says_so(admin_client):
    MonitorFactory()

    html = admin_client.get(CHANGELIST).content.decode()

    assert 'data-field="last_checked_at" datetime="">never</time>' in html
    assert 'data-field="last_response_ms">—</span>' in html


def test_the_change_page_shows_the_live_state_too(admin_client):
    monitor = MonitorFactory(status="up")

    html = admin_client.get(f"{CHANGELIST}{monitor.pk}/change/").content.decode()

    assert f'data-monitor-id="{monitor.pk}" data-field="status" data-status="up"' in html


def test_pause_and_resume_actions(admin_client):
    monitors = [MonitorFactory(), MonitorFactory()]
    ids = [monitor.pk for monitor in monitors]

    admin_client.post(CHANGELIST, {"action": "pause_monitors", "_selected_action": ids})
    assert set(Monitor.objects.values_list("status", flat=True)) == {"paused"}

    admin_client.post(CHANGELIST, {"action": "resume_monitors", "_selected_action": ids})
    assert not Monitor.objects.filter(is_paused=True).exists()


def test_the_badge_links_action_replaces_the_keys_of_the_selected_monitors(admin_client):
    chosen, other = MonitorFactory(), MonitorFactory()
    keys = {monitor.pk: monitor.badge_key for monitor in (chosen, other)}

    response = admin_client.post(
        CHANGELIST, {"action": "replace_badge_keys", "_selected_action": [chosen.pk]},
        follow=True)

    assert "New badge links for 1 monitor(s)" in response.content.decode()
    chosen.refresh_from_db()
    other.refresh_from_db()
    assert chosen.badge_key != keys[chosen.pk]
    assert other.badge_key == keys[other.pk]


def test_a_maintenance_window_is_added_on_the_monitor_page(admin_client):
    monitor = MonitorFactory(name="db", url="https://db.example.com/", owner__username="alice")
    page = admin_client.get(f"{CHANGELIST}{monitor.pk}/change/").content.decode()
    assert "maintenance windows" in page.lower()

    form = {
        "owner": monitor.owner_id, "name": "db", "kind": "http", "url": "https://db.example.com/",
        "method": "GET", "expected_status_codes": "[]", "request_headers": "{}",
        "assertions": "[]", "dns_record_type": "A", "dns_expected": "[]", "tls_warn_days": 14,
        "timeout_seconds": 5, "interval_seconds": 60, "failure_threshold": 3,
        "maintenance_windows-TOTAL_FORMS": 1, "maintenance_windows-INITIAL_FORMS": 0,
        "maintenance_windows-0-kind": "weekly", "maintenance_windows-0-weekday": 6,
        "maintenance_windows-0-start_time": "02:00", "maintenance_windows-0-duration_minutes": 60,
        "maintenance_windows-0-timezone": "Europe/Berlin",
        "region_states-TOTAL_FORMS": 0, "region_states-INITIAL_FORMS": 0,
        "checks-TOTAL_FORMS": 0, "checks-INITIAL_FORMS": 0,
        "incidents-TOTAL_FORMS": 0, "incidents-INITIAL_FORMS": 0,
    }
    response = admin_client.post(f"{CHANGELIST}{monitor.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:3000]
    [window] = monitor.maintenance_windows.all()
    assert (window.kind, window.weekday, window.timezone) == ("weekly", 6, "Europe/Berlin")


def test_check_results_cannot_be_deleted_by_hand(admin_client):
    from tests.factories import CheckResultFactory

    check = CheckResultFactory()

    response = admin_client.post(
        "/admin/monitors/checkresult/",
        {"action": "delete_selected", "_selected_action": [check.pk], "post": "yes"},
    )

    assert response.status_code in (200, 302)
    assert check.monitor.checks.filter(pk=check.pk).exists()


def test_a_pending_monitor_shows_how_many_of_its_threshold_failed(admin_client):
    from monitors.checking import record_result
    from monitors.outcomes import Outcome, ProbeResult

    monitor = MonitorFactory(failure_threshold=3)
    for _ in range(2):
        record_result(monitor.pk, ProbeResult(Outcome.TIMEOUT, "timed out after 5.0 s"))

    html = admin_client.get(CHANGELIST).content.decode()

    assert (f'data-monitor-id="{monitor.pk}" data-field="status" data-status="pending">'
            '<i class="dot"></i><span class="status-label">Pending (2 of 3 failed)</span>'
            in html)
    filtered = admin_client.get(CHANGELIST, {"status__exact": "pending"})
    assert list(filtered.context["cl"].result_list) == [monitor]
