"""New recovery codes on the web's two-factor page: behind the password or a code from the
app, replacing every old code."""

import re
import time

import pyotp
import pytest
from django.test import Client

from uptime.accounts import totp

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def enrolled(alice) -> tuple[pyotp.TOTP, list[str]]:
    two_factor = totp.start_enrolment(alice)
    app = pyotp.TOTP(two_factor.secret)
    codes = totp.confirm_enrolment(alice, app.now())
    assert codes
    return app, codes


def shown_codes(response) -> list[str]:
    return re.findall(r"<li>([0-9a-f]{8}-[0-9a-f]{8})</li>", response.content.decode())


def sign_in_with(code: str) -> int:
    browser = Client()
    browser.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    return browser.post("/accounts/login/code/", {"code": code}).status_code


def test_the_page_offers_new_codes_and_the_password_gets_them(alice, client, enrolled):
    _, old_codes = enrolled
    client.force_login(alice)
    assert "New recovery codes" in client.get("/accounts/two-factor/").content.decode()

    response = client.post("/accounts/two-factor/",
                           {"action": "recovery-codes", "recovery-password": PASSWORD})

    new_codes = shown_codes(response)
    assert response.status_code == 200 and len(new_codes) == 10
    assert "the old ones no longer work" in response.content.decode()
    assert sign_in_with(old_codes[0]) == 200  # the code form again
    assert sign_in_with(new_codes[0]) == 302


def test_a_code_from_the_app_does_too_but_a_recovery_code_does_not(alice, client, enrolled):
    app, old_codes = enrolled
    client.force_login(alice)

    refused = client.post("/accounts/two-factor/",
                          {"action": "recovery-codes", "recovery-code": old_codes[0]})
    accepted = client.post("/accounts/two-factor/", {
        "action": "recovery-codes", "recovery-code": app.at(time.time() + app.interval)})

    assert refused.status_code == 400 and not shown_codes(refused)
    assert accepted.status_code == 200 and len(shown_codes(accepted)) == 10


def test_a_wrong_password_or_none_gets_no_codes(alice, client, enrolled, settings):
    settings.UPTIME_LOGIN_ACCOUNT_FAILURE_LIMIT = 2
    client.force_login(alice)

    def ask(**fields):
        return client.post("/accounts/two-factor/", {"action": "recovery-codes", **fields})

    empty = ask()
    wrong = ask(**{"recovery-password": "not it"})
    locked = ask(**{"recovery-password": "not it"})
    right_but_locked = ask(**{"recovery-password": PASSWORD})

    assert [empty.status_code, wrong.status_code] == [400, 400]
    assert "Enter your password or a code" in empty.content.decode()
    assert "This is not your password" in wrong.content.decode()
    assert locked.status_code == 400  # this one locked the account ...
    assert right_but_locked.status_code == 429  # ... so the next is refused
    assert "Try again in" in right_but_locked.content.decode()
    assert not shown_codes(right_but_locked)
