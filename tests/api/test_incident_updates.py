"""/api/v1/incidents/{id}/updates/: the notes an incident's owner posts for the people
affected. A note changes nothing else: a "resolved" update does not resolve the incident."""

import pytest

from incidents.models import IncidentUpdate
from tests.factories import IncidentFactory, IncidentUpdateFactory, MonitorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(alice):
    return IncidentFactory(monitor=MonitorFactory(owner=alice, name="Billing API"))


def url(incident) -> str:
    return f"/api/v1/incidents/{incident.pk}/updates/"


def test_alice_posts_updates_and_reads_them_oldest_first(as_alice, incident):
    first = as_alice.post(url(incident), {"status": "investigating",
                                          "message": "Payments fail for some customers."},
                          format="json")
    second = as_alice.post(url(incident), {"status": "identified",
                                           "message": "A bad deploy; rolling back."},
                           format="json")

    assert first.status_code == 201 and second.status_code == 201
    data = first.json()
    assert {key: data[key] for key in ("incident", "status", "message", "author")} == {
        "incident": incident.pk, "status": "investigating",
        "message": "Payments fail for some customers.", "author": "alice@example.com"}
    listed = as_alice.get(url(incident)).json()
    assert listed["count"] == 2
    assert [update["status"] for update in listed["results"]] == ["investigating", "identified"]
    detail = as_alice.get(f"/api/v1/incidents/{incident.pk}/").json()
    assert [update["message"] for update in detail["updates"]] == [
        "Payments fail for some customers.", "A bad deploy; rolling back."]


def test_a_resolved_update_is_a_note_and_leaves_the_incident_open(as_alice, incident):
    response = as_alice.post(url(incident), {"status": "resolved", "message": "Fixed."},
                             format="json")

    assert response.status_code == 201
    incident.refresh_from_db()
    assert incident.is_open


@pytest.mark.parametrize(("body", "field"), [
    ({"message": "x"}, "status"),
    ({"status": "fixed", "message": "x"}, "status"),
    ({"status": None, "message": "x"}, "status"),
    ({"status": "resolved"}, "message"),
    ({"status": "resolved", "message": ""}, "message"),
    ({"status": "resolved", "message": "   "}, "message"),
    ({"status": "resolved", "message": "x" * 5001}, "message"),
    ({"status": "resolved", "message": ["x"]}, "message"),
    ({"status": "resolved", "message": "x", "posted_at": "yesterday"}, None),
    ({"status": "resolved", "message": "x", "severity": "high"}, "severity"),
])
def test_bad_input_is_a_400_naming_the_field(as_alice, incident, body, field):
    response = as_alice.post(url(incident), body, format="json")

    if field is None:  # a read-only field sent back is ignored, as everywhere in the API
        assert response.status_code == 201
        return
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not IncidentUpdate.objects.exists()


def test_charlie_can_neither_read_nor_post_on_alices_incident(as_charlie, incident):
    IncidentUpdateFactory(incident=incident, message="Alice's note")

    assert as_charlie.get(url(incident)).status_code == 404
    response = as_charlie.post(url(incident), {"status": "resolved", "message": "x"},
                               format="json")
    assert response.status_code == 404
    assert IncidentUpdate.objects.count() == 1


def test_staff_may_post_on_anyones_incident(as_bob, incident):
    response = as_bob.post(url(incident), {"status": "monitoring", "message": "Watching."},
                           format="json")

    assert response.status_code == 201 and response.json()["author"] == "bob@example.com"
