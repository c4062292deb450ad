"""A sign-in left at the code step (password right, code not yet given) expires: after
PENDING_SECONDS the code page sends the browser back to the password."""

import time

import pyotp
import pytest

from uptime.accounts import totp
from uptime.accounts.web.views import PENDING_SECONDS, PENDING_SINCE

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def app(alice) -> pyotp.TOTP:
    two_factor = totp.start_enrolment(alice)
    app = pyotp.TOTP(two_factor.secret)
    assert totp.confirm_enrolment(alice, app.now())
    return app


def next_code(app: pyotp.TOTP) -> str:
    return app.at(time.time() + app.interval)


def password_step(client) -> None:
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response["Location"] == "/accounts/login/code/"


def age_the_step(client, seconds: float) -> None:
    session = client.session
    session[PENDING_SINCE] -= seconds
    session.save()


def test_within_the_time_the_code_signs_in(app, client):
    password_step(client)
    age_the_step(client, PENDING_SECONDS - 30)

    assert client.post("/accounts/login/code/", {"code": next_code(app)})["Location"] == "/"


def test_after_it_the_right_code_leads_back_to_the_password(app, client):
    password_step(client)
    age_the_step(client, PENDING_SECONDS + 1)

    response = client.post("/accounts/login/code/", {"code": next_code(app)})
    login_page = client.get(response["Location"])

    assert response["Location"] == "/accounts/login/"
    assert "took too long" in login_page.content.decode()
    assert client.get("/").status_code == 302  # not signed in
    assert client.get("/accounts/login/code/")["Location"] == "/accounts/login/"


def test_the_password_again_starts_a_new_step(app, client):
    password_step(client)
    age_the_step(client, PENDING_SECONDS + 1)
    client.get("/accounts/login/code/")

    password_step(client)

    assert client.post("/accounts/login/code/", {"code": next_code(app)})["Location"] == "/"
