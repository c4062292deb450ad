"""The public status page over HTTP: no login, nothing unchosen on it, the same page on its
custom domain (without that domain in ALLOWED_HOSTS), and served from its cached copy, so
that requests after the first cost no query."""

from xml.etree import ElementTree

import pytest
from django.core.cache import cache
from django.test import Client

from monitors.models import Monitor
from tests.factories import (
    IncidentFactory,
    IncidentUpdateFactory,
    MonitorFactory,
    StatusPageFactory,
)
from uptime import public_pages

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_status_pages")]

SECRET_URL = "https://billing-7f3a.internal.example.net:8443/health?token=abc123"
CAUSE = "connection refused by 10.20.30.40:8443 (billing-7f3a.internal.example.net)"


@pytest.fixture
def page(alice, charlie):
    billing = MonitorFactory(owner=alice, name="billing-prod", url=SECRET_URL, status="down")
    web = MonitorFactory(owner=alice, name="Website", url="https://www.acme.example/",
                         status="up")
    MonitorFactory(owner=alice, name="Secret admin panel", url="https://admin.acme.example/",
                   status="down")
    MonitorFactory(owner=charlie, name="Charlie's API", status="down")
    incident = IncidentFactory(monitor=billing, cause=CAUSE, evidence=[
        {"region": "eu", "outcome": "connection_refused", "error": CAUSE}])
    IncidentUpdateFactory(incident=incident, status="identified",
                          message="A database failover is under way.")
    page = StatusPageFactory(owner=alice, slug="acme", title="Acme status",
                             custom_domain="status.acme.example")
    page.set_layout([web.pk, billing.pk], {billing.pk: "Payments"}, [])
    return page


def test_anyone_sees_the_chosen_monitors_and_nothing_else(client, page, alice):
    response = client.get("/status/acme/")

    assert response.status_code == 200
    html = response.content.decode()
    for shown in ("Acme status", "Website", "Payments", "Outage", "Partial outage",
                  "A database failover is under way.", "Identified"):
        assert shown in html, shown
    for hidden in ("billing-prod", "Secret admin panel", "Charlie's API", "internal.example",
                   "10.20.30.40", "connection refused", "www.acme.example", "https://",
                   "token=abc123", alice.email, "/monitors/", "csrfmiddlewaretoken"):
        assert hidden not in html, hidden


def test_the_owner_may_show_the_errors(client, page):
    page.show_errors = True
    page.save()

    html = client.get("/status/acme/").content.decode()

    assert CAUSE in html
    # Errors, not the monitor's target: the URL is never shown.
    assert SECRET_URL not in html and "token=abc123" not in html


def test_the_fragment_is_the_pages_body(client, page):
    fragment = client.get("/status/acme/fragment/")

    assert fragment.status_code == 200 and fragment["Cache-Control"] == "no-cache"
    assert "Payments" in fragment.content.decode() and b"<html" not in fragment.content
    assert client.get("/status/acme/")["Cache-Control"] == "public, max-age=30"


@pytest.mark.parametrize("path", ["/status/nope/", "/status/Acme/", "/status/acme_x/",
                                  "/status/nope/fragment/"])
def test_an_unknown_page_is_a_404(client, page, path):
    assert client.get(path).status_code == 404


def test_a_page_is_read_only(client, page):
    assert client.post("/status/acme/").status_code == 405
    assert client.post("/status/acme/", HTTP_HOST="status.acme.example").status_code == 405


def test_the_custom_domain_serves_the_page_at_its_root_without_allowed_hosts(page, settings):
    settings.ALLOWED_HOSTS = ["uptime.example.com"]
    browser = Client()

    root = browser.get("/", HTTP_HOST="status.acme.example")
    with_port = browser.get("/fragment/", HTTP_HOST="Status.Acme.Example:443")

    assert root.status_code == 200 and "Payments" in root.content.decode()
    assert root.content == browser.get("/status/acme/", HTTP_HOST="uptime.example.com").content
    assert with_port.status_code == 200 and b"<html" not in with_port.content


@pytest.mark.parametrize("path", ["/admin/", "/status/acme/", "/api/v1/monitors/",
                                  "/accounts/login/", "/healthz"])
def test_the_custom_domain_serves_nothing_else_of_the_site(page, settings, path):
    settings.ALLOWED_HOSTS = ["uptime.example.com"]

    assert Client().get(path, HTTP_HOST="status.acme.example").status_code == 404


