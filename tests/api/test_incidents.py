import pytest

from incidents.models import IncidentEvent
from notifications import delivery
from notifications.models import Delivery
from tests.factories import IncidentFactory, MonitorFactory, NotificationChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents(alice):
    api, web = MonitorFactory(owner=alice, name="API"), MonitorFactory(owner=alice, name="Web")
    open_one = IncidentFactory(monitor=api, cause="HTTP 503")
    open_one.events.create(kind=IncidentEvent.Kind.OPENED, message="HTTP 503")
    resolved = IncidentFactory(monitor=web)
    resolved.resolve(at=resolved.opened_at)
    return {"open": open_one, "resolved": resolved}


def ids(response) -> set[int]:
    return {incident["id"] for incident in response.json()["results"]}


def test_it_lists_incidents_of_your_monitors(as_alice, incidents, charlie):
    IncidentFactory(monitor=MonitorFactory(owner=charlie))

    assert ids(as_alice.get("/api/v1/incidents/")) == {i.pk for i in incidents.values()}


@pytest.mark.parametrize("state", ["open", "resolved"])
def test_it_filters_by_state(as_alice, incidents, state):
    response = as_alice.get("/api/v1/incidents/", {"state": state})

    assert ids(response) == {incidents[state].pk}
    assert response.json()["results"][0]["state"] == state


def test_it_filters_by_monitor(as_alice, incidents):
    monitor_id = incidents["open"].monitor_id

    assert ids(as_alice.get("/api/v1/incidents/", {"monitor": monitor_id})) == {
        incidents["open"].pk
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [({"state": "closed"}, "state"), ({"monitor": "api"}, "monitor"), ({"monitor": 0}, "monitor")],
)
def test_bad_filters_answer_400_naming_them(as_alice, incidents, params, field):
    response = as_alice.get("/api/v1/incidents/", params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_the_detail_has_the_timeline(as_alice, incidents):
    incident = incidents["open"]

    body = as_alice.get(f"/api/v1/incidents/{incident.pk}/").json()

    assert body["monitor_name"] == "API"
    assert body["cause"] == "HTTP 503"
    assert [event["kind"] for event in body["events"]] == ["opened"]


def test_acknowledging_records_who_and_when_once(as_alice, as_bob, incidents):
    incident = incidents["open"]

    first = as_alice.post(f"/api/v1/incidents/{incident.pk}/acknowledge").json()
    second = as_bob.post(f"/api/v1/incidents/{incident.pk}/acknowledge").json()

    assert first["acknowledged_by"] == second["acknowledged_by"] == "alice@example.com"
    assert first["acknowledged_at"] == second["acknowledged_at"]
    assert [event["kind"] for event in second["events"]] == ["opened", "acknowledged"]


def test_incidents_cannot_be_created_or_edited(as_alice, incidents):
    incident = incidents["open"]

    assert as_alice.post("/api/v1/incidents/", {}).status_code == 405
    assert as_alice.patch(f"/api/v1/incidents/{incident.pk}/", {"cause": "x"}).status_code == 405
    assert as_alice.delete(f"/api/v1/incidents/{incident.pk}/").status_code == 405


def test_the_detail_shows_a_delivery_that_failed_for_good(as_alice, incidents, settings):
    settings.UPTIME_NOTIFICATION_MAX_ATTEMPTS = 1
    incident = incidents["open"]
    # Port 9 on loopback refuses at once: the one allowed attempt fails.
    channel = NotificationChannelFactory(owner=incident.monitor.owner, name="ops hook",
                                         config={"url": "http://127.0.0.1:9/hook"})
    failed = Delivery.objects.create(incident=incident, channel=channel, event="incident.opened")
    delivery.attempt(failed.pk)

    [shown] = as_alice.get(f"/api/v1/incidents/{incident.pk}/").json()["deliveries"]

    assert (shown["channel_name"], shown["event"], shown["status"], shown["attempts"]) == (
        "ops hook", "incident.opened", "failed", 1
    )
    assert "ConnectionError" in shown["last_error"]
