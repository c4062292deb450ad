"""Status pages from the web app: list, add, edit, delete a page of your own monitors, with the
API's rules and messages; and an incident's page, where updates are posted."""

import re

import pytest

from incidents.models import IncidentUpdate
from monitors.models import StatusPage
from tests.factories import IncidentFactory, MonitorFactory, StatusPageFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_status_pages")]


@pytest.fixture
def monitors(alice):
    return {name: MonitorFactory(owner=alice, name=name) for name in ("API", "DB", "Web")}


def row(monitor, *, place="", name="", section="", shown=True) -> dict:
    fields = {f"m{monitor.pk}_position": place, f"m{monitor.pk}_name": name,
              f"m{monitor.pk}_section": section}
    return {**fields, f"m{monitor.pk}_shown": "on"} if shown else fields


def test_the_nav_links_to_the_status_pages(client, alice):
    client.force_login(alice)

    assert 'href="/status-pages/"' in client.get("/").content.decode()


def test_alice_adds_a_page_of_her_monitors_in_her_order(client, alice, charlie, monitors):
    MonitorFactory(owner=charlie, name="Charlie's API")
    client.force_login(alice)
    form = client.get("/status-pages/new/").content.decode()
    assert "Charlie's API" not in form and all(name in form for name in monitors)

    response = client.post("/status-pages/new/", {
        "title": "Acme status", "slug": "acme", "description": "", "custom_domain": "",
        **row(monitors["Web"], place="1"), **row(monitors["API"], place="2", name="Public API",
                                                 section="Backend"),
        **row(monitors["DB"], section="Backend"),
    })

    assert response.status_code == 302 and response["Location"] == "/status-pages/"
    page = StatusPage.objects.get(slug="acme")
    web, api, db = monitors["Web"].pk, monitors["API"].pk, monitors["DB"].pk
    assert page.layout() == ([web, api, db], {api: "Public API"},
                             [{"name": "Backend", "monitors": [api, db]}])
    listing = client.get("/status-pages/").content.decode()
    assert "Acme status" in listing and "/status/acme/" in listing


def test_editing_shows_what_is_saved_and_saves_changes(client, alice, monitors):
    page = StatusPageFactory(owner=alice, slug="acme", title="Acme")
    page.set_layout([monitors["DB"].pk], {monitors["DB"].pk: "Database"}, [])
    client.force_login(alice)

    form = client.get(f"/status-pages/{page.pk}/edit/").content.decode()
    assert 'value="Database"' in form
    assert re.search(rf'<input[^>]*name="m{monitors["DB"].pk}_shown"[^>]*checked', form)
    assert not re.search(rf'<input[^>]*name="m{monitors["API"].pk}_shown"[^>]*checked', form)

    client.post(f"/status-pages/{page.pk}/edit/", {
        "title": "Acme", "slug": "acme-status", "show_errors": "on", "custom_domain": "",
        **row(monitors["API"])})

    page.refresh_from_db()
    assert page.slug == "acme-status" and page.show_errors
    assert page.layout() == ([monitors["API"].pk], {}, [])


@pytest.mark.parametrize(("fields", "message"), [
    ({"slug": "Acme Status"}, "Use 1 to 60 lowercase letters"),
    ({"slug": "taken"}, "That address is taken"),
    ({"custom_domain": "https://status.acme.example/"}, "Enter a domain name"),
    ({"custom_domain": "status.taken.example"}, "Another status page uses this domain."),
    ({"title": ""}, "This field is required."),
])
def test_bad_input_is_refused_with_the_models_message(client, alice, charlie, fields, message):
    StatusPageFactory(owner=charlie, slug="taken", custom_domain="status.taken.example")
    client.force_login(alice)

    response = client.post("/status-pages/new/", {
        "title": "Acme", "slug": "acme", "custom_domain": "", **fields})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not StatusPage.objects.filter(owner=alice).exists()


def test_a_monitor_in_two_places_is_fine_but_two_sections_of_one_name_merge(client, alice,
                                                                            monitors):
    client.force_login(alice)

    client.post("/status-pages/new/", {
        "title": "Acme", "slug": "acme", **row(monitors["API"], place="1", section="Core"),
        **row(monitors["DB"], place="1", section="Core")})

    page = StatusPage.objects.get(slug="acme")
    assert page.layout()[2] == [{"name": "Core", "monitors": [monitors["API"].pk,
                                                              monitors["DB"].pk]}]


def test_another_users_page_is_not_found(client, alice, charlie):
    page = StatusPageFactory(owner=charlie, title="Charlie's page")
    client.force_login(alice)

    assert "Charlie's page" not in client.get("/status-pages/").content.decode()
    for path in (f"/status-pages/{page.pk}/edit/", f"/status-pages/{page.pk}/delete/"):
        assert client.get(path).status_code == 404
        assert client.post(path, {"title": "mine", "slug": "mine"}).status_code == 404
    assert StatusPage.objects.get(pk=page.pk).title == "Charlie's page"


def test_deleting_a_page_after_confirming(client, alice):
    page = StatusPageFactory(owner=alice, slug="acme")
    client.force_login(alice)

    assert "Delete" in client.get(f"/status-pages/{page.pk}/delete/").content.decode()
    client.post(f"/status-pages/{page.pk}/delete/")

    assert not StatusPage.objects.exists()
    assert client.get("/status/acme/").status_code == 404


def test_the_pages_need_a_login(client):
    response = client.get("/status-pages/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.fixture
def incident(alice, monitors):
    page = StatusPageFactory(owner=alice, slug="acme", title="Acme status")
    page.set_layout([monitors["API"].pk], {}, [])
    return IncidentFactory(monitor=monitors["API"], cause="connection refused")


def test_an_incident_page_posts_an_update_that_the_status_page_shows(client, alice, incident):
    client.force_login(alice)
    detail = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Acme status" in detail and "Post update" in detail

    response = client.post(f"/incidents/{incident.pk}/", {
        "status": "identified", "message": "A bad deploy; rolling back."})

    assert response.status_code == 302
    update = IncidentUpdate.objects.get()
    assert (update.incident, update.status, update.author) == (incident, "identified", alice)
    assert "A bad deploy; rolling back." in client.get(
        f"/incidents/{incident.pk}/").content.decode()
    incident.refresh_from_db()
    assert incident.is_open
    client.logout()
    assert "A bad deploy; rolling back." in client.get("/status/acme/").content.decode()


@pytest.mark.parametrize("body", [{"status": "fixed", "message": "x"}, {"status": "resolved"},
                                  {"message": "x"}, {"status": "resolved", "message": "x" * 5001}])
def test_a_bad_update_is_refused_with_its_message(client, alice, incident, body):
    client.force_login(alice)

    response = client.post(f"/incidents/{incident.pk}/", body)

    assert response.status_code == 400 and b"errorlist" in response.content
    assert not IncidentUpdate.objects.exists()


def test_charlie_cannot_see_or_post_on_alices_incident(client, charlie, incident):
    client.force_login(charlie)

    assert client.get(f"/incidents/{incident.pk}/").status_code == 404
    assert client.post(f"/incidents/{incident.pk}/", {
        "status": "resolved", "message": "x"}).status_code == 404
    assert not IncidentUpdate.objects.exists()


def test_incident_cards_link_to_their_page(client, alice, incident):
    client.force_login(alice)

    assert f'href="/incidents/{incident.pk}/"' in client.get("/incidents/").content.decode()
