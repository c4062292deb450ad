"""/api/v1/status-pages/: a user's public pages, with only their own monitors; every bad input
a 400 naming the field."""

import pytest

from monitors.models import StatusPage
from tests.factories import MonitorFactory, StatusPageFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/status-pages/"


@pytest.fixture
def monitors(alice):
    return [MonitorFactory(owner=alice, name=name) for name in ("Web", "API", "DB")]


def test_alice_creates_a_page_of_her_monitors(as_alice, monitors, settings):
    settings.SITE_URL = "https://uptime.example.com"
    web, api, db = monitors
    body = {
        "slug": "acme", "title": "Acme status", "description": "How Acme is doing.",
        "monitors": [api.pk, web.pk, db.pk], "display_names": {str(api.pk): "Public API"},
        "sections": [{"name": "Backend", "monitors": [db.pk, api.pk]}],
        "custom_domain": "Status.Acme.Example", "show_errors": True,
    }

    response = as_alice.post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert {key: data[key] for key in body} == {**body, "custom_domain": "status.acme.example"}
    assert data["public_url"] == "https://uptime.example.com/status/acme/"
    page = StatusPage.objects.get(slug="acme")
    assert page.owner.username == "alice"
    assert [entry.monitor_id for entry in page.entries.all()] == [api.pk, web.pk, db.pk]
    assert as_alice.get(f"{URL}{page.pk}/").json() == data


def test_a_page_starts_empty_and_private_by_default(as_alice):
    data = as_alice.post(URL, {"slug": "acme", "title": "Acme"}, format="json").json()

    assert data["monitors"] == [] and data["sections"] == [] and data["display_names"] == {}
    assert data["show_errors"] is False and data["custom_domain"] == ""


def test_another_users_monitor_is_refused_like_one_that_does_not_exist(as_alice, charlie,
                                                                       monitors):
    charlies = MonitorFactory(owner=charlie)

    response = as_alice.post(URL, {"slug": "acme", "title": "Acme",
                                   "monitors": [monitors[0].pk, charlies.pk]}, format="json")

    assert response.status_code == 400
    assert response.json() == {"monitors": [
        f"No monitor of yours has the id {charlies.pk}: a page shows its owner's monitors "
        "only."]}
    assert not StatusPage.objects.exists()


def test_staff_editing_alices_page_may_choose_only_alices_monitors(as_bob, alice, bob,
                                                                   monitors):
    page = StatusPageFactory(owner=alice)
    bobs = MonitorFactory(owner=bob)

    refused = as_bob.patch(f"{URL}{page.pk}/", {"monitors": [bobs.pk]}, format="json")
    accepted = as_bob.patch(f"{URL}{page.pk}/", {"monitors": [monitors[0].pk]}, format="json")

    assert refused.status_code == 400 and "monitors" in refused.json()
    assert accepted.status_code == 200 and accepted.json()["monitors"] == [monitors[0].pk]


@pytest.mark.parametrize(("body", "field"), [
    ({"slug": "Acme Status"}, "slug"),
    ({"slug": "-acme"}, "slug"),
    ({"slug": "a" * 61}, "slug"),
    ({"slug": None}, "slug"),
    ({"title": ""}, "title"),
    ({"title": "x" * 121}, "title"),
    ({"custom_domain": "https://status.acme.example/"}, "custom_domain"),
    ({"custom_domain": "localhost"}, "custom_domain"),
    ({"custom_domain": "10.0.0.1"}, "custom_domain"),
    ({"custom_domain": 12}, "custom_domain"),
    ({"monitors": "1,2"}, "monitors"),
    ({"monitors": [0]}, "monitors"),
    ({"monitors": [2**63]}, "monitors"),
    ({"monitors": ["x"]}, "monitors"),
    ({"monitors": list(range(1, 202))}, "monitors"),
    ({"display_names": ["x"]}, "display_names"),
    ({"display_names": {"web": "x"}}, "display_names"),
    ({"display_names": {"1": "x" * 201}}, "display_names"),
    ({"display_names": {"999": "x"}}, "display_names"),
    ({"sections": {"name": "x"}}, "sections"),
    ({"sections": [{"name": "API", "monitors": [999]}]}, "sections"),
    ({"sections": [{"name": "API", "monitors": [], "colour": "red"}]}, "sections"),
    ({"sections": [{"monitors": []}]}, "sections"),
    ({"show_errors": "perhaps"}, "show_errors"),
    ({"colour": "red"}, "colour"),
])
def test_bad_input_is_a_400_naming_the_field(as_alice, monitors, body, field):
    response = as_alice.post(URL, {"slug": "acme", "title": "Acme", **body}, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_taken_slug_or_domain_is_a_400(as_alice, charlie):
    StatusPageFactory(owner=charlie, slug="acme", custom_domain="status.acme.example")

    slug = as_alice.post(URL, {"slug": "acme", "title": "A"}, format="json")
    domain = as_alice.post(URL, {"slug": "other", "title": "A",
                                 "custom_domain": "STATUS.acme.example"}, format="json")

    assert slug.status_code == 400
    assert slug.json() == {"slug": ["That address is taken: choose another slug."]}
    assert domain.status_code == 400
    assert domain.json() == {"custom_domain": ["Another status page uses this domain."]}


def test_a_page_may_keep_its_own_slug_and_domain(as_alice, alice):
    page = StatusPageFactory(owner=alice, slug="acme", custom_domain="status.acme.example")

    response = as_alice.put(f"{URL}{page.pk}/", {
        "slug": "acme", "title": "Renamed", "custom_domain": "status.acme.example"},
        format="json")

    assert response.status_code == 200 and response.json()["title"] == "Renamed"


def test_taking_a_monitor_off_the_page_takes_it_out_of_its_section(as_alice, alice, monitors):
    web, api, _ = monitors
    page = StatusPageFactory(owner=alice)
    page.set_layout([web.pk, api.pk], {api.pk: "Public API"},
                    [{"name": "All", "monitors": [web.pk, api.pk]}])

    data = as_alice.patch(f"{URL}{page.pk}/", {"monitors": [web.pk]}, format="json").json()

    assert data["monitors"] == [web.pk]
    assert data["sections"] == [{"name": "All", "monitors": [web.pk]}]
    assert data["display_names"] == {}


def test_the_list_is_scoped_and_paginated(as_alice, as_charlie, alice):
    StatusPageFactory(owner=alice, slug="acme")

    assert [page["slug"] for page in as_alice.get(URL).json()["results"]] == ["acme"]
    assert as_charlie.get(URL).json()["count"] == 0


def test_charlie_cannot_read_change_or_delete_alices_page(as_charlie, alice):
    page = StatusPageFactory(owner=alice, title="Alice's page")

    for method, body in (("get", None), ("patch", {"title": "mine"}), ("delete", None)):
        response = getattr(as_charlie, method)(f"{URL}{page.pk}/", body, format="json")
        assert response.status_code == 404
    page.refresh_from_db()
    assert page.title == "Alice's page"


def test_deleting_a_page(as_alice, alice):
    page = StatusPageFactory(owner=alice)

    assert as_alice.delete(f"{URL}{page.pk}/").status_code == 204
    assert not StatusPage.objects.exists()


def test_no_token_gets_401(client_for):
    assert client_for(None).get(URL).status_code == 401
