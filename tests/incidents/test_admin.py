"""The incident admin: filters by state and monitor, search, read-only history, and the
updates posted on an incident."""

import re

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


def test_an_incident_is_shown_read_only_but_takes_updates(admin_client, admin_user, incidents):
    incident = incidents["open"]
    change = f"{CHANGELIST}{incident.pk}/change/"

    page = admin_client.get(change)
    # Every inline's management form, as the page has it; then one update in the new row.
    form = {name: value for name, value in re.findall(
        r'name="([\w-]+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)"[^>]*value="(\d+)"',
        page.content.decode())}
    post = admin_client.post(change, {
        **form, "cause": "edited", "resolved_at": "2020-01-01 00:00",
        "updates-0-status": "investigating", "updates-0-message": "Looking into it.",
    })

    assert page.status_code == 200 and b'name="cause"' not in page.content
    assert post.status_code == 302
    incident.refresh_from_db()
    assert incident.cause == "connection refused" and incident.is_open
    update = incident.updates.get()
    assert (update.status, update.message, update.author) == (
        "investigating", "Looking into it.", admin_user)


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
