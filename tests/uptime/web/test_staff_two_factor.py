"""UPTIME_STAFF_REQUIRE_2FA=1: a signed-in staff user without two-factor gets nowhere but the
enrolment page (and sign-out, static files, health), however they got their session or token."""

import pyotp
import pytest
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from uptime.accounts import totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def required(settings):
    settings.UPTIME_STAFF_REQUIRE_2FA = True


@pytest.fixture
def staff_browser(bob, required) -> Client:
    browser = Client()
    browser.force_login(bob)
    return browser


@pytest.mark.parametrize("path", ["/", "/monitors/new/", "/incidents/", "/accounts/",
                                  "/accounts/password/", "/admin/", "/admin/auth/user/"])
def test_every_page_sends_them_to_enrol(staff_browser, path):
    response = staff_browser.get(path)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/"


def test_enrolment_sign_out_and_health_stay_open(staff_browser):
    assert staff_browser.get("/accounts/two-factor/").status_code == 200
    assert staff_browser.post("/accounts/two-factor/", {"action": "start"}).status_code == 200
    assert staff_browser.get("/healthz").status_code == 200
    assert staff_browser.post("/accounts/logout/").status_code == 302
    assert staff_browser.get("/accounts/two-factor/")["Location"].startswith("/accounts/login/")


def test_once_enrolled_every_page_opens(bob, staff_browser):
    two_factor = totp.start_enrolment(bob)
    assert totp.confirm_enrolment(bob, pyotp.TOTP(two_factor.secret).now())

    assert staff_browser.get("/").status_code == 200
    assert staff_browser.get("/admin/").status_code == 200


def test_the_api_refuses_their_session_and_an_old_token(bob, staff_browser):
    _, token = AuthToken.objects.create(user=bob)  # made before the setting was turned on
    by_token = APIClient()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    by_session = staff_browser.get("/api/v1/monitors/")
    refused = by_token.get("/api/v1/monitors/")

    assert by_session.status_code == refused.status_code == 403
    assert "two-factor" in by_session.json()["detail"]
    assert "two-factor" in refused.json()["detail"]


def test_others_are_not_held_up(alice, bob, required, settings):
    browser = Client()
    browser.force_login(alice)
    assert browser.get("/").status_code == 200

    settings.UPTIME_STAFF_REQUIRE_2FA = False
    staff = Client()
    staff.force_login(bob)
    assert staff.get("/").status_code == 200
