"""A real favicon on every page (web and admin) and at /favicon.ico; the admin's own name."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def test_favicon_ico_is_served_at_the_root(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    # An ICO directory (reserved 0, type 1, three images), each image a PNG.
    assert body[:6] == b"\x00\x00\x01\x00\x03\x00"
    assert body.count(b"\x89PNG") == 3
    assert response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}


def test_the_svg_icon_is_a_static_file(client):
    from django.contrib.staticfiles import finders

    path = finders.find("uptime/favicon.svg")

    assert path is not None
    assert open(path).read().startswith("<svg")


def test_web_pages_link_both_icons(client, alice):
    page = client.get("/accounts/login/").content.decode()

    assert '<link rel="icon" href="/favicon.ico"' in page
    assert 'href="/static/uptime/favicon.svg" type="image/svg+xml"' in page


def test_the_admin_names_itself_and_links_the_icons(client):
    client.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "x"))

    page = client.get("/admin/").content.decode()

    assert '<div id="site-name"><a href="/admin/">uptime administration</a></div>' in page
    assert "<title>Monitors, incidents and notifications | uptime admin</title>" in page
    assert '<link rel="icon" href="/favicon.ico"' in page
    assert 'href="/static/uptime/favicon.svg"' in page
    assert "Django administration" not in page


def test_the_admin_login_page_has_the_icon_and_the_name(client):
    page = client.get("/admin/login/").content.decode()

    assert "uptime administration" in page
    assert '<link rel="icon" href="/favicon.ico"' in page
