"""What a monitor's page shows for its kind: a heartbeat's ping URL, crontab line and pings;
a certificate's expiry; the degraded state."""

from datetime import timedelta

import pytest
from django.utils import timezone

from monitors.models import Ping
from tests.factories import MonitorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def heartbeat(alice):
    return MonitorFactory(owner=alice, kind="heartbeat", url="", interval_seconds=300,
                          grace_seconds=120, failure_threshold=1)


def page_of(client, user, monitor) -> str:
    client.force_login(user)
    response = client.get(f"/monitors/{monitor.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_heartbeats_page_shows_its_ping_url_ready_to_copy(client, alice, heartbeat, settings):
    settings.SITE_URL = "https://uptime.example.com"

    page = page_of(client, alice, heartbeat)

    ping_url = f"https://uptime.example.com/ping/{heartbeat.ping_token}"
    assert heartbeat.ping_url == ping_url
    assert f'readonly value="{ping_url}"' in page
    assert 'data-copy="ping-url-value"' in page and "uptime/copy.js" in page
    assert f"*/5 * * * * /path/to/your-job.sh &amp;&amp; curl -fsS -m 10 --retry 5 {ping_url}" \
        in page
    assert "Last ping</dt><dd data-last-ping>never</dd>" in page
    assert "No pings yet." in page
    # Nothing answers a heartbeat's check, so there is no response time to chart.
    assert 'id="response-time"' not in page


def test_an_interval_cron_cannot_say_gets_the_command_alone(client, alice, heartbeat):
    heartbeat.interval_seconds = 7 * 60
    heartbeat.save()

    page = page_of(client, alice, heartbeat)

    assert f"<code>curl -fsS -m 10 --retry 5 {heartbeat.ping_url}</code>" in page


def test_a_heartbeats_page_lists_its_newest_twenty_pings(client, alice, heartbeat):
    now = timezone.now()
    for minutes in range(25):
        Ping.objects.create(monitor=heartbeat, kind="success", method="POST",
                            received_at=now - timedelta(minutes=minutes),
                            body=f"run {minutes} " + "x" * 200)
    Ping.objects.create(monitor=heartbeat, kind="fail", method="GET", exit_status=3,
                        received_at=now + timedelta(seconds=1), body="disk full")
    heartbeat.last_ping_at = now
    heartbeat.save()

    page = page_of(client, alice, heartbeat)

    rows = page.split('id="recent-pings"')[1].split("</tbody>")[0].split("<tr data-ping-id=")[1:]
    assert len(rows) == 20
    assert "Failure" in rows[0] and ">3<" in rows[0] and "disk full" in rows[0]
    assert "run 0 " in rows[1] and "run 18 " in rows[19]
    assert "x" * 100 not in page and "…" in rows[1]
    assert "Last ping</dt><dd data-last-ping><time" in page


def test_another_kinds_page_has_no_ping_url(client, alice):
    monitor = MonitorFactory(owner=alice, kind="tcp", url="tcp://db.example.com:5432")

    page = page_of(client, alice, monitor)

    assert "Ping URL" not in page and "recent-pings" not in page
    assert 'id="response-time"' in page
    assert "TCP port <span" in page and "tcp://db.example.com:5432" in page


@pytest.mark.parametrize("kind, url", [
    ("tls", "https://example.com"),
    ("http", "https://example.com/health"),
])
def test_a_known_certificate_expiry_is_shown(client, alice, kind, url):
    expires = timezone.now() + timedelta(days=40)
    monitor = MonitorFactory(owner=alice, kind=kind, url=url, certificate_expires_at=expires)

    page = page_of(client, alice, monitor)

    assert f'<time datetime="{expires.isoformat()}">{expires:%b} {expires.day}, {expires.year}' \
        in page
    assert "Certificate expires" in page and "(in 1\xa0month" in page


def test_a_certificate_not_yet_seen_says_so_and_plain_http_has_none(client, alice):
    tls = MonitorFactory(owner=alice, kind="tls", url="https://example.com")
    plain = MonitorFactory(owner=alice, kind="http", url="http://example.com/health")

    assert "not known yet" in page_of(client, alice, tls)
    assert "Certificate expires" not in page_of(client, alice, plain)


def test_the_degraded_state_shows_like_the_others(client, alice):
    monitor = MonitorFactory(owner=alice, kind="tls", url="https://example.com",
                             status="degraded")

    page = page_of(client, alice, monitor)

    assert 'data-field="status" data-status="degraded"' in page
    assert '<span class="status-label">Degraded</span>' in page
