"""The web app's account pages: two-factor sign-in (web and admin), password change and
reset, devices and browsers, deleting the account."""

import re
import time

import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from knox.models import AuthToken

from monitors.models import Monitor
from tests.factories import MonitorFactory
from uptime.accounts import totp
from uptime.accounts.models import BrowserSession, TokenDevice

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new pass phrase"


def enrol(user) -> pyotp.TOTP:
    two_factor = totp.start_enrolment(user)
    app = pyotp.TOTP(two_factor.secret)
    assert totp.confirm_enrolment(user, app.now())
    return app


def next_code(app: pyotp.TOTP) -> str:
    # The enrolment used this step's code; the next step's is within the accepted window.
    return app.at(time.time() + app.interval)


def test_enrolling_on_the_web_shows_the_secret_then_the_recovery_codes(alice, client):
    client.force_login(alice)

    started = client.post("/accounts/two-factor/", {"action": "start"}).content.decode()
    secret = re.search(r'id="secret">([A-Z2-7]+)<', started).group(1)
    assert "otpauth://totp/uptime:alice%40example.com" in started
    wrong = client.post("/accounts/two-factor/", {"action": "confirm", "code": "000000"})
    confirmed = client.post("/accounts/two-factor/",
                            {"action": "confirm", "code": pyotp.TOTP(secret).now()})

    assert wrong.status_code == 400
    assert confirmed.status_code == 200
    assert confirmed.content.decode().count("<li>") >= 10
    assert totp.is_enabled(alice)


def test_with_two_factor_the_web_asks_for_the_code_after_the_password(alice, client):
    app = enrol(alice)

    after_password = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert after_password["Location"] == "/accounts/login/code/"
    assert client.get("/").status_code == 302  # not signed in yet
    wrong = client.post("/accounts/login/code/", {"code": "000000"})
    right = client.post("/accounts/login/code/", {"code": next_code(app)})

    assert wrong.status_code == 200 and b"wrong" in wrong.content
    assert right.status_code == 302 and right["Location"] == "/"
    assert client.get("/").status_code == 200


def test_the_admin_asks_for_the_code_too(client):
    root = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    app = enrol(root)

    after_password = client.post("/admin/login/?next=/admin/",
                                 {"username": "root", "password": PASSWORD, "next": "/admin/"})
    assert after_password["Location"] == "/accounts/login/code/"
    assert client.get("/admin/").status_code == 302
    signed_in = client.post("/accounts/login/code/", {"code": next_code(app)})

    assert signed_in["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_recovery_code_signs_in_once(alice):
    enrol(alice)
    codes = totp.RecoveryCode.replace_for(alice)

    def sign_in(code: str) -> int:
        browser = Client()
        browser.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
        return browser.post("/accounts/login/code/", {"code": code}).status_code

    assert sign_in(codes[0]) == 302
    assert sign_in(codes[0]) == 200  # the form again: used up


def test_staff_are_sent_to_enrol_when_the_server_requires_it(bob, client, settings):
    settings.UPTIME_STAFF_REQUIRE_2FA = True

    web = client.post("/accounts/login/", {"username": "bob", "password": PASSWORD})
    admin = Client().post("/admin/login/", {"username": "bob", "password": PASSWORD})

    assert web["Location"] == "/accounts/two-factor/"
    assert admin.status_code == 200 and b"two-factor" in admin.content


def test_changing_the_password_keeps_this_browser_and_signs_out_the_others(alice, client):
    client.force_login(alice)
    other = Client()
    other.force_login(alice)
    _, token = AuthToken.objects.create(user=alice)

    weak = client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password1": "123", "new_password2": "123"})
    response = client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert weak.status_code == 400
    assert response["Location"] == "/accounts/"
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    assert not AuthToken.objects.filter(user=alice).exists()


def test_a_reset_link_from_the_mail_works_once(alice, client):
    client.force_login(alice)
    page = Client().post("/accounts/password/reset/", {"email": "alice@example.com"})
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert page.status_code == unknown.status_code == 200
    (message,) = mail.outbox
    path = re.search(r"http://[^/]+(/accounts/password/reset/\S+/)", message.body).group(1)

    assert Client().get(path).status_code == 200
    assert Client().post(path, {"new_password": NEW_PASSWORD})["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302  # every session signed out
    assert Client().get(path).status_code == 400
    assert Client().post(path, {"new_password": "another new pass phrase"}).status_code == 400
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_the_account_page_lists_devices_and_browsers_and_signs_one_out(alice, client):
    client.force_login(alice)
    token, _ = AuthToken.objects.create(user=alice)
    device = TokenDevice.objects.create(token=token, name="Alice's iPhone")
    other = Client(HTTP_USER_AGENT="Firefox on the laptop")
    other.post("/accounts/login/", {"username": "alice", "password": PASSWORD})

    page = client.get("/accounts/").content.decode()
    laptop = BrowserSession.objects.get(user_agent="Firefox on the laptop")

    assert "Alice&#x27;s iPhone" in page and "Firefox on the laptop" in page
    assert client.post(f"/accounts/devices/{device.pk}/revoke/").status_code == 302
    assert client.post(f"/accounts/browsers/{laptop.pk}/revoke/").status_code == 302
    assert not AuthToken.objects.filter(user=alice).exists()
    assert other.get("/").status_code == 302
    assert client.get("/").status_code == 200


def test_deleting_the_account_on_the_web_needs_the_password(alice, client):
    client.force_login(alice)
    MonitorFactory(owner=alice)

    wrong = client.post("/accounts/delete/", {"password": "wrong"})
    assert wrong.status_code == 400 and Monitor.objects.filter(owner=alice).exists()
    right = client.post("/accounts/delete/", {"password": PASSWORD})

    assert right["Location"] == "/accounts/login/"
    assert not get_user_model().objects.filter(pk=alice.pk).exists()
    assert not Monitor.objects.exists()
