"""Who is signed in where, and ending it: API tokens (one per device) and browser sessions.

Every ending closes the websockets that sign-in opened: a token's through its post_delete
receiver (uptime/live_signals.py), a browser session's here.
"""

from importlib import import_module

from django.conf import settings
from django.db import transaction
from knox.models import get_token_model

from uptime import live

from .models import BrowserSession, TokenDevice


def remember_browser_session(request, user) -> None:
    session = getattr(request, "session", None)
    # The API's token login sends user_logged_in too, without signing the session in.
    if session is None or not session.session_key or session.get("_auth_user_id") != str(user.pk):
        return
    BrowserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={"user": user, "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200]},
    )


def devices_of(user) -> list[TokenDevice]:
    """The user's signed-in devices, newest first; a token made before devices had names (or
    in the admin) gets its row now."""
    tokens = get_token_model().objects.filter(user=user).select_related("device")
    devices = []
    for token in tokens:
        device = getattr(token, "device", None)
        if device is None:
            device, _ = TokenDevice.objects.get_or_create(
                token=token, defaults={"created_at": token.created}
            )
        devices.append(device)
    return sorted(devices, key=lambda device: device.created_at, reverse=True)


def end_browser_sessions(sessions) -> None:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = [session.session_key for session in sessions]
    for key in keys:
        store(session_key=key).delete()
    BrowserSession.objects.filter(session_key__in=keys).delete()

    def close() -> None:
        for key in keys:
            live.close_sockets(live.revocation_group(session_key=key))

    transaction.on_commit(close, robust=True)


def sign_out_everywhere(user, *, except_token=None, except_session_key: str | None = None) -> None:
    """End every token and browser session of the user but the one named (the request's own,
    after a password change), and close their sockets."""
    tokens = get_token_model().objects.filter(user=user)
    if except_token is not None:
        tokens = tokens.exclude(pk=except_token.pk)
    tokens.delete()  # one post_delete per token: each closes its sockets
    sessions = BrowserSession.objects.filter(user=user)
    if except_session_key:
        sessions = sessions.exclude(session_key=except_session_key)
    end_browser_sessions(list(sessions))
