"""The API token check: knox's, made to refuse a malformed token instead of failing on it."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth as knox_auth
from rest_framework.authentication import get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied

from uptime.accounts import totp
from uptime.accounts.models import LAST_USED_RESOLUTION_SECONDS, TokenDevice

BEARER_HINT = (
    'This API does not take "Authorization: Bearer ...": send "Authorization: Token <key>", '
    "with the token from POST /api/v1/auth/login."
)


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's token check, with two refusals instead of surprises.

    A "Bearer" header is what most clients send by habit; knox would ignore it as meant for
    another scheme, and the client would be told only that no credentials were provided. It
    gets a 401 that names the scheme to use.

    knox decodes the header as UTF-8 without catching the error, so a client sending bytes
    that are not UTF-8 would get a 500 on every endpoint; it gets a 401 like any bad token.
    """

    def authenticate(self, request):
        scheme = get_authorization_header(request).split(maxsplit=1)[:1]
        if scheme and scheme[0].lower() == b"bearer":
            raise AuthenticationFailed(BEARER_HINT)
        return super().authenticate(request)

    def authenticate_credentials(self, token: bytes):
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid token.") from None
        user, auth_token = super().authenticate_credentials(token)
        if totp.must_enrol(user):
            # A token from before UPTIME_STAFF_REQUIRE_2FA was turned on (or two-factor off):
            # the API login would refuse this user now, so the token does not get in either.
            raise PermissionDenied(totp.MUST_ENROL_MESSAGE)
        touch_device(auth_token)
        return user, auth_token


def touch_device(auth_token) -> None:
    """The device list's "last used": one conditional UPDATE, which writes at most once a
    minute per token (like knox's own expiry refresh)."""
    now = timezone.now()
    stale = now - timedelta(seconds=LAST_USED_RESOLUTION_SECONDS)
    TokenDevice.objects.filter(token_id=auth_token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)
    ).update(last_used_at=now)


class TokenScheme(KnoxTokenScheme):
    # Defined beside the class it documents, so it is registered whenever the class is in use:
    # drf-spectacular matches authentication classes exactly, not their subclasses.
    target_class = "uptime.api.authentication.TokenAuthentication"
