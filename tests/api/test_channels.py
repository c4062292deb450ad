import json

import pytest
from rest_framework.test import APIClient

from notifications.models import NotificationChannel
from tests.factories import NotificationChannelFactory
from tests.support.receiver import Answer

pytestmark = pytest.mark.django_db

SECRET_HOOK = "https://hooks.example.com/services/T000/B000/s3cretT0ken?key=abc"
BOT_TOKEN = "123456789:AAHs3cretTelegramBotToken0123456789"
SIGNING_SECRET = "whsec-s3cret-0123456789abcdef"


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
        assert body["redacted_config"] == {"url": "https://hooks.example.com/…", "signed": False}
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
        ({"kind": "webhook", "config": {"url": "https://example.com/", "secret": "s3cret"}},
         {"config": ["secret: give a string of 16 to 200 characters, or leave it out to send "
                     "unsigned requests."]}),
        ({"kind": "slack", "config": {"webhook_url": "http://hooks.slack.com/services/T/B/X"}},
         {"config": ["webhook_url: a Slack webhook URL starts with https://."]}),
        ({"kind": "slack", "config": {"url": "https://hooks.slack.com/services/T/B/X"}},
         {"config": ["Unknown key for a slack channel: url."]}),
        ({"kind": "discord", "config": {}},
         {"config": ['A Discord channel needs "webhook_url": the channel webhook\'s URL.']}),
        ({"kind": "telegram", "config": {"bot_token": "s3cret", "chat_id": "@uptime_alerts"}},
         {"config": ['bot_token: give the token BotFather sent, "<digits>:<letters, digits, _ '
                     'or ->", e.g. 123456789:AAH...; check that it was copied whole.']}),
        ({"kind": "telegram", "config": {"bot_token": BOT_TOKEN, "chat_id": "ops"}},
         {"config": ["chat_id: give the chat's numeric id (e.g. -1001234567890) or a public "
                     "channel's @username."]}),
        ({"kind": "apns", "config": {"topic": "com.example.app"}},
         {"config": ["Unknown key for a apns channel: topic."]}),
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


@pytest.mark.parametrize(
    ("kind", "config", "shown"),
    [
        ("webhook", {"url": SECRET_HOOK, "secret": SIGNING_SECRET},
         {"url": "https://hooks.example.com/…", "signed": True}),
        ("slack", {"webhook_url": "https://hooks.slack.com/services/T000/B000/s3cretT0ken"},
         {"webhook_url": "https://hooks.slack.com/…"}),
        ("discord", {"webhook_url": "https://discord.com/api/webhooks/1234/s3cretT0ken"},
         {"webhook_url": "https://discord.com/…"}),
        ("telegram", {"bot_token": BOT_TOKEN, "chat_id": "-1001234567890"},
         {"chat_id": "-1001234567890"}),
        ("telegram", {"bot_token": BOT_TOKEN, "chat_id": -1001234567890},
         {"chat_id": "-1001234567890"}),
        ("apns", {}, {}),
    ],
)
def test_creating_each_kind_shows_only_its_redacted_config(as_alice, alice, kind, config, shown):
    created = as_alice.post("/api/v1/channels/", {"name": "Ops", "kind": kind, "config": config})

    assert created.status_code == 201, created.json()
    channel = NotificationChannel.objects.get()
    assert (channel.owner, channel.kind, channel.config) == (alice, kind, config)
    listed = as_alice.get("/api/v1/channels/").json()["results"][0]
    detail = as_alice.get(f"/api/v1/channels/{channel.pk}/").json()
    for body in (created.json(), listed, detail):
        assert "config" not in body
        assert body["redacted_config"] == shown
        assert "s3cret" not in json.dumps(body)


def test_a_failed_telegram_test_never_shows_the_bot_token(as_alice, alice, receiver, settings):
    settings.UPTIME_TELEGRAM_API_URL = receiver.base_url
    receiver.answers = [Answer(401, {"ok": False, "error_code": 401,
                                     "description": "Unauthorized"})]
    channel = NotificationChannelFactory(
        owner=alice, kind="telegram", config={"bot_token": BOT_TOKEN, "chat_id": 1}
    )

    body = as_alice.post(f"/api/v1/channels/{channel.pk}/test").json()

    assert receiver.requests[0].path == f"/bot{BOT_TOKEN}/sendMessage"
    assert (body["outcome"], body["error"]) == (
        "failed", "Telegram sendMessage answered HTTP 401: Unauthorized"
    )
    assert "s3cret" not in json.dumps(body)


def test_a_failed_slack_test_never_shows_the_webhook_path(as_alice, alice, receiver):
    receiver.answers = [Answer(404, "no_service")]
    channel = NotificationChannelFactory(
        owner=alice, kind="slack",
        config={"webhook_url": f"{receiver.base_url}/services/T000/B000/s3cretT0ken"},
    )

    body = as_alice.post(f"/api/v1/channels/{channel.pk}/test").json()

    assert (body["outcome"], body["error"]) == ("failed", "Slack answered HTTP 404: no_service")
    assert "s3cret" not in json.dumps(body)


def test_the_schema_describes_every_kinds_config():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    channel = schema["components"]["schemas"]["NotificationChannelRequest"]["properties"]

    configs = {option["title"]: option for option in channel["config"]["oneOf"]}
    assert set(configs) == {
        "Webhook config", "Email config", "Slack or Discord config", "Telegram config",
        "Apple Push config (no keys: it pushes to the owner's devices)",
    }
    assert set(configs["Webhook config"]["properties"]) == {"url", "secret"}
    assert configs["Telegram config"]["required"] == ["bot_token", "chat_id"]
    shown = schema["components"]["schemas"]["NotificationChannel"]["properties"]
    assert len(shown["redacted_config"]["oneOf"]) == 5


def test_reminders_and_escalation_are_set_per_channel(as_alice):
    response = as_alice.post("/api/v1/channels/", {
        "name": "pager", "kind": "email", "config": {"to": "pager@example.com"},
        "remind_every_minutes": 30, "escalate_after_minutes": 15,
    }, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["remind_every_minutes"], body["escalate_after_minutes"]) == (30, 15)


@pytest.mark.parametrize("field", ["remind_every_minutes", "escalate_after_minutes"])
@pytest.mark.parametrize("value", [0, -5, 7 * 24 * 60 + 1, "soon"])
def test_reminder_and_escalation_bounds(as_alice, field, value):
    response = as_alice.post("/api/v1/channels/", {
        "name": "pager", "kind": "email", "config": {"to": "pager@example.com"}, field: value,
    }, format="json")

    assert response.status_code == 400
    assert field in response.json()
