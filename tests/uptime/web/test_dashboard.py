"""The dashboard lists the monitors the user may see, with the hooks live.js updates."""

from datetime import timedelta

import pytest
from django.utils import timezone

from monitors.outcomes import Outcome
from tests.factories import CheckResultFactory, IncidentFactory, MonitorFactory

pytestmark = pytest.mark.django_db


def test_it_lists_only_the_users_own_monitors(client, alice, charlie):
    MonitorFactory(owner=alice, name="alice api")
    MonitorFactory(owner=charlie, name="charlie api")
    client.force_login(alice)

    response = client.get("/")

    assert [monitor.name for monitor in response.context["monitors"]] == ["alice api"]
    assert b"charlie api" not in response.content


def test_staff_see_every_monitor(client, alice, bob, charlie):
    MonitorFactory(owner=alice, name="alice api")
    MonitorFactory(owner=charlie, name="charlie api")
    client.force_login(bob)

    names = [monitor.name for monitor in client.get("/").context["monitors"]]

    assert names == ["alice api", "charlie api"]


def test_each_row_shows_status_last_check_and_response_with_live_hooks(client, alice):
    monitor = MonitorFactory(owner=alice, status="up", last_response_ms=87,
                             last_checked_at=timezone.now() - timedelta(minutes=3))
    client.force_login(alice)

    html = client.get("/").content.decode()

    assert f'data-monitor-id="{monitor.pk}" data-field="status" data-status="up"' in html
    assert f'data-monitor-id="{monitor.pk}" data-field="last_response_ms">87 ms<' in html
    assert f'data-monitor-id="{monitor.pk}" data-field="last_checked_at"' in html
    assert "3\xa0minutes ago" in html
    assert "/static/uptime/live.js" in html


def test_the_uptime_bar_has_24_hours_coloured_by_their_checks(client, alice):
    monitor = MonitorFactory(owner=alice)
    now = timezone.now()
    CheckResultFactory(monitor=monitor, checked_at=now)
    CheckResultFactory(monitor=monitor, checked_at=now - timedelta(hours=3),
                       outcome=Outcome.TIMEOUT)
    client.force_login(alice)

    hours = client.get("/").context["rows"][0][1]

    assert len(hours) == 24
    assert hours[-1].state == "up"
    assert hours[-4].state == "down"
    assert [hour.state for hour in hours].count("none") == 22


def test_it_counts_monitors_by_status_and_open_incidents(client, alice):
    MonitorFactory(owner=alice, status="up")
    down = MonitorFactory(owner=alice, status="down")
    MonitorFactory(owner=alice, is_paused=True)
    IncidentFactory(monitor=down)
    client.force_login(alice)

    context = client.get("/").context

    assert context["counts"]["up"] == 1
    assert context["counts"]["down"] == 1
    assert context["counts"]["paused"] == 1
    assert context["open_incidents"] == 1


def test_a_user_without_monitors_is_invited_to_add_one(client, alice):
    client.force_login(alice)

    assert b"No monitors yet" in client.get("/").content
