"""The dashboard lists the monitors the user may see, with the hooks live.js updates."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitors.bulk import create_monitors
from monitors.models import Monitor
from monitors.outcomes import Outcome
from tests.factories import CheckResultFactory, IncidentFactory, MonitorFactory

pytestmark = pytest.mark.django_db


def test_it_lists_only_the_users_own_monitors(client, alice, charlie):
    MonitorFactory(owner=alice, name="alice api")
    MonitorFactory(owner=charlie, name="charlie api")
    client.force_login(alice)

    response = client.get("/")

    assert [monitor.name for monitor in response.context["monitors"]] == ["alice api"]
    assert b"charlie api" not in response.content


def test_staff_see_every_monitor(client, alice, bob, charlie):
    MonitorFactory(owner=alice, name="alice api")
    MonitorFactory(owner=charlie, name="charlie api")
    client.force_login(bob)

    names = [monitor.name for monitor in client.get("/").context["monitors"]]

    assert names == ["alice api", "charlie api"]


def test_each_row_shows_status_last_check_and_response_with_live_hooks(client, alice):
    monitor = MonitorFactory(owner=alice, status="up", last_response_ms=87,
                             last_checked_at=timezone.now() - timedelta(minutes=3))
    client.force_login(alice)

    html = client.get("/").content.decode()

    assert f'data-monitor-id="{monitor.pk}" data-field="status" data-status="up"' in html
    assert f'data-monitor-id="{monitor.pk}" data-field="last_response_ms">87 ms<' in html
    assert f'data-monitor-id="{monitor.pk}" data-field="last_checked_at"' in html
    assert "3\xa0minutes ago" in html
    assert "/static/uptime/live.js" in html


def test_each_row_has_a_heartbeat_bar_of_its_last_checks_newest_right(client, alice):
    monitor = MonitorFactory(owner=alice)
    now = timezone.now()
    CheckResultFactory(monitor=monitor, checked_at=now - timedelta(minutes=1))
    failed = CheckResultFactory(monitor=monitor, checked_at=now, outcome=Outcome.TIMEOUT)
    client.force_login(alice)

    response = client.get("/")

    beats = response.context["rows"][0][1]
    assert len(beats) == 30
    assert [beat.state for beat in beats[-3:]] == ["none", "up", "down"]
    html = response.content.decode()
    assert f'data-monitor-id="{monitor.pk}" data-field="beats"' in html
    assert f'<i class="beat" data-state="down" data-check-id="{failed.pk}"' in html


def test_it_counts_monitors_by_status_and_open_incidents(client, alice):
    MonitorFactory(owner=alice, status="up")
    down = MonitorFactory(owner=alice, status="down")
    MonitorFactory(owner=alice, is_paused=True)
    IncidentFactory(monitor=down)
    client.force_login(alice)

    context = client.get("/").context

    assert context["counts"]["up"] == 1
    assert context["counts"]["down"] == 1
    assert context["counts"]["paused"] == 1
    assert context["open_incidents"] == 1


def test_a_user_without_monitors_is_invited_to_add_one(client, alice):
    client.force_login(alice)

    assert b"No monitors yet" in client.get("/").content


def many_monitors(owner, count: int, **fields) -> list[Monitor]:
    return create_monitors([
        Monitor(owner=owner, name=f"monitor {n:03d}", url=f"https://example.com/{n}", **fields)
        for n in range(count)
    ])


def names_on(response) -> list[str]:
    return [monitor.name for monitor, _ in response.context["rows"]]


class TestPages:
    def test_staff_get_one_page_of_a_hundred_monitors(self, client, alice, bob, charlie):
        many_monitors(alice, 80)
        many_monitors(charlie, 80)
        client.force_login(bob)

        response = client.get("/")

        assert len(response.context["rows"]) == 100
        assert response.content.decode().count("data-monitor-row=") == 100
        assert 'href="?page=2"' in response.content.decode()

    def test_page_two_shows_the_next_monitors_by_name(self, client, alice):
        many_monitors(alice, 105)
        client.force_login(alice)

        first, second = client.get("/"), client.get("/?page=2")

        assert names_on(first)[-1] == "monitor 099"
        assert names_on(second) == [f"monitor {n}" for n in range(100, 105)]
        html = second.content.decode()
        assert 'rel="prev" href="?page=1"' in html and 'rel="next"' not in html
        assert "101–105 of 105" in html

    @pytest.mark.parametrize("page, shown", [
        ("abc", 1), ("0", 2), ("-3", 2), ("99999", 2), ("1e3", 1), ("2", 2),
    ])
    def test_a_bad_page_number_shows_the_first_or_last_page(self, client, alice, page, shown):
        many_monitors(alice, 105)
        client.force_login(alice)

        response = client.get("/", {"page": page})

        assert response.status_code == 200
        assert response.context["page_obj"].number == shown

    def test_the_counts_cover_every_page(self, client, alice):
        many_monitors(alice, 103, status="down")
        many_monitors(alice, 2, is_paused=True)
        client.force_login(alice)

        counts = client.get("/?page=2").context["counts"]

        assert (counts["down"], counts["paused"], counts["up"], counts["total"]) == (103, 2, 0, 105)

    def test_the_status_chips_narrow_the_list_and_page_links_keep_the_filter(self, client, alice):
        many_monitors(alice, 110, status="down")
        MonitorFactory(owner=alice, name="healthy", status="up")
        client.force_login(alice)

        response = client.get("/?status=down")

        assert "healthy" not in names_on(response)
        assert 'href="?status=down&amp;page=2"' in response.content.decode()
        assert names_on(client.get("/?status=up")) == ["healthy"]
        assert len(client.get("/?status=bogus").context["rows"]) == 100

    def test_a_filter_that_matches_nothing_says_so(self, client, alice):
        MonitorFactory(owner=alice, status="up")
        client.force_login(alice)

        html = client.get("/?status=down").content.decode()

        assert "No monitor is down right now." in html
        assert "No monitors yet" not in html

    def test_rows_are_added_live_only_where_the_page_shows_every_monitor(self, client, alice):
        many_monitors(alice, 3)
        client.force_login(alice)
        assert "data-live-adds-rows" in client.get("/").content.decode()
        assert "data-live-adds-rows" not in client.get("/?status=up").content.decode()

        many_monitors(alice, 100)
        assert "data-live-adds-rows" not in client.get("/").content.decode()

    def test_the_queries_do_not_grow_with_the_number_of_monitors(
        self, client, bob, alice, django_assert_max_num_queries
    ):
        for monitor in many_monitors(alice, 5):
            CheckResultFactory(monitor=monitor)
        IncidentFactory(monitor=Monitor.objects.first())
        client.force_login(bob)
        with CaptureQueriesContext(connection) as few:
            client.get("/")

        for monitor in many_monitors(alice, 150):
            CheckResultFactory(monitor=monitor)
        with django_assert_max_num_queries(len(few)):
            client.get("/?page=2")
