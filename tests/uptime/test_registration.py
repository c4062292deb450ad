"""The sign-up policy (UPTIME_REGISTRATION): closed refuses the API's register with a 403,
admins still make accounts, a bad value stops start-up, and production warns when open sign-up
meets private targets (a system check, a log line at start-up, a message in the admin)."""

import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core import checks
from django.test import override_settings
from rest_framework.test import APIClient

from tests.support.webserver import ROOT, child_env
from uptime.registration import check_registration

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
RISKY = {"UPTIME_PRODUCTION": True, "UPTIME_REGISTRATION": "open",
         "UPTIME_ALLOW_PRIVATE_TARGETS": True}


def register(payload=None):
    return APIClient().post(
        "/api/v1/auth/register", payload or {"email": "dana@example.com", "password": PASSWORD},
        format="json",
    )


@override_settings(UPTIME_REGISTRATION="closed")
def test_closed_sign_up_refuses_register_with_a_403_that_says_so():
    response = register()

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Sign-up is closed on this server: ask its administrator for an account."
    }
    assert not get_user_model().objects.exists()


@override_settings(UPTIME_REGISTRATION="closed")
def test_closed_sign_up_refuses_before_reading_the_payload(alice):
    # A 400 "already exists" would tell a stranger which emails have accounts.
    assert register({"email": "alice@example.com", "password": "x"}).status_code == 403


@override_settings(UPTIME_REGISTRATION="open")
def test_open_sign_up_creates_the_account():
    assert register().status_code == 201
    assert get_user_model().objects.filter(username="dana@example.com").exists()


@override_settings(UPTIME_REGISTRATION="closed")
def test_closed_sign_up_still_lets_an_admin_create_users(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    client.force_login(admin)

    response = client.post("/admin/auth/user/add/", {
        "username": "erin@example.com", "password1": PASSWORD, "password2": PASSWORD,
        "usable_password": "true",
    })

    assert response.status_code == 302
    assert get_user_model().objects.filter(username="erin@example.com").exists()


@override_settings(UPTIME_REGISTRATION="closed")
def test_closed_sign_up_still_lets_existing_users_log_in(alice):
    response = APIClient().post(
        "/api/v1/auth/login", {"email": "alice@example.com", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200


# --- system checks -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "Open", "maybe", None])
def test_a_value_other_than_open_or_closed_is_a_system_check_error(settings, value):
    settings.UPTIME_REGISTRATION = value

    errors = check_registration()

    assert [(error.level, error.id) for error in errors] == [(checks.ERROR, "uptime.E001")]
    assert "must be 'open' or 'closed'" in errors[0].msg


def test_open_sign_up_with_private_targets_in_production_is_a_warning(settings):
    for name, value in RISKY.items():
        setattr(settings, name, value)

    warnings = check_registration()

    assert [(warning.level, warning.id) for warning in warnings] == [
        (checks.WARNING, "uptime.W001")
    ]
    assert "anyone who signs up can probe your private network" in warnings[0].msg


@pytest.mark.parametrize("safe", [
    {"UPTIME_PRODUCTION": False}, {"UPTIME_REGISTRATION": "closed"},
    {"UPTIME_ALLOW_PRIVATE_TARGETS": False},
])
def test_no_warning_unless_all_three_hold(settings, safe):
    for name, value in {**RISKY, **safe}.items():
        setattr(settings, name, value)

    assert check_registration() == []


def test_the_check_is_registered_with_django():
    from django.core.checks.registry import registry

    assert check_registration in registry.get_checks()


# --- the admin -----------------------------------------------------------------------------


def test_the_admin_index_shows_the_warning(client, settings):
    for name, value in RISKY.items():
        setattr(settings, name, value)
    client.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "x"))

    page = client.get("/admin/").content.decode()

    assert 'data-check="uptime.W001"' in page
    assert "anyone who signs up can probe your private network" in page


def test_the_admin_index_shows_no_warning_when_sign_up_is_closed(client, settings):
    for name, value in {**RISKY, "UPTIME_REGISTRATION": "closed"}.items():
        setattr(settings, name, value)
    client.force_login(get_user_model().objects.create_superuser("root", "r@example.com", "x"))

    page = client.get("/admin/").content.decode()

    assert "uptime.W001" not in page


# --- the settings modules, as a process starting would read them ----------------------------


def start(settings_module: str, *args: str, **environment: str) -> subprocess.CompletedProcess:
    """Run manage.py with a settings module and environment, as a deployment starts it."""
    env = {name: value for name, value in child_env().items()
           if name not in {"UPTIME_REGISTRATION", "UPTIME_ALLOW_PRIVATE_TARGETS"}}
    env.update(DJANGO_SETTINGS_MODULE=settings_module, **environment)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


PRODUCTION = {"SECRET_KEY": "a-real-secret-for-this-test-only-0123456789",
              "REDIS_URL": "redis://127.0.0.1:1/0"}
PRINT_POLICY = ["shell", "-c", "from django.conf import settings; "
                "print(settings.UPTIME_REGISTRATION)"]


def test_production_is_closed_and_local_is_open_by_default():
    production = start("config.settings.production", *PRINT_POLICY, **PRODUCTION)
    local = start("config.settings.local", *PRINT_POLICY)

    assert production.stdout.strip().splitlines()[-1] == "closed", production.stderr
    assert local.stdout.strip().splitlines()[-1] == "open", local.stderr


def test_an_invalid_value_stops_start_up_with_a_clear_error():
    result = start("config.settings.production", "check", UPTIME_REGISTRATION="sometimes",
                   **PRODUCTION)

    assert result.returncode != 0
    assert "UPTIME_REGISTRATION='sometimes' must be 'open' or 'closed'." in result.stderr


def test_production_start_up_warns_of_open_sign_up_with_private_targets():
    result = start("config.settings.production", "check", UPTIME_REGISTRATION="open",
                   UPTIME_ALLOW_PRIVATE_TARGETS="1", **PRODUCTION)

    assert result.returncode == 0, result.stderr
    # The log line every process prints as it starts (daphne and Celery run no checks) ...
    assert "WARNING uptime.registration: Sign-up is open" in result.stderr
    # ... and the system check that manage.py check, migrate and runserver report.
    assert "(uptime.W001) Sign-up is open" in result.stderr


def test_local_start_up_does_not_warn():
    result = start("config.settings.local", "check", UPTIME_REGISTRATION="open",
                   UPTIME_ALLOW_PRIVATE_TARGETS="1")

    assert result.returncode == 0, result.stderr
    assert "uptime.W001" not in result.stderr + result.stdout
    assert "Sign-up is open" not in result.stderr
