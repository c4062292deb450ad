"""The incident list and acknowledging from the web, scoped to the user."""

import pytest
from django.utils import timezone

from tests.factories import IncidentFactory, MonitorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(alice):
    return IncidentFactory(monitor=MonitorFactory(owner=alice, name="alice api"))


def test_it_lists_the_users_incidents_only(client, alice, charlie, incident):
    IncidentFactory(monitor=MonitorFactory(owner=charlie, name="charlie api"))
    client.force_login(alice)

    response = client.get("/incidents/")

    assert list(response.context["incidents"]) == [incident]
    assert b"charlie api" not in response.content


def test_the_open_tab_hides_resolved_incidents(client, alice, incident):
    IncidentFactory(monitor=incident.monitor, resolved_at=timezone.now())
    client.force_login(alice)

    assert list(client.get("/incidents/?state=open").context["incidents"]) == [incident]
    assert len(client.get("/incidents/").context["incidents"]) == 2


def test_acknowledging_records_who_and_when(client, alice, incident):
    client.force_login(alice)

    response = client.post(f"/incidents/{incident.pk}/acknowledge/")

    incident.refresh_from_db()
    assert response["Location"] == "/incidents/"
    assert incident.acknowledged_by == alice and incident.acknowledged_at is not None
    assert [event.kind for event in incident.events.all()] == ["acknowledged"]


def test_another_user_cannot_acknowledge(client, charlie, incident):
    client.force_login(charlie)

    assert client.post(f"/incidents/{incident.pk}/acknowledge/").status_code == 404
    incident.refresh_from_db()
    assert incident.acknowledged_at is None


@pytest.mark.parametrize("page, shown", [("x", 1), ("99", 2), ("2", 2)])
def test_a_bad_page_number_shows_the_first_or_last_page(client, alice, page, shown):
    monitor = MonitorFactory(owner=alice)
    IncidentFactory.create_batch(30, monitor=monitor, resolved_at=timezone.now())
    client.force_login(alice)

    response = client.get("/incidents/", {"page": page})

    assert response.status_code == 200
    assert response.context["page_obj"].number == shown
