"""The incident admin: filters by state and monitor, search, read-only history."""

import pytest
from django.utils import timezone

from tests.factories import IncidentFactory, MonitorFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/incidents/incident/"


@pytest.fixture
def incidents(alice):
    api, web = MonitorFactory(name="api"), MonitorFactory(name="web")
    return {
        "open": IncidentFactory(monitor=api, cause="connection refused"),
        "acknowledged": IncidentFactory(monitor=web, acknowledged_at=timezone.now(),
                                        acknowledged_by=alice),
        "resolved": IncidentFactory(monitor=api, resolved_at=timezone.now(), cause="timed out"),
    }


def listed(response) -> set:
    return set(response.context["cl"].result_list)


@pytest.mark.parametrize("state, expected", [
    ("open", {"open", "acknowledged"}),
    ("unacknowledged", {"open"}),
    ("acknowledged", {"acknowledged"}),
    ("resolved", {"resolved"}),
])
def test_the_state_filter(admin_client, incidents, state, expected):
    response = admin_client.get(CHANGELIST, {"state": state})

    assert listed(response) == {incidents[name] for name in expected}


def test_filter_by_monitor_and_search_by_cause(admin_client, incidents):
    api = incidents["open"].monitor

    by_monitor = admin_client.get(CHANGELIST, {"monitor__id__exact": api.pk})
    by_cause = admin_client.get(CHANGELIST, {"q": "timed out"})

    assert listed(by_monitor) == {incidents["open"], incidents["resolved"]}
    assert listed(by_cause) == {incidents["resolved"]}


def test_an_incident_is_shown_read_only(admin_client, incidents):
    incident = incidents["open"]

    page = admin_client.get(f"{CHANGELIST}{incident.pk}/change/")
    post = admin_client.post(f"{CHANGELIST}{incident.pk}/change/", {"cause": "edited"})

    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert post.status_code == 403
    incident.refresh_from_db()
    assert incident.cause == "connection refused"


def test_the_acknowledge_action_skips_resolved_incidents(admin_client, incidents):
    ids = [incident.pk for incident in incidents.values()]

    admin_client.post(CHANGELIST, {"action": "acknowledge", "_selected_action": ids})

    incidents["open"].refresh_from_db()
    incidents["resolved"].refresh_from_db()
    assert incidents["open"].acknowledged_at is not None
    assert incidents["resolved"].acknowledged_at is None


def test_the_list_shows_when_the_outage_began_and_how_long_it_was_down(admin_client):
    from datetime import timedelta

    opened_at = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    incident = IncidentFactory(
        started_at=opened_at - timedelta(minutes=4),
        opened_at=opened_at,
        resolved_at=opened_at + timedelta(minutes=6),
    )

    response = admin_client.get(CHANGELIST)

    html = response.content.decode()
    assert "column-started_at" in html and "column-opened_at" in html
    assert '<td class="field-duration_display">10m</td>' in html
    page = admin_client.get(f"{CHANGELIST}{incident.pk}/change/").content.decode()
    assert "Started at" in page and "10m" in page
