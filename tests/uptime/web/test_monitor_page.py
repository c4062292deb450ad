"""A monitor's page: its state, response-time chart, recent checks and incident timeline,
visible to its owner and to staff only."""

import re
from datetime import timedelta

import pytest
from django.urls import resolve
from django.utils import timezone

from monitors.outcomes import Outcome
from tests.factories import (
    CheckResultFactory,
    IncidentFactory,
    MaintenanceWindowFactory,
    MonitorFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitor(alice):
    return MonitorFactory(owner=alice, name="alice api")


def test_the_owner_sees_recent_checks_and_the_incident_timeline(client, alice, bob, monitor):
    CheckResultFactory(monitor=monitor, response_ms=120)
    CheckResultFactory(monitor=monitor, outcome=Outcome.CONNECTION_REFUSED, status_code=None,
                       response_ms=None, error="connection refused by 203.0.113.9",
                       checked_at=timezone.now() - timedelta(minutes=1))
    incident = IncidentFactory(monitor=monitor, cause="connection refused by 203.0.113.9")
    incident.events.create(kind="opened", at=incident.opened_at, message=incident.cause)
    incident.acknowledge(bob)
    client.force_login(alice)

    response = client.get(f"/monitors/{monitor.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "120 ms" in html
    assert "Connection refused" in html
    assert "connection refused by 203.0.113.9" in html
    assert "Acknowledged by bob." in html
    assert f'data-live-checks="{monitor.pk}"' in html


def test_it_draws_the_response_time_chart(client, alice, monitor):
    CheckResultFactory(monitor=monitor, response_ms=80)
    client.force_login(alice)

    html = client.get(f"/monitors/{monitor.pk}/").content.decode()

    assert "<svg" in html and "<polyline" in html


def test_another_user_gets_404(client, charlie, monitor):
    client.force_login(charlie)

    assert client.get(f"/monitors/{monitor.pk}/").status_code == 404


def test_staff_see_any_monitor(client, bob, monitor):
    client.force_login(bob)

    assert client.get(f"/monitors/{monitor.pk}/").status_code == 200


def test_the_live_acknowledge_form_points_at_the_incident_that_opens_later(
    client, alice, monitor
):
    """live.js fills in the id of an incident that opens while the page is open."""
    client.force_login(alice)
    page = client.get(f"/monitors/{monitor.pk}/").content.decode()
    incident = IncidentFactory(monitor=monitor)

    [action] = re.findall(r'data-action="([^"]+)"', page)
    match = resolve(action.replace("__id__", str(incident.pk)))
    assert match.url_name == "incident-acknowledge" and match.kwargs == {"pk": incident.pk}


def test_the_page_says_when_a_maintenance_window_is_in_effect(client, alice, monitor):
    client.force_login(alice)
    assert b"In a maintenance window" not in client.get(f"/monitors/{monitor.pk}/").content

    MaintenanceWindowFactory(monitor=monitor, note="DB upgrade")
    page = client.get(f"/monitors/{monitor.pk}/").content.decode()

    assert "In a maintenance window until" in page
    # The note is in the maintenance card's row for the window in effect.
    card = page[page.index("data-maintenance"):]
    in_effect = card[card.index("data-in-effect"):]
    assert "DB upgrade" in in_effect[:in_effect.index("</tr>")]


@pytest.mark.parametrize("asked, shown, heading", [
    ("24h", "24h", "last 24 hours, average per hour"),
    ("7d", "7d", "last 7 days, average per hour"),
    ("30d", "30d", "last 30 days, average per 4 hours"),
    ("90d", "90d", "last 90 days, average per day"),
    ("365d", "365d", "last 365 days, average per day"),
    ("1y", "24h", "last 24 hours, average per hour"),
])
def test_the_chart_has_links_to_its_ranges_and_says_which_it_shows(
    client, alice, monitor, asked, shown, heading
):
    CheckResultFactory(monitor=monitor, checked_at=timezone.now() - timedelta(days=20))
    client.force_login(alice)

    html = client.get(f"/monitors/{monitor.pk}/", {"range": asked}).content.decode()

    assert heading in html
    assert f'<a href="?range={shown}#response-time" aria-current="page">' in html
    for other in {"24h", "7d", "30d", "90d", "365d"} - {shown}:
        assert f'<a href="?range={other}#response-time">' in html
    assert f'fragments/chart/?range={shown}"' in html
    # A check 20 days ago is drawn on the 30-day chart and the longer ones only.
    assert ("<polyline" in html) is (shown in ("30d", "90d", "365d"))
