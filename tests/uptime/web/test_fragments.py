"""The fragments live.js refetches when events arrive: each renders one part of a page from
the database, for the signed-in user's own monitors and incidents only."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from monitors.outcomes import Outcome
from tests.factories import CheckResultFactory, IncidentFactory, MonitorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitor(alice):
    return MonitorFactory(owner=alice, name="alice api", failure_threshold=3)


def fragment_urls(monitor) -> list[str]:
    return [
        f"/monitors/{monitor.pk}/fragments/stats/",
        f"/monitors/{monitor.pk}/fragments/incidents/",
        f"/monitors/{monitor.pk}/fragments/chart/",
    ]


class TestMonitorFragments:
    def test_the_page_marks_each_live_part_with_its_fragment_and_events(
        self, client, alice, monitor
    ):
        client.force_login(alice)

        html = client.get(f"/monitors/{monitor.pk}/").content.decode()

        marked = dict(re.findall(r'data-live-fragment="([^"?]+)[^"]*"[^>]*?'
                                 r'data-live-events="([^"]+)"', html))
        assert marked == {
            f"/monitors/{monitor.pk}/fragments/stats/": "check",
            f"/monitors/{monitor.pk}/fragments/chart/": "check",
            f"/monitors/{monitor.pk}/fragments/incidents/": "incident. monitor.updated",
        }

    def test_the_stats_fragment_counts_the_checks_made_since_the_page_loaded(
        self, client, alice, monitor
    ):
        for minute in range(4):
            CheckResultFactory(monitor=monitor, checked_at=timezone.now()
                               - timedelta(minutes=minute + 1))
        client.force_login(alice)
        assert "Uptime 24 h</span><span class=\"stat-value\" data-stat=\"uptime_24h\" " \
               "title=\"4 of 4 checks up\">100%" in client.get(
                   f"/monitors/{monitor.pk}/").content.decode()

        for _ in range(3):
            CheckResultFactory(monitor=monitor, outcome=Outcome.TIMEOUT)
        html = client.get(f"/monitors/{monitor.pk}/fragments/stats/").content.decode()

        assert 'title="4 of 7 checks up">57.14%' in html
        assert "<html" not in html  # a fragment, not a page

    def test_the_incidents_fragment_follows_an_incident_from_open_to_resolved(
        self, client, alice, bob, monitor
    ):
        client.force_login(alice)
        url = f"/monitors/{monitor.pk}/fragments/incidents/"
        assert "No incidents." in client.get(url).content.decode()

        incident = IncidentFactory(monitor=monitor, cause="connection refused")
        html = client.get(url).content.decode()
        assert 'data-incident-state="open"' in html and "connection refused" in html
        # The acknowledge button goes back to the monitor's page, not to the fragment.
        assert f'name="next" value="/monitors/{monitor.pk}/"' in html

        incident.acknowledge(bob)
        html = client.get(url).content.decode()
        assert 'data-incident-state="acknowledged"' in html and "Acknowledge</button>" not in html

        incident.resolve(at=timezone.now())
        html = client.get(url).content.decode()
        assert 'data-incident-state="resolved"' in html
        assert 'badge-resolved">Resolved<' in html and "badge-acknowledged" not in html

    def test_the_chart_fragment_draws_the_asked_range(self, client, alice, monitor):
        CheckResultFactory(monitor=monitor, checked_at=timezone.now() - timedelta(days=3))
        client.force_login(alice)
        url = f"/monitors/{monitor.pk}/fragments/chart/"

        assert "No checks in the last 24 hours yet." in client.get(url).content.decode()
        assert "<polyline" in client.get(url, {"range": "7d"}).content.decode()

    @pytest.mark.parametrize("value", ["1y", "", "7D", "30d\x00", "%", "x" * 5000])
    def test_a_bad_range_is_the_default_never_an_error(self, client, alice, monitor, value):
        client.force_login(alice)

        for url in (f"/monitors/{monitor.pk}/", f"/monitors/{monitor.pk}/fragments/chart/"):
            response = client.get(url, {"range": value})
            assert response.status_code == 200
            assert response.context["chart"].range.key == "24h"

    def test_another_users_monitor_is_not_found(self, client, charlie, monitor):
        client.force_login(charlie)

        for url in fragment_urls(monitor):
            assert client.get(url).status_code == 404

    def test_staff_get_any_monitors_fragments(self, client, bob, monitor):
        client.force_login(bob)

        for url in fragment_urls(monitor):
            assert client.get(url).status_code == 200

    def test_an_anonymous_visitor_is_sent_to_log_in(self, client, monitor):
        for url in fragment_urls(monitor) + ["/incidents/fragment/", "/fragments/monitors/"]:
            response = client.get(url)
            assert response.status_code == 302 and response["Location"].startswith(
                "/accounts/login/")

    def test_fragments_are_not_cached(self, client, alice, monitor):
        client.force_login(alice)

        for url in fragment_urls(monitor):
            assert "no-cache" in client.get(url)["Cache-Control"]


class TestIncidentListFragment:
    def test_it_shows_a_new_incident_of_the_users_own_monitors_only(
        self, client, alice, charlie, monitor
    ):
        client.force_login(alice)
        assert "No incidents yet." in client.get("/incidents/fragment/").content.decode()

        IncidentFactory(monitor=monitor, cause="timed out after 5 s")
        IncidentFactory(monitor=MonitorFactory(owner=charlie, name="charlie api"))
        html = client.get("/incidents/fragment/").content.decode()

        assert "timed out after 5 s" in html
        assert "charlie api" not in html

    def test_the_page_refetches_its_own_tab_and_page(self, client, alice, monitor):
        IncidentFactory.create_batch(30, monitor=monitor, resolved_at=timezone.now())
        client.force_login(alice)

        html = client.get("/incidents/", {"state": "open"}).content.decode()
        assert ('data-live-fragment="/incidents/fragment/?state=open&amp;page=1" '
                'data-live-events="incident. monitor.deleted monitor.updated"') in html
        html = client.get("/incidents/", {"page": "2"}).content.decode()
        assert 'data-live-fragment="/incidents/fragment/?page=2"' in html

    def test_the_open_tab_and_pages_work_as_on_the_page(self, client, alice, monitor):
        IncidentFactory.create_batch(30, monitor=monitor, resolved_at=timezone.now())
        open_one = IncidentFactory(monitor=MonitorFactory(owner=alice), cause="still down")
        client.force_login(alice)

        assert list(client.get("/incidents/fragment/?state=open").context["incidents"]) == [
            open_one]
        second = client.get("/incidents/fragment/", {"page": "2"})
        assert len(second.context["incidents"]) == 6
        # Pagination links inside the fragment lead to the page, not to the fragment.
        assert 'href="?page=1"' in second.content.decode()

    def test_acknowledge_buttons_in_the_fragment_go_back_to_the_incident_page(
        self, client, alice, monitor
    ):
        IncidentFactory(monitor=monitor)
        client.force_login(alice)

        html = client.get("/incidents/fragment/?state=open").content.decode()

        assert 'name="next" value="/incidents/?state=open&amp;page=1"' in html

    @pytest.mark.parametrize("query", [{"state": "bogus"}, {"page": "x"}, {"page": "-1"},
                                       {"state": "\x00"}])
    def test_bad_input_shows_a_page_never_an_error(self, client, alice, monitor, query):
        IncidentFactory(monitor=monitor)
        client.force_login(alice)

        assert client.get("/incidents/fragment/", query).status_code == 200


class TestMonitorListFragment:
    def test_it_is_the_dashboards_list_with_the_same_search_filter_and_page(
        self, client, alice
    ):
        MonitorFactory(owner=alice, name="billing api", status="down")
        MonitorFactory(owner=alice, name="billing web", status="up")
        MonitorFactory(owner=alice, name="search", status="down")
        client.force_login(alice)

        page = client.get("/", {"q": "billing", "status": "down"}).content.decode()
        [url] = re.findall(r'data-live-fragment="(/fragments/monitors/[^"]*)"', page)
        response = client.get(url.replace("&amp;", "&"))

        assert [monitor.name for monitor, _ in response.context["rows"]] == ["billing api"]
        assert "<html" not in response.content.decode()
        assert 'data-live-query="billing"' in response.content.decode()
