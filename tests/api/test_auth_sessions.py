"""The devices signed in to an account: listed with their names, revoked one at a time."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def device_login(email: str, device_name: str) -> APIClient:
    response = APIClient().post(
        "/api/v1/auth/login",
        {"email": email, "password": PASSWORD, "device_name": device_name},
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_the_list_names_each_device_and_marks_the_current_one(alice):
    phone = device_login("alice@example.com", "Alice's iPhone")
    device_login("alice@example.com", "iPad")
    phone.get("/api/v1/me")

    sessions = phone.get("/api/v1/auth/sessions").json()

    assert [(s["name"], s["current"]) for s in sessions] == [
        ("iPad", False), ("Alice's iPhone", True)
    ]
    iphone = sessions[1]
    assert iphone["created_at"] and iphone["last_used_at"] and iphone["expiry"]
    assert sessions[0]["last_used_at"] is None


def test_without_a_device_name_the_user_agent_names_it(alice):
    APIClient().post("/api/v1/auth/login", {"email": "alice@example.com", "password": PASSWORD},
                     HTTP_USER_AGENT="UptimeApp/2.1 iOS/18")
    phone = device_login("alice@example.com", "phone")

    names = {s["name"] for s in phone.get("/api/v1/auth/sessions").json()}

    assert names == {"UptimeApp/2.1 iOS/18", "phone"}


def test_revoking_one_device_signs_out_that_one_only(alice):
    phone = device_login("alice@example.com", "phone")
    tablet = device_login("alice@example.com", "tablet")
    tablet_id = next(s["id"] for s in phone.get("/api/v1/auth/sessions").json()
                     if s["name"] == "tablet")

    assert phone.delete(f"/api/v1/auth/sessions/{tablet_id}").status_code == 204

    assert tablet.get("/api/v1/me").status_code == 401
    assert phone.get("/api/v1/me").status_code == 200
    assert phone.delete(f"/api/v1/auth/sessions/{tablet_id}").status_code == 404


def test_another_users_device_is_not_found(alice, charlie):
    phone = device_login("alice@example.com", "phone")
    theirs = device_login("charlie@example.com", "theirs")
    their_id = theirs.get("/api/v1/auth/sessions").json()[0]["id"]

    assert phone.delete(f"/api/v1/auth/sessions/{their_id}").status_code == 404
    assert theirs.get("/api/v1/me").status_code == 200
