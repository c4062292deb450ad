"""The channel admin never sends a secret to the browser, and keeps one an edit leaves out."""

import pytest

from notifications.models import NotificationChannel
from tests.factories import DeviceFactory, NotificationChannelFactory

pytestmark = pytest.mark.django_db

SLACK_URL = "https://hooks.slack.com/services/T000/B000/s3cretPathToken"


@pytest.fixture
def telegram(alice):
    return NotificationChannelFactory(
        owner=alice, kind="telegram", name="ops chat",
        config={"bot_token": "123456:ABCdefGhIJKlmNoPQRstuVWXyz0123456789", "chat_id": "-1001"},
    )


def change(admin_client, channel, **fields):
    form = {
        "owner": channel.owner_id, "name": channel.name, "kind": channel.kind,
        "config": "{}", "is_enabled": "on", "remind_every_minutes": "",
        "escalate_after_minutes": "", **fields,
    }
    return admin_client.post(f"/admin/notifications/notificationchannel/{channel.pk}/change/",
                             form)


def test_the_change_page_shows_no_secret(admin_client, telegram):
    page = admin_client.get(
        f"/admin/notifications/notificationchannel/{telegram.pk}/change/"
    ).content.decode()

    assert "ABCdefGhIJ" not in page
    assert "-1001" in page


def test_an_edit_that_leaves_the_secret_out_keeps_it(admin_client, telegram):
    response = change(admin_client, telegram, config='{"chat_id": "-2002"}',
                      remind_every_minutes="15")

    assert response.status_code == 302, response.content.decode()[:2000]
    telegram.refresh_from_db()
    assert telegram.config == {
        "bot_token": "123456:ABCdefGhIJKlmNoPQRstuVWXyz0123456789", "chat_id": "-2002"
    }
    assert telegram.remind_every_minutes == 15


def test_a_new_secret_replaces_the_saved_one(admin_client, alice):
    slack = NotificationChannelFactory(owner=alice, kind="slack",
                                       config={"webhook_url": SLACK_URL})
    new_url = "https://hooks.slack.com/services/T111/B111/another"

    change(admin_client, slack, config=f'{{"webhook_url": "{new_url}"}}')

    slack.refresh_from_db()
    assert slack.config == {"webhook_url": new_url}


def test_changing_the_kind_does_not_carry_secrets_over(admin_client, telegram):
    response = change(admin_client, telegram, kind="slack", config="{}")

    assert response.status_code == 200  # the form again, with the error
    assert "webhook_url" in response.content.decode()
    assert NotificationChannel.objects.get(pk=telegram.pk).kind == "telegram"


def test_devices_are_listed_and_can_be_switched_off(admin_client, alice):
    device = DeviceFactory(owner=alice, name="Alice's iPhone")

    listing = admin_client.get("/admin/notifications/device/").content.decode()
    assert "Alice&#x27;s iPhone" in listing

    response = admin_client.post(f"/admin/notifications/device/{device.pk}/change/", {
        "owner": alice.pk, "name": "Alice's iPhone", "platform": "ios",
    })
    assert response.status_code == 302
    device.refresh_from_db()
    assert not device.is_active
