"""The monitor admin for heartbeats: where the job reports, what it reported, its defaults."""

import pytest

from monitors.models import Monitor, Ping
from tests.factories import MonitorFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/monitors/monitor/"
NO_INLINES = {
    f"{inline}-{count}": 0
    for inline in ("maintenance_windows", "region_states", "checks", "incidents")
    for count in ("TOTAL_FORMS", "INITIAL_FORMS")
}


def test_a_heartbeats_page_shows_its_ping_url_and_pings(admin_client):
    monitor = MonitorFactory(kind=Monitor.Kind.HEARTBEAT, url="")
    Ping.objects.create(monitor=monitor, kind="fail", exit_status=2, method="POST",
                        user_agent="cron-runner/1", body="disk full")

    page = admin_client.get(f"{CHANGELIST}{monitor.pk}/change/").content.decode()

    assert f"<code>{monitor.ping_url}</code>" in page
    assert "Recent pings (newest 20)" in page
    assert "cron-runner/1" in page and "disk full" in page
    assert 'name="grace_seconds"' in page


def test_other_kinds_pages_have_no_ping_url(admin_client):
    monitor = MonitorFactory()

    page = admin_client.get(f"{CHANGELIST}{monitor.pk}/change/").content.decode()

    assert str(monitor.ping_token) not in page
    assert "Recent pings" not in page


@pytest.mark.parametrize(("posted", "saved"), [(3, 1), (5, 5)])
def test_a_new_heartbeat_left_at_the_default_threshold_gets_1(admin_client, admin_user,
                                                              posted, saved):
    response = admin_client.post(f"{CHANGELIST}add/", {
        "owner": admin_user.pk, "name": "Nightly backup", "kind": "heartbeat", "url": "",
        "method": "GET", "expected_status_codes": "[]", "request_headers": "{}",
        "assertions": "[]", "dns_expected": "[]", "timeout_seconds": 5,
        "interval_seconds": 86400, "grace_seconds": 900, "failure_threshold": posted,
        **NO_INLINES,
    })

    assert response.status_code == 302, response.content.decode()[:3000]
    monitor = Monitor.objects.get()
    assert (monitor.kind, monitor.grace_seconds, monitor.failure_threshold) == (
        "heartbeat", 900, saved
    )
