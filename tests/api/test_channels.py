import json

import pytest

from notifications.models import NotificationChannel
from tests.factories import NotificationChannelFactory

pytestmark = pytest.mark.django_db

SECRET_HOOK = "https://hooks.example.com/services/T000/B000/s3cretT0ken?key=abc"


def test_creating_a_webhook_channel(as_alice, alice):
    response = as_alice.post(
        "/api/v1/channels/", {"name": "Ops hook", "kind": "webhook", "config": {"url": SECRET_HOOK}}
    )

    assert response.status_code == 201
    channel = NotificationChannel.objects.get()
    assert (channel.owner, channel.config) == (alice, {"url": SECRET_HOOK})


def test_a_webhook_url_is_never_returned_only_its_origin(as_alice):
    created = as_alice.post(
        "/api/v1/channels/", {"name": "Ops hook", "kind": "webhook", "config": {"url": SECRET_HOOK}}
    ).json()
    listed = as_alice.get("/api/v1/channels/").json()["results"][0]
    detail = as_alice.get(f"/api/v1/channels/{created['id']}/").json()

    for body in (created, listed, detail):
        assert "config" not in body
        assert body["redacted_config"] == {"url": "https://hooks.example.com/…"}
        assert "s3cret" not in json.dumps(body)


def test_an_email_channel_shows_its_address(as_alice):
    body = as_alice.post(
        "/api/v1/channels/", {"name": "Ops", "kind": "email", "config": {"to": "ops@example.com"}}
    ).json()

    assert body["redacted_config"] == {"to": "ops@example.com"}


def test_an_update_without_config_keeps_the_secret(as_alice, alice):
    channel = NotificationChannelFactory(owner=alice, config={"url": SECRET_HOOK})

    response = as_alice.put(
        f"/api/v1/channels/{channel.pk}/", {"name": "Renamed", "kind": "webhook"}
    )

    assert response.status_code == 200
    channel.refresh_from_db()
    assert (channel.name, channel.config) == ("Renamed", {"url": SECRET_HOOK})


def test_changing_the_kind_needs_a_new_config(as_alice, alice):
    channel = NotificationChannelFactory(owner=alice)

    response = as_alice.patch(f"/api/v1/channels/{channel.pk}/", {"kind": "email"})

    assert response.status_code == 400
    assert response.json() == {"config": ["This field is required."]}


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"kind": "webhook", "config": {"url": "ftp://example.com/"}},
         {"config": ["url: Only http:// and https:// URLs can be monitored (got ftp:)."]}),
        ({"kind": "webhook", "config": {}}, {"config": ['A webhook needs a "url".']}),
        ({"kind": "email", "config": {"to": "not-mail"}},
         {"config": ["to: 'not-mail' is not an email address."]}),
        ({"kind": "email", "config": {"to": "a@example.com", "cc": "b@example.com"}},
         {"config": ["Unknown key for a email channel: cc."]}),
        ({"kind": "email", "config": "ops@example.com"},
         {"config": ["Give the config as a JSON object."]}),
        ({"kind": "pigeon", "config": {}}, {"kind": ['"pigeon" is not a valid choice.']}),
        ({"kind": "email"}, {"config": ["This field is required."]}),
        ({"kind": "email", "config": {"to": "a@example.com"}, "secret": 1},
         {"secret": ["Unknown field."]}),
    ],
)
def test_bad_channels_answer_400_naming_the_problem(as_alice, payload, errors):
    response = as_alice.post("/api/v1/channels/", {"name": "Ops", **payload})

    assert response.status_code == 400
    assert response.json() == errors
    assert not NotificationChannel.objects.exists()


def test_deleting_a_channel(as_alice, alice):
    channel = NotificationChannelFactory(owner=alice)

    assert as_alice.delete(f"/api/v1/channels/{channel.pk}/").status_code == 204
    assert not NotificationChannel.objects.exists()
