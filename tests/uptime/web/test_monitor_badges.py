"""The monitor page's Badges card: each badge's preview and a Markdown snippet to copy."""

import html

import pytest
from django.conf import settings

from monitors.models import Monitor
from tests.factories import MonitorFactory

pytestmark = pytest.mark.django_db


def test_the_page_offers_each_badge_as_markdown(client, alice):
    monitor = MonitorFactory(owner=alice)
    client.force_login(alice)

    page = html.unescape(client.get(f"/monitors/{monitor.pk}/").content.decode())

    site = settings.SITE_URL.rstrip("/")
    for name in ("status", "uptime-24h", "uptime-7d", "uptime-30d", "response"):
        assert f"({site}/badge/{monitor.badge_key}/{name}.svg)" in page
        assert f'src="/badge/{monitor.badge_key}/{name}.svg"' in page
    assert f"![Status]({site}/badge/{monitor.badge_key}/status.svg)" in page
    assert 'data-copy="badge-status"' in page
    assert "uptime/copy.js" in page


def test_a_heartbeat_has_no_response_time_badge(client, alice):
    monitor = MonitorFactory(owner=alice, kind=Monitor.Kind.HEARTBEAT, url="")
    client.force_login(alice)

    page = client.get(f"/monitors/{monitor.pk}/").content.decode()

    assert f"/badge/{monitor.badge_key}/status.svg" in page
    assert f"/badge/{monitor.badge_key}/response.svg" not in page


def test_another_users_badges_are_not_shown(client, alice, charlie):
    monitor = MonitorFactory(owner=alice)
    client.force_login(charlie)

    response = client.get(f"/monitors/{monitor.pk}/")

    assert response.status_code == 404
    assert monitor.badge_key not in response.content.decode()


def test_the_page_replaces_the_badge_links(client, alice):
    monitor = MonitorFactory(owner=alice)
    old_key = monitor.badge_key
    client.force_login(alice)

    response = client.post(f"/monitors/{monitor.pk}/badge-key/", follow=True)

    monitor.refresh_from_db()
    assert monitor.badge_key != old_key
    page = response.content.decode()
    assert "the old ones no longer work" in page
    assert f"/badge/{monitor.badge_key}/status.svg" in page
    assert old_key not in page
    assert client.get(f"/badge/{old_key}/status.svg").status_code == 404


def test_another_user_cannot_replace_them(client, alice, charlie):
    monitor = MonitorFactory(owner=alice)
    old_key = monitor.badge_key
    client.force_login(charlie)

    response = client.post(f"/monitors/{monitor.pk}/badge-key/")

    assert response.status_code == 404
    monitor.refresh_from_db()
    assert monitor.badge_key == old_key
