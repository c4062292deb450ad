"""Monitoring gaps (monitors/gaps.py): monitors not checked on time are flagged for operators,
never for their owners."""

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from incidents.models import Incident
from monitors.checking import record_result
from monitors.gaps import detect_gaps
from monitors.models import Monitor, MonitoringGap
from monitors.outcomes import Outcome, ProbeResult
from notifications.models import Delivery
from tests.factories import MonitorFactory, NotificationChannelFactory

pytestmark = pytest.mark.django_db


def checked_ago(monitor: Monitor, seconds: float, *, changed_ago: float | None = None) -> None:
    """Pretend the last check (and the last change) happened that long ago."""
    now = timezone.now()
    changed = now - timedelta(seconds=changed_ago if changed_ago is not None else seconds)
    Monitor.objects.filter(pk=monitor.pk).update(
        last_checked_at=now - timedelta(seconds=seconds), updated_at=changed,
        created_at=changed, status=Monitor.Status.UP)


@pytest.fixture
def monitor():
    # 60 s interval, 5 s timeout: a gap after 2 x 60 + 5 = 125 s without a check.
    return MonitorFactory(interval_seconds=60, timeout_seconds=5)


def test_a_monitor_checked_within_two_intervals_and_a_timeout_has_no_gap(monitor):
    checked_ago(monitor, 120)

    assert detect_gaps().opened == []
    assert not MonitoringGap.objects.exists()


def test_a_monitor_not_checked_for_longer_opens_one_gap_from_when_its_check_was_due(
    monitor, caplog
):
    checked_ago(monitor, 200)

    with caplog.at_level(logging.WARNING, logger="monitors.gaps"):
        first = detect_gaps()
        second = detect_gaps()

    gap = MonitoringGap.objects.get()
    assert [g.monitor_id for g in first.opened] == [monitor.pk] and second.opened == []
    assert gap.ended_at is None
    expected = timezone.now() - timedelta(seconds=200 - 125)
    assert abs((gap.started_at - expected).total_seconds()) < 2
    assert f"not checked on time: {monitor.name}" in caplog.text


def test_a_gap_changes_nothing_the_owner_sees(monitor):
    NotificationChannelFactory(owner=monitor.owner)
    checked_ago(monitor, 3600)

    detect_gaps()

    monitor.refresh_from_db()
    assert monitor.status == Monitor.Status.UP
    assert not Incident.objects.exists() and not Delivery.objects.exists()


def test_the_gap_closes_when_the_monitor_is_checked_again(monitor):
    checked_ago(monitor, 200)
    detect_gaps()

    record_result(monitor.pk, ProbeResult(Outcome.OK, "HTTP 200", 200, 12))

    gap = MonitoringGap.objects.get()
    assert gap.ended_at is not None
    assert detect_gaps().opened == []


def test_the_sweep_closes_gaps_of_monitors_paused_since(monitor):
    checked_ago(monitor, 200)
    detect_gaps()

    monitor.pause()
    sweep = detect_gaps()

    assert sweep.closed == 1
    assert MonitoringGap.objects.get().ended_at is not None


def test_paused_monitors_and_recent_changes_are_no_gap(monitor):
    paused = MonitorFactory(is_paused=True)
    checked_ago(paused, 3600)
    # Resumed a minute ago after a long pause: its last check is old, its change is new.
    checked_ago(monitor, 3600, changed_ago=60)

    assert detect_gaps().opened == []


def test_a_heartbeat_is_allowed_its_interval_and_grace(monitor):
    heartbeat = MonitorFactory(kind=Monitor.Kind.HEARTBEAT, url="", interval_seconds=3600,
                               grace_seconds=600, failure_threshold=1)
    # A job pinging hourly was last heard 65 min ago: late, but within interval + grace +
    # two deadline looks, so the deadline checks are on it (they record missed_heartbeat).
    checked_ago(heartbeat, 65 * 60)
    assert detect_gaps().opened == []

    # Nothing at all for 3 hours: not even the miss that the deadline check records.
    checked_ago(heartbeat, 3 * 3600)
    assert [gap.monitor_id for gap in detect_gaps().opened] == [heartbeat.pk]


def test_a_gap_over_five_minutes_tells_the_staff_once(monitor, settings):
    settings.ADMINS = [("ops@example.com", "ops@example.com")]
    other = MonitorFactory(interval_seconds=60, timeout_seconds=5)
    checked_ago(monitor, 125 + 400)  # due 400 s ago
    checked_ago(other, 125 + 100)  # due 100 s ago: not yet

    detect_gaps()
    detect_gaps()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@example.com"]
    assert monitor.name in message.body and other.name not in message.body
    assert "not checked for over 5 minutes" in message.subject
    assert MonitoringGap.objects.get(monitor=monitor).staff_notified_at is not None


def test_a_late_check_records_the_gap_the_sweep_did_not_see(monitor, caplog):
    checked_ago(monitor, 300)
    claimed = Monitor.from_db("default", ["id"], [monitor.pk])
    assert claimed.claim_check(scheduled=True)

    with caplog.at_level(logging.WARNING, logger="monitors.gaps"):
        record_result(monitor.pk, ProbeResult(Outcome.OK, "HTTP 200", 200, 5), claimed=claimed)

    gap = MonitoringGap.objects.get()
    assert gap.ended_at is not None
    assert 170 <= (gap.ended_at - gap.started_at).total_seconds() <= 180
    assert "was not checked for 300 s" in caplog.text


def test_a_check_on_time_records_no_gap(monitor):
    checked_ago(monitor, 60)
    claimed = Monitor.from_db("default", ["id"], [monitor.pk])
    assert claimed.claim_check(scheduled=True)

    record_result(monitor.pk, ProbeResult(Outcome.OK, "HTTP 200", 200, 5), claimed=claimed)

    assert not MonitoringGap.objects.exists()


def test_the_api_and_the_admin_show_an_open_gap(monitor, client, admin_client):
    checked_ago(monitor, 200)
    detect_gaps()
    gap = MonitoringGap.objects.get()
    client.force_login(monitor.owner)

    listed = client.get("/api/v1/monitors/").json()["results"][0]
    single = client.get(f"/api/v1/monitors/{monitor.pk}/").json()
    filtered = admin_client.get("/admin/monitors/monitor/?gap=open")
    on_time = admin_client.get("/admin/monitors/monitor/?gap=none")
    gaps_page = admin_client.get("/admin/monitors/monitoringgap/")

    assert listed["monitoring_gap_since"] == single["monitoring_gap_since"]
    assert single["monitoring_gap_since"].replace("Z", "+00:00")[:19] == \
        gap.started_at.isoformat()[:19]
    assert monitor.name in filtered.content.decode()
    assert monitor.name not in on_time.content.decode()
    assert gaps_page.status_code == 200 and monitor.name in gaps_page.content.decode()
