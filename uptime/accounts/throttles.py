"""Reset mails throttled the same way on the web page and the API: UPTIME_PASSWORD_RESET_RATE,
counted in the shared Redis like every API throttle, per client address and per email address.

The address count is one counter for both paths (the API's own "password-reset" key), so a
sender cannot double their mails by alternating web and API. The email count stops many
addresses flooding one inbox. Both count whether or not an account has the email, so a 429
says nothing about which addresses have accounts.
"""

import hashlib

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

SCOPE = "password-reset"


class PasswordResetThrottle(SimpleRateThrottle):
    """Per client address (as UPTIME_API_NUM_PROXIES reads it), signed in or not: the API's
    scoped throttle would count a signed-in browser per user instead."""

    scope = SCOPE

    def get_rate(self) -> str | None:
        # Read on each request, like uptime.api.throttles.ScopedThrottle: DRF copies the rates
        # into the class at import, and a later settings change would not apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(SCOPE)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": SCOPE, "ident": self.get_ident(request)}


class PasswordResetEmailThrottle(PasswordResetThrottle):
    def __init__(self, email: str) -> None:
        super().__init__()
        # A digest: the cache should not hold a list of the addresses people typed.
        self.email_digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": f"{SCOPE}-email", "ident": self.email_digest}


def seconds_to_wait(request, email: str) -> int:
    """Count one reset request from this address for this email; how long to wait before
    another is allowed (0: go ahead and mail)."""
    for throttle in (PasswordResetThrottle(), PasswordResetEmailThrottle(email)):
        if not throttle.allow_request(request, None):
            return max(1, int(throttle.wait() or 1))
    return 0


def wait_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "Too many reset requests from this address or for this email. "
        f"Try again in {minutes} {unit}."
    )
