"""Who is on the other end of a websocket, and whether their page may open one.

Browsers authenticate with their session cookie (channels' AuthMiddlewareStack). The mobile
app and scripts send their knox API token, either as "Authorization: Token <token>" or, where
a websocket client cannot set headers, as the subprotocols ["token", "<token>"]. Never in the
query string: URLs end up in access logs and proxy logs.
"""

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from knox.settings import CONSTANTS as knox_constants
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied

from uptime.api.authentication import TokenAuthentication

TOKEN_SUBPROTOCOL = "token"


def header(scope: dict, name: bytes) -> str | None:
    for header_name, value in scope.get("headers", []):
        if header_name == name:
            return value.decode("latin1")
    return None


def presented_token(scope: dict) -> str | None:
    """The API token the client sent, from the Authorization header or the subprotocols."""
    authorization = header(scope, b"authorization")
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "token" and token.strip():
            return token.strip()
    subprotocols = list(scope.get("subprotocols") or [])
    if TOKEN_SUBPROTOCOL in subprotocols:
        position = subprotocols.index(TOKEN_SUBPROTOCOL)
        if position + 1 < len(subprotocols):
            return subprotocols[position + 1]
    return None


@database_sync_to_async
def user_for_token(token: str):
    try:
        user, _ = TokenAuthentication().authenticate_credentials(token.encode())
    except (AuthenticationFailed, PermissionDenied):  # PermissionDenied: staff owing 2FA
        return AnonymousUser()
    return user


class TokenAuthMiddleware(BaseMiddleware):
    """Replaces the session's user with the token's when the client presents a token.

    Runs inside AuthMiddlewareStack: a presented token decides on its own, so a wrong token
    is refused even if the same client also carries a valid session cookie.
    """

    async def __call__(self, scope, receive, send):
        token = presented_token(scope)
        if token is not None:
            scope = dict(
                scope,
                user=await user_for_token(token),
                auth_method="token",
                # knox's lookup key: the consumer joins the group that closes this token's
                # sockets when it is revoked.
                token_key=token[: knox_constants.TOKEN_KEY_LENGTH],
            )
        return await super().__call__(scope, receive, send)


class BrowserOriginValidator(OriginValidator):
    """channels' AllowedHostsOriginValidator, except that a client sending no Origin at all
    may connect when it presents a token.

    Browsers always send Origin with a websocket handshake, so a page on another site is still
    refused, and a session cookie alone never gets in without a matching Origin. Native apps
    and scripts send no Origin; a token is what they authenticate with anyway.
    """

    def __init__(self, application) -> None:
        allowed_hosts = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not allowed_hosts:
            allowed_hosts = ["localhost", "127.0.0.1", "[::1]"]
        super().__init__(application, allowed_hosts)

    async def __call__(self, scope, receive, send):
        if header(scope, b"origin") is None and presented_token(scope) is not None:
            return await self.application(scope, receive, send)
        return await super().__call__(scope, receive, send)
