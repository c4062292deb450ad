"""A monitor whose incidents would reach no channel says so, on its page and in its dashboard
row; the rule is the one the outbox uses to pick channels."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from monitors.models import Monitor
from notifications.models import NotificationChannel
from notifications.outbox import channels_for
from tests.factories import MonitorFactory, NotificationChannelFactory

pytestmark = pytest.mark.django_db

Channels = NotificationChannel.objects


def recipients(monitor) -> set[int]:
    return set(Channels.recipients_for(monitor).values_list("pk", flat=True))


def test_recipients_follow_the_outboxs_rule(alice):
    monitor = MonitorFactory(owner=alice)
    assert recipients(monitor) == set() == {c.pk for c in channels_for(monitor)}

    ticked = NotificationChannelFactory(owner=alice)
    other = NotificationChannelFactory(owner=alice)
    escalation = NotificationChannelFactory(owner=alice, escalate_after_minutes=30)
    NotificationChannelFactory(owner=alice, is_enabled=False)
    NotificationChannelFactory()  # someone else's
    assert recipients(monitor) == {ticked.pk, other.pk, escalation.pk}

    monitor.channels.add(ticked)
    assert recipients(monitor) == {ticked.pk} == {c.pk for c in channels_for(monitor)}

    # Every ticked channel disabled: the outbox falls back to the owner's enabled ones.
    Channels.filter(pk=ticked.pk).update(is_enabled=False)
    assert recipients(monitor) == {other.pk, escalation.pk}
    assert recipients(monitor) == {c.pk for c in channels_for(monitor)}


def test_silent_monitor_ids_agree_with_recipients_in_one_query(alice, charlie):
    heard = MonitorFactory(owner=alice)
    ticked_disabled = MonitorFactory(owner=alice)
    silent = MonitorFactory(owner=charlie)
    NotificationChannelFactory(owner=alice)
    ticked_disabled.channels.add(NotificationChannelFactory(owner=alice, is_enabled=False))
    NotificationChannelFactory(owner=charlie, is_enabled=False)
    monitors = list(Monitor.objects.all())

    with CaptureQueriesContext(connection) as queries:
        silent_ids = Channels.silent_monitor_ids(monitors)

    assert len(queries) == 1
    assert silent_ids == {silent.pk}
    assert silent_ids == {m.pk for m in monitors if not recipients(m)}
    assert {heard.pk, ticked_disabled.pk}.isdisjoint(silent_ids)


def test_the_monitor_page_says_it_alerts_nobody_with_a_link_to_add_a_channel(client, alice):
    monitor = MonitorFactory(owner=alice)
    NotificationChannelFactory(owner=alice, is_enabled=False)
    client.force_login(alice)

    page = client.get(f"/monitors/{monitor.pk}/").content.decode()

    assert "This monitor alerts nobody" in page
    assert f'href="/channels/new/?next=/monitors/{monitor.pk}/"' in page.replace("%2F", "/")


def test_the_notice_goes_once_a_channel_is_enabled(client, alice):
    monitor = MonitorFactory(owner=alice)
    NotificationChannelFactory(owner=alice)
    client.force_login(alice)

    assert "alerts nobody" not in client.get(f"/monitors/{monitor.pk}/").content.decode()


def test_the_dashboard_badges_silent_rows_without_a_query_per_row(client, alice, bob, charlie):
    for n in range(30):
        MonitorFactory(owner=alice if n % 2 else charlie, name=f"m{n:02d}")
    NotificationChannelFactory(owner=alice)
    client.force_login(bob)  # staff: sees both owners' monitors
    client.get("/")

    with CaptureQueriesContext(connection) as few:
        page = client.get("/").content.decode()
    assert page.count("data-alerts-nobody") == 15

    for n in range(30, 60):
        MonitorFactory(owner=charlie, name=f"m{n:02d}")
    with CaptureQueriesContext(connection) as more:
        page = client.get("/").content.decode()
    assert page.count("data-alerts-nobody") == 45
    assert len(more) == len(few)


def test_the_new_monitor_form_offers_own_channels_with_a_link_and_the_rule(client, alice, charlie):
    NotificationChannelFactory(owner=alice, name="Ops mail", kind="email",
                               config={"to": "ops@example.com"})
    NotificationChannelFactory(owner=alice, name="Old hook", is_enabled=False)
    NotificationChannelFactory(owner=charlie, name="Charlie's hook")
    client.force_login(alice)

    page = client.get("/monitors/new/").content.decode()

    assert "Ops mail (Email)" in page and "Old hook (Webhook), disabled" in page
    assert "Charlie's hook" not in page
    assert "None ticked (or only disabled ones): every enabled channel is notified." in page
    assert 'href="/channels/new/?next=' in page


def test_the_new_monitor_form_warns_when_no_channel_is_enabled(client, alice):
    client.force_login(alice)

    page = client.get("/monitors/new/").content.decode()

    assert "No channel is enabled: an incident of this monitor would alert nobody." in page
