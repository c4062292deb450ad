"""What the project knows about a user's sign-ins beyond Django's own tables: the devices
(API tokens) and browser sessions signed in, and the second factor."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

# A use pushes last_used_at at most this often: a write per request would cost every API call.
LAST_USED_RESOLUTION_SECONDS = 60
RECOVERY_CODE_COUNT = 10


class TokenDevice(models.Model):
    """One API token's device: the name the app gave at login, when it was last used.

    knox's AuthToken has neither, and its primary key is the token's digest, which is not an
    id to put in a URL. The row goes with its token (CASCADE), so revoking is deleting the token.
    """

    token = models.OneToOneField(
        "knox.AuthToken", on_delete=models.CASCADE, related_name="device"
    )
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name or f"device {self.pk}"


class BrowserSession(models.Model):
    """A signed-in browser session, so that a password change, a reset or an account deletion
    can end the user's other sessions (and close their sockets): Django's session rows do not
    say whose they are without decoding every one."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="browser_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    user_agent = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"session of user {self.user_id}"


class TwoFactor(models.Model):
    """A user's TOTP secret. Sign-in asks for a code only once it is confirmed, so a user who
    started enrolling and never finished is not locked out by a secret they never saved."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor"
    )
    secret = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The time step of the last code accepted: a code seen once is not accepted again.
    last_used_step = models.BigIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"two-factor of user {self.user_id}"

    @property
    def is_enabled(self) -> bool:
        return self.confirmed_at is not None


def recovery_code_digest(code: str) -> str:
    normalized = code.replace("-", "").replace(" ", "").lower()
    return hashlib.sha256(normalized.encode()).hexdigest()


class RecoveryCode(models.Model):
    """A one-time code for a user who lost their authenticator. Stored as a digest only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    digest = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"recovery code of user {self.user_id}"

    @classmethod
    def replace_for(cls, user) -> list[str]:
        """New codes for the user, dropping the old ones; the codes are shown once."""
        codes = [
            f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODE_COUNT)
        ]
        cls.objects.filter(user=user).delete()
        cls.objects.bulk_create(cls(user=user, digest=recovery_code_digest(c)) for c in codes)
        return codes

    @classmethod
    def use(cls, user, code: str) -> bool:
        # Deleting is the claim: of two requests with one code, only one deletes the row.
        deleted, _ = cls.objects.filter(user=user, digest=recovery_code_digest(code)).delete()
        return deleted > 0
