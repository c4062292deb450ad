"""Two-factor sign-in through the API: enrol, sign in with and without the code, recovery."""

import time

import pyotp
import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def token_client(user) -> APIClient:
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def login(**extra):
    return APIClient().post(
        "/api/v1/auth/login", {"email": "alice@example.com", "password": PASSWORD, **extra}
    )


@pytest.fixture
def enrolled(alice) -> tuple[pyotp.TOTP, list[str]]:
    client = token_client(alice)
    setup = client.post("/api/v1/auth/2fa/setup").json()
    assert setup["otpauth_uri"].startswith("otpauth://totp/uptime:alice%40example.com?")
    app = pyotp.TOTP(setup["secret"])
    confirmed = client.post("/api/v1/auth/2fa/confirm", {"code": app.now()})
    assert confirmed.status_code == 200
    return app, confirmed.json()["recovery_codes"]


def test_enrolling_needs_a_right_code(alice):
    client = token_client(alice)
    client.post("/api/v1/auth/2fa/setup")

    response = client.post("/api/v1/auth/2fa/confirm", {"code": "000000"})

    assert response.status_code == 400 and "code" in response.json()
    assert client.get("/api/v1/auth/2fa").json() == {"enabled": False, "required": False}
    assert "token" in login().json()


def test_with_two_factor_on_the_password_alone_asks_for_the_code(enrolled):
    response = login()

    assert response.status_code == 200
    assert response.json() == {"otp_required": True}


def test_the_password_and_the_code_sign_in(enrolled):
    app, _ = enrolled
    # The code that confirmed the enrolment is used up; the next 30 s step's is accepted (a
    # clock one step ahead is within the window).
    code = app.at(time.time() + app.interval)

    response = login(otp=code)

    assert response.status_code == 200 and "token" in response.json()
    assert login(otp=code).status_code == 400  # a code is used once


def test_a_wrong_code_is_a_400_and_counts_toward_the_lockout(enrolled, settings):
    settings.UPTIME_LOGIN_ACCOUNT_FAILURE_LIMIT = 2

    first, second = login(otp="123456"), login(otp="654321")

    assert first.status_code == 400 and "otp" in first.json()
    assert second.status_code == 429


def test_a_recovery_code_signs_in_once(enrolled):
    _, codes = enrolled

    assert "token" in login(otp=codes[0]).json()
    assert login(otp=codes[0]).status_code == 400
    assert "token" in login(otp=codes[1].upper()).json()


def test_staff_must_enrol_when_the_server_requires_it(bob, settings):
    settings.UPTIME_STAFF_REQUIRE_2FA = True

    response = APIClient().post(
        "/api/v1/auth/login", {"email": "bob@example.com", "password": PASSWORD}
    )

    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]


def test_turning_it_off_needs_the_password_and_a_code(alice, enrolled):
    _, codes = enrolled
    client = token_client(alice)

    wrong = client.post("/api/v1/auth/2fa/disable", {"password": PASSWORD, "code": "000000"})
    right = client.post("/api/v1/auth/2fa/disable", {"password": PASSWORD, "code": codes[0]})

    assert (wrong.status_code, right.status_code) == (400, 204)
    assert "token" in login().json()


def test_new_recovery_codes_replace_the_old_ones_with_the_password(alice, enrolled):
    _, old_codes = enrolled
    client = token_client(alice)

    response = client.post("/api/v1/auth/2fa/recovery-codes", {"password": PASSWORD})

    assert response.status_code == 200
    new_codes = response.json()["recovery_codes"]
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert login(otp=old_codes[0]).status_code == 400
    assert "token" in login(otp=new_codes[0]).json()


def test_new_recovery_codes_with_a_code_from_the_app_but_not_a_recovery_code(alice, enrolled):
    app, old_codes = enrolled
    client = token_client(alice)

    by_recovery_code = client.post("/api/v1/auth/2fa/recovery-codes", {"code": old_codes[0]})
    by_app = client.post("/api/v1/auth/2fa/recovery-codes",
                         {"code": app.at(time.time() + app.interval)})

    assert by_recovery_code.status_code == 400 and "code" in by_recovery_code.json()
    assert by_app.status_code == 200 and len(by_app.json()["recovery_codes"]) == 10


def test_new_recovery_codes_are_refused_without_proof_or_without_two_factor(alice, enrolled,
                                                                            charlie):
    client = token_client(alice)

    nothing = client.post("/api/v1/auth/2fa/recovery-codes", {})
    wrong = client.post("/api/v1/auth/2fa/recovery-codes", {"password": "not it"})
    off = token_client(charlie).post("/api/v1/auth/2fa/recovery-codes", {"password": PASSWORD})

    assert nothing.status_code == 400 and "non_field_errors" in nothing.json()
    assert wrong.status_code == 400 and "password" in wrong.json()
    assert off.status_code == 409


def test_wrong_proofs_for_new_recovery_codes_lock_out(alice, enrolled, settings):
    settings.UPTIME_LOGIN_ACCOUNT_FAILURE_LIMIT = 2
    client = token_client(alice)

    statuses = [client.post("/api/v1/auth/2fa/recovery-codes", {"code": "000000"}).status_code
                for _ in range(3)]

    assert statuses == [400, 429, 429]
    assert client.post("/api/v1/auth/2fa/recovery-codes",
                       {"password": PASSWORD}).status_code == 429
