"""Notification channels from the web: a form per kind with the API's rules and messages,
secrets never shown back, enable/disable, delete, and "Send a test" with its outcome."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from notifications.api.serializers import CONFIG_KEYS
from notifications.models import NotificationChannel, NotificationLog
from tests.factories import NotificationChannelFactory
from uptime.web.channel_forms import CONFIG_FIELDS

pytestmark = pytest.mark.django_db

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def form_errors(response) -> dict:
    return response.context["form"].errors


def test_the_web_offers_exactly_the_config_keys_the_api_accepts():
    assert {kind: set(fields) for kind, fields in CONFIG_FIELDS.items()} == CONFIG_KEYS


def test_the_list_shows_only_the_users_own_channels_without_secrets(client, alice, charlie):
    NotificationChannelFactory(
        owner=alice, name="Ops hook",
        config={"url": "https://hooks.example.com/T0/s3cr3t-path", "secret": "x" * 20},
    )
    NotificationChannelFactory(owner=charlie, name="Charlie's hook")
    client.force_login(alice)

    page = client.get("/channels/").content.decode()

    assert "Ops hook" in page and "https://hooks.example.com/… (signed)" in page
    assert "s3cr3t-path" not in page and "x" * 20 not in page
    assert "Charlie's hook" not in page


@pytest.mark.parametrize("kind, data, expected_config", [
    ("email", {"to": "ops@example.com"}, {"to": "ops@example.com"}),
    ("webhook", {"url": "https://example.com/hook", "secret": ""},
     {"url": "https://example.com/hook"}),
    ("webhook", {"url": "https://example.com/hook", "secret": "s" * 16},
     {"url": "https://example.com/hook", "secret": "s" * 16}),
    ("slack", {"webhook_url": "https://hooks.slack.com/services/T0/B0/X"},
     {"webhook_url": "https://hooks.slack.com/services/T0/B0/X"}),
    ("discord", {"webhook_url": "https://discord.com/api/webhooks/1/abc"},
     {"webhook_url": "https://discord.com/api/webhooks/1/abc"}),
    ("telegram", {"bot_token": TOKEN, "chat_id": "-1001234567890"},
     {"bot_token": TOKEN, "chat_id": "-1001234567890"}),
    ("apns", {}, {}),
])
def test_each_kind_is_added_for_its_owner(client, alice, kind, data, expected_config):
    client.force_login(alice)

    response = client.post(f"/channels/new/{kind}/", {"name": "Alerts", "is_enabled": "on",
                                                      **data})

    assert response.status_code == 302, form_errors(response)
    channel = NotificationChannel.objects.get()
    assert (channel.owner, channel.kind, channel.config, channel.is_enabled) == (
        alice, kind, expected_config, True
    )


@pytest.mark.parametrize("kind, data, field, message", [
    ("email", {"to": "not-an-address"}, "to", "'not-an-address' is not an email address."),
    ("email", {"to": ""}, "to", 'An email channel needs "to": an address.'),
    ("webhook", {"url": "ftp://example.com/"}, "url",
     "Only http:// and https:// URLs can be monitored (got ftp:)."),
    ("webhook", {"url": ""}, "url", 'A webhook needs a "url".'),
    ("webhook", {"url": "https://example.com/", "secret": "short"}, "secret",
     "Give a string of 16 to 200 characters, or leave it out to send unsigned requests."),
    ("slack", {"webhook_url": "http://hooks.slack.com/services/T0/B0/X"}, "webhook_url",
     "A Slack webhook URL starts with https://."),
    ("telegram", {"bot_token": "nope", "chat_id": "-100"}, "bot_token",
     'Give the token BotFather sent, "<digits>:<letters, digits, _ or ->", e.g. '
     "123456789:AAH...; check that it was copied whole."),
    ("telegram", {"bot_token": TOKEN, "chat_id": "me"}, "chat_id",
     "Give the chat's numeric id (e.g. -1001234567890) or a public channel's @username."),
])
def test_bad_config_gets_the_transports_message_on_its_field(
    client, alice, kind, data, field, message
):
    client.force_login(alice)

    response = client.post(f"/channels/new/{kind}/", {"name": "Alerts", **data})

    assert response.status_code == 200
    assert form_errors(response)[field] == [message]
    assert not NotificationChannel.objects.exists()


def test_the_same_config_is_refused_by_the_api_with_the_same_rule(alice):
    api = APIClient()
    api.force_authenticate(alice)

    response = api.post("/api/v1/channels", {
        "name": "Alerts", "kind": "email", "config": {"to": "not-an-address"},
    }, format="json")

    assert response.status_code == 400
    assert response.json()["config"] == ["to: 'not-an-address' is not an email address."]


def test_bad_model_fields_get_field_messages(client, alice):
    client.force_login(alice)

    response = client.post("/channels/new/email/", {
        "name": "", "to": "ops@example.com", "remind_every_minutes": "0",
        "escalate_after_minutes": "many",
    })

    assert response.status_code == 200
    errors = form_errors(response)
    assert errors["name"] == ["This field is required."]
    assert errors["remind_every_minutes"] == ["Ensure this value is greater than or equal to 1."]
    assert errors["escalate_after_minutes"] == ["Enter a whole number."]


def test_an_unknown_kind_is_not_found(client, alice):
    client.force_login(alice)

    assert client.get("/channels/new/pigeon/").status_code == 404
    assert client.post("/channels/new/pigeon/", {"name": "x"}).status_code == 404


def test_the_edit_form_never_shows_a_secret_and_keeps_it_when_left_empty(client, alice):
    channel = NotificationChannelFactory(
        owner=alice, name="Hook",
        config={"url": "https://hooks.example.com/p/s3cr3t", "secret": "k" * 24},
    )
    client.force_login(alice)

    page = client.get(f"/channels/{channel.pk}/edit/").content.decode()
    assert "s3cr3t" not in page and "k" * 24 not in page
    assert "leave empty to keep it" in page

    response = client.post(f"/channels/{channel.pk}/edit/", {
        "name": "Renamed", "url": "", "secret": "", "is_enabled": "on",
    })

    assert response.status_code == 302, form_errors(response)
    channel.refresh_from_db()
    assert channel.name == "Renamed"
    assert channel.config == {"url": "https://hooks.example.com/p/s3cr3t", "secret": "k" * 24}


def test_an_edit_replaces_a_secret_given_or_removes_the_signing_secret(client, alice):
    channel = NotificationChannelFactory(
        owner=alice, config={"url": "https://a.example.com/", "secret": "k" * 24},
    )
    client.force_login(alice)

    client.post(f"/channels/{channel.pk}/edit/", {
        "name": "Hook", "url": "https://b.example.com/", "secret": "", "clear_secret": "on",
    })

    channel.refresh_from_db()
    assert channel.config == {"url": "https://b.example.com/"}


def test_a_failed_add_keeps_what_was_typed_but_a_saved_url_is_never_shown(client, alice):
    client.force_login(alice)

    response = client.post("/channels/new/webhook/", {
        "name": "Hook", "url": "https://example.com/hook", "secret": "too short",
    })

    page = response.content.decode()
    assert 'value="https://example.com/hook"' in page  # just typed: shown again to correct
    assert "too short" not in page  # a password box is never filled in
    assert 'autocomplete="new-password"' in page


def test_a_telegram_edit_shows_the_chat_but_not_the_token(client, alice):
    channel = NotificationChannelFactory(
        owner=alice, kind="telegram", config={"bot_token": TOKEN, "chat_id": "@opsroom"},
    )
    client.force_login(alice)

    page = client.get(f"/channels/{channel.pk}/edit/").content.decode()

    assert 'value="@opsroom"' in page
    assert TOKEN not in page and TOKEN.split(":")[1] not in page


def test_another_users_channel_is_not_found(client, alice, charlie):
    channel = NotificationChannelFactory(owner=charlie)
    client.force_login(alice)

    for path in ("edit/", "delete/"):
        assert client.get(f"/channels/{channel.pk}/{path}").status_code == 404
    for path in ("edit/", "delete/", "enable/", "disable/", "test/"):
        assert client.post(f"/channels/{channel.pk}/{path}", {"name": "x"}).status_code == 404
    channel.refresh_from_db()
    assert channel.is_enabled and NotificationLog.objects.count() == 0


def test_staff_manage_only_their_own_channels_here(client, bob, charlie):
    channel = NotificationChannelFactory(owner=charlie)
    client.force_login(bob)

    assert client.get(f"/channels/{channel.pk}/edit/").status_code == 404


def test_disable_and_enable(client, alice):
    channel = NotificationChannelFactory(owner=alice, name="Hook")
    client.force_login(alice)

    response = client.post(f"/channels/{channel.pk}/disable/", follow=True)
    channel.refresh_from_db()
    assert not channel.is_enabled
    assert "Disabled Hook" in response.content.decode()

    client.post(f"/channels/{channel.pk}/enable/")
    channel.refresh_from_db()
    assert channel.is_enabled


def test_delete_asks_first_then_deletes(client, alice):
    channel = NotificationChannelFactory(owner=alice, name="Hook")
    client.force_login(alice)

    page = client.get(f"/channels/{channel.pk}/delete/").content.decode()
    assert "Delete Hook?" in page
    assert NotificationChannel.objects.filter(pk=channel.pk).exists()

    response = client.post(f"/channels/{channel.pk}/delete/")

    assert response["Location"] == "/channels/"
    assert not NotificationChannel.objects.filter(pk=channel.pk).exists()


def test_send_a_test_reaches_the_receiver_and_the_page_says_so(client, alice, receiver):
    channel = NotificationChannelFactory(owner=alice, name="Hook", config={"url": receiver.url})
    client.force_login(alice)

    response = client.post(f"/channels/{channel.pk}/test/", follow=True)

    assert receiver.events() == ["test"]
    page = response.content.decode()
    assert "Test sent to Hook: delivered (HTTP 200)." in page
    log = NotificationLog.objects.get()
    assert (log.channel, log.outcome) == (channel, "delivered")
    # The list keeps the last test's outcome after the message is gone.
    assert "Delivered" in client.get("/channels/").content.decode()


def test_a_failed_test_shows_the_transports_error(client, alice, receiver):
    receiver.statuses = [410]
    channel = NotificationChannelFactory(owner=alice, name="Hook", config={"url": receiver.url})
    client.force_login(alice)

    page = client.post(f"/channels/{channel.pk}/test/", follow=True).content.decode()

    assert "Test to Hook failed:" in page and "HTTP 410" in page
    assert NotificationLog.objects.get().outcome == "failed"
    assert "HTTP 410" in client.get("/channels/").content.decode()


def test_an_email_test_is_sent(client, alice):
    channel = NotificationChannelFactory(owner=alice, kind="email",
                                         config={"to": "ops@example.com"})
    client.force_login(alice)

    client.post(f"/channels/{channel.pk}/test/")

    [message] = mail.outbox
    assert message.to == ["ops@example.com"]


def test_tests_share_the_apis_throttle(client, alice, receiver, rates):
    rates(channel_test="1/minute")
    channel = NotificationChannelFactory(owner=alice, config={"url": receiver.url})
    client.force_login(alice)

    client.post(f"/channels/{channel.pk}/test/")
    page = client.post(f"/channels/{channel.pk}/test/", follow=True).content.decode()

    assert "Too many tests asked for" in page
    assert receiver.events() == ["test"]


def test_adding_a_channel_from_the_monitor_form_goes_back_there(client, alice):
    client.force_login(alice)

    response = client.post("/channels/new/email/?next=/monitors/new/", {
        "name": "Ops", "to": "ops@example.com", "is_enabled": "on", "next": "/monitors/new/",
    })

    assert response["Location"] == "/monitors/new/"
    page = client.get("/monitors/new/").content.decode()
    assert "Ops (Email)" in page


def test_a_next_to_another_site_is_ignored(client, alice):
    client.force_login(alice)

    response = client.post("/channels/new/email/", {
        "name": "Ops", "to": "ops@example.com", "next": "https://evil.example.com/",
    })

    assert response["Location"] == "/channels/"
