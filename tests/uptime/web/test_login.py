"""Logging in and out of the web frontend with the session."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # tests/factories.py UserFactory


@pytest.mark.parametrize("path", ["/", "/incidents/", "/monitors/new/", "/monitors/1/"])
def test_every_page_asks_an_anonymous_visitor_to_log_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_logging_in_leads_to_the_dashboard(client, alice):
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and b'name="password"' in page.content

    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_logging_in_returns_to_the_page_asked_for(client, alice):
    response = client.post(
        "/accounts/login/?next=/incidents/",
        {"username": "alice", "password": PASSWORD, "next": "/incidents/"},
    )

    assert response["Location"] == "/incidents/"


def test_a_wrong_password_says_so(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})

    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_logging_out_ends_the_session(client, alice):
    client.force_login(alice)

    response = client.post(reverse("web:logout"))

    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302
