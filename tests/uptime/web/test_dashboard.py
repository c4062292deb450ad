"""The dashboard lists the monitors the user may see, with the hooks live.js updates."""

import re
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitors.bulk import create_monitors
from monitors.models import CheckResult, Monitor
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


class TestSearchAndStates:
    @pytest.fixture
    def fleet(self, alice):
        return {
            "billing": MonitorFactory(owner=alice, name="Billing API", status="down",
                                      url="https://pay.example.com/health"),
            "shop": MonitorFactory(owner=alice, name="Shop", status="up",
                                   url="https://shop.example.com/"),
            "search": MonitorFactory(owner=alice, name="Search", status="pending",
                                     url="https://search.example.com/api/ping"),
            "new": MonitorFactory(owner=alice, name="New thing", status="unknown",
                                  url="https://new.example.org/"),
            "old": MonitorFactory(owner=alice, name="Old API", is_paused=True,
                                  url="https://old.example.org/api"),
        }

    @pytest.mark.parametrize("query, names", [
        ("billing", ["Billing API"]),
        ("BILLING", ["Billing API"]),  # any case
        ("api", ["Billing API", "Old API", "Search"]),  # a name or a URL
        ("example.org", ["New thing", "Old API"]),
        ("  shop  ", ["Shop"]),  # spaces around are not part of it
        ("nothing like it", []),
        ("", ["Billing API", "New thing", "Old API", "Search", "Shop"]),
    ])
    def test_it_searches_names_and_urls(self, client, alice, fleet, query, names):
        client.force_login(alice)

        assert names_on(client.get("/", {"q": query})) == names

    def test_another_users_monitors_are_never_found(self, client, alice, charlie, fleet):
        MonitorFactory(owner=charlie, name="Billing of charlie")
        client.force_login(alice)

        assert names_on(client.get("/", {"q": "billing"})) == ["Billing API"]

    def test_there_is_a_chip_for_every_state_and_all(self, client, alice, fleet):
        client.force_login(alice)

        html = client.get("/").content.decode()

        chips = re.findall(r'<a class="chip chip-(\w+)" href="([^"]*)"[^>]*><b data-count='
                           r'"(\w+)">(\d+)</b>', html)
        assert chips[:-1] == [
            ("up", "?status=up", "up", "1"),
            ("degraded", "?status=degraded", "degraded", "0"),
            ("pending", "?status=pending", "pending", "1"),
            ("down", "?status=down", "down", "1"), ("unknown", "?status=unknown", "unknown", "1"),
            ("paused", "?status=paused", "paused", "1"),
        ]
        assert chips[-1] == ("down", "/incidents/?state=open", "open_incidents", "0")
        assert re.search(r'class="chip chip-all" href="\?" aria-current="page">all '
                         r'<b data-count="total">5</b>', html)

    @pytest.mark.parametrize("status, names", [
        ("up", ["Shop"]), ("pending", ["Search"]), ("down", ["Billing API"]),
        ("unknown", ["New thing"]), ("paused", ["Old API"]),
    ])
    def test_each_state_chip_narrows_the_list(self, client, alice, fleet, status, names):
        client.force_login(alice)

        assert names_on(client.get("/", {"status": status})) == names

    def test_the_counts_cover_what_the_search_matches_whatever_the_state(
        self, client, alice, fleet
    ):
        client.force_login(alice)

        response = client.get("/", {"q": "api", "status": "down"})

        assert names_on(response) == ["Billing API"]
        counts = response.context["counts"]
        assert (counts["total"], counts["down"], counts["pending"], counts["paused"],
                counts["up"]) == (3, 1, 1, 1, 0)
        html = response.content.decode()
        # The chips keep the search; the search box keeps the state.
        assert 'href="?q=api&amp;status=pending"' in html
        assert '<input type="hidden" name="status" value="down">' in html
        assert 'name="q" value="api"' in html
        assert 'data-live-query="api"' in html

    def test_pages_of_a_search_keep_it(self, client, alice):
        many_monitors(alice, 105)
        MonitorFactory(owner=alice, name="unrelated")
        client.force_login(alice)

        response = client.get("/", {"q": "monitor", "page": "2"})

        assert len(response.context["rows"]) == 5
        html = response.content.decode()
        assert 'rel="prev" href="?q=monitor&amp;page=1"' in html
        assert "101–105 of 105" in html

    def test_a_search_that_matches_nothing_says_so(self, client, alice, fleet):
        client.force_login(alice)

        html = client.get("/", {"q": "zebra", "status": "down"}).content.decode()

        assert "No monitor that is down matches “zebra”." in html
        assert "No monitors yet" not in html

    def test_a_searched_list_adds_no_rows_live(self, client, alice, fleet):
        client.force_login(alice)

        assert "data-live-adds-rows" not in client.get("/", {"q": "shop"}).content.decode()

    @pytest.mark.parametrize("query, message", [
        ("bad\x00byte", "Null characters are not allowed."),
        ("x" * 201, "Ensure this value has at most 200 characters (it has 201)."),
    ])
    def test_a_bad_search_is_a_400_with_the_reason_by_the_box(
        self, client, alice, fleet, query, message
    ):
        client.force_login(alice)

        response = client.get("/", {"q": query})

        assert response.status_code == 400
        html = response.content.decode()
        assert f'<ul class="errorlist" id="search-error"><li>{message}</li></ul>' in html
        assert 'aria-invalid="true"' in html
        assert response.context["rows"] == []

    @pytest.mark.parametrize("status", ["bogus", "DOWN", "", "\x00"])
    def test_a_state_that_is_not_one_shows_every_monitor(self, client, alice, fleet, status):
        client.force_login(alice)

        response = client.get("/", {"status": status})

        assert response.status_code == (400 if "\x00" in status else 200)
        if response.status_code == 200:
            assert len(response.context["rows"]) == 5


class TestHeartbeatQuery:
    def test_a_page_of_a_hundred_monitors_with_long_histories_is_quick(self, client, alice):
        monitors = many_monitors(alice, 100)
        now = timezone.now()
        CheckResult.objects.bulk_create([
            CheckResult(monitor=monitor, checked_at=now - timedelta(minutes=minute),
                        outcome=Outcome.OK if minute % 17 else Outcome.TIMEOUT,
                        response_ms=80 + minute % 40)
            for monitor in monitors for minute in range(500)
        ], batch_size=5000)
        client.force_login(alice)

        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/")
        elapsed = time.perf_counter() - started

        beats = [sql for sql in (query["sql"] for query in queries.captured_queries)
                 if "checkresult" in sql.lower()]
        assert len(beats) == 1
        assert all(len(row_beats) == 30 for _, row_beats in response.context["rows"])
        # About 0.15 s here (at 100 monitors x 10,000 checks: SQLite 0.08 s for the bars' query
        # against 1.9 s for a window function over the same rows); the bound only catches a
        # gross regression on a busy, shared machine.
        assert elapsed < 5.0, f"the dashboard took {elapsed:.2f} s"

