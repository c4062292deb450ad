"""Who may create an account (UPTIME_REGISTRATION), and the one combination that is risky.

"open": anyone who reaches the site can sign up through POST /api/v1/auth/register. "closed":
that endpoint answers 403 and accounts are made by an administrator (the admin, or
`manage.py createsuperuser`). There is no sign-up page in the web frontend.
"""

import logging

from django.conf import settings
from django.core import checks

logger = logging.getLogger(__name__)

OPEN, CLOSED = "open", "closed"
POLICIES = (OPEN, CLOSED)

CLOSED_MESSAGE = "Sign-up is closed on this server: ask its administrator for an account."


def registration_is_open() -> bool:
    return settings.UPTIME_REGISTRATION == OPEN


def private_network_warning() -> str | None:
    """What to tell the operator when strangers could probe their private network, or None.

    A production server that lets anyone sign up and lets checks (and webhooks) reach private
    addresses lets anyone use it to scan what sits behind it. The local settings are exempt:
    they serve on loopback, where "anyone" is the person at the keyboard.
    """
    if not (settings.UPTIME_PRODUCTION and registration_is_open()
            and settings.UPTIME_ALLOW_PRIVATE_TARGETS):
        return None
    return (
        "Sign-up is open (UPTIME_REGISTRATION=open) and checks may reach private addresses "
        "(UPTIME_ALLOW_PRIVATE_TARGETS=1): anyone who signs up can probe your private network "
        "with monitors and webhooks. Set UPTIME_REGISTRATION=closed, or turn private targets off."
    )


@checks.register(checks.Tags.security, deploy=False)
def check_registration(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    policy = getattr(settings, "UPTIME_REGISTRATION", None)
    if policy not in POLICIES:
        return [checks.Error(
            f"UPTIME_REGISTRATION is {policy!r}; it must be 'open' or 'closed'.",
            id="uptime.E001",
        )]
    warning = private_network_warning()
    return [checks.Warning(warning, id="uptime.W001")] if warning else []


def log_private_network_warning() -> None:
    """Said once per process at start-up: daphne and the Celery workers run no system checks."""
    if warning := private_network_warning():
        logger.warning(warning)