def test_any_other_host_still_meets_allowed_hosts(page, settings):
    settings.ALLOWED_HOSTS = ["uptime.example.com"]

    assert Client().get("/status/acme/", HTTP_HOST="evil.example").status_code == 400
    assert Client().get("/", HTTP_HOST="evil.example").status_code == 400


def test_the_sites_own_host_is_never_taken_for_a_custom_domain(page, settings):
    settings.ALLOWED_HOSTS = ["uptime.example.com"]
    settings.SITE_URL = "https://uptime.example.com"
    # Written past the validation that refuses it, as a page made before the setting was.
    type(page).objects.filter(pk=page.pk).update(custom_domain="uptime.example.com")

    response = Client().get("/", HTTP_HOST="uptime.example.com")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_requests_after_the_first_cost_no_query(client, page, django_assert_num_queries):
    client.get("/status/acme/")
    client.get("/", HTTP_HOST="status.acme.example")  # its domain's lookup, once

    with django_assert_num_queries(0):
        for _ in range(20):
            assert client.get("/status/acme/").status_code == 200
            assert client.get("/status/acme/fragment/").status_code == 200
            assert client.get("/", HTTP_HOST="status.acme.example").status_code == 200


def test_an_unknown_host_is_looked_up_once(page, settings, django_assert_num_queries):
    settings.ALLOWED_HOSTS = ["*"]
    browser = Client()
    browser.get("/healthz", HTTP_HOST="nobody.example")

    with django_assert_num_queries(1):  # healthz's own SELECT 1
        browser.get("/healthz", HTTP_HOST="nobody.example")


def test_the_copy_is_served_until_the_page_changes(client, page):
    client.get("/status/acme/")
    Monitor.objects.filter(name="Website").update(status="down")

    assert "Major outage" not in client.get("/status/acme/").content.decode()
    public_pages.refresh_pages([page.pk])  # what a transition does once it committed
    assert "Major outage" in client.get("/status/acme/").content.decode()


def test_a_stale_copy_is_rendered_again_by_one_request_while_others_get_the_old_one(
        client, page, monkeypatch):
    monkeypatch.setattr(public_pages, "FRESH_SECONDS", -1)
    client.get("/status/acme/")
    Monitor.objects.filter(name="Website").update(status="down")

    cache.add(f"status-page-render:{page.pk}", 1)  # another request is rendering it
    assert "Major outage" not in client.get("/status/acme/").content.decode()
    cache.delete(f"status-page-render:{page.pk}")
    assert "Major outage" in client.get("/status/acme/").content.decode()


def test_the_pages_badge_shows_its_banner(client, page, django_assert_num_queries):
    response = client.get("/status/acme/badge.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    root = ElementTree.fromstring(response.content)
    assert root.find("{http://www.w3.org/2000/svg}title").text == "status: partial outage"
    client.get("/", HTTP_HOST="status.acme.example")  # its domain's lookup, once
    with django_assert_num_queries(0):
        labelled = client.get("/status/acme/badge.svg", {"label": "Acme"})
        on_domain = client.get("/badge.svg", HTTP_HOST="status.acme.example")
    assert b"Acme: partial outage" in labelled.content
    assert on_domain.content == response.content


def test_an_unknown_pages_badge_is_a_404_image(client):
    response = client.get("/status/nope/badge.svg")

    assert response.status_code == 404 and b"not found" in response.content


def test_a_new_slug_or_domain_takes_over_at_once(client, page, settings,
                                                 django_capture_on_commit_callbacks):
    settings.ALLOWED_HOSTS = ["testserver"]
    assert client.get("/status/acme/").status_code == 200
    assert client.get("/", HTTP_HOST="status.acme.example").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        page.slug, page.custom_domain = "acme-inc", "status.acme-inc.example"
        page.save()

    assert client.get("/status/acme/").status_code == 404
    assert client.get("/status/acme-inc/").status_code == 200
    assert client.get("/", HTTP_HOST="status.acme.example").status_code == 400
    assert client.get("/", HTTP_HOST="status.acme-inc.example").status_code == 200


def test_the_page_stays_up_while_redis_is_down(client, page, settings, caplog):
    # A port nothing listens on: every cache call is refused, as with Redis stopped.
    settings.CACHES = {"default": {"BACKEND": "uptime.cache.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}

    for path in ("/status/acme/", "/status/acme/fragment/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Payments" in response.content.decode()
    assert client.get("/status/nobody/").status_code == 404
    assert "served without its cache" in caplog.text
