"""`manage.py check --deploy` with the production settings and a production environment has
no security warning left: HSTS and the HTTPS redirect come from the environment."""

import os
import secrets
import subprocess
import sys

from django.conf import settings


def deploy_check(**environment: str) -> str:
    env = {
        key: value for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "REDIS_URL": "redis://127.0.0.1:6379/0",  # never connected to by a check
        "ALLOWED_HOSTS": "uptime.example.com",
        **environment,
    })
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    return result.stdout + result.stderr


def test_hsts_and_the_https_redirect_from_the_environment_leave_no_security_warning():
    output = deploy_check(
        SECURE_HSTS_SECONDS="31536000", SECURE_HSTS_INCLUDE_SUBDOMAINS="1",
        SECURE_HSTS_PRELOAD="1", SECURE_SSL_REDIRECT="1",
    )

    assert "security." not in output, output


def test_without_them_the_check_says_so():
    output = deploy_check()

    assert "security.W004" in output and "security.W008" in output
