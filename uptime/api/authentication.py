"""The API token check: knox's, made to refuse a malformed token instead of failing on it."""

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth as knox_auth
from rest_framework.authentication import get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

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
        return super().authenticate_credentials(token)


class TokenScheme(KnoxTokenScheme):
    # Defined beside the class it documents, so it is registered whenever the class is in use:
    # drf-spectacular matches authentication classes exactly, not their subclasses.
    target_class = "uptime.api.authentication.TokenAuthentication"
