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
