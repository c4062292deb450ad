"""The one HTTP helper every HTTP transport uses: guarded, timed out, classified errors.

Many notification URLs carry their credential (Slack's /services/T/B/XXXX, Discord's
/webhooks/<id>/<token>, Telegram's /bot<token>/, a webhook's ?token=), and whatever an error
says ends up in NotificationLog and in the API. So errors name the endpoint by its origin, or by
the name the transport gives, never by its path or query.
"""

import json
from collections.abc import Callable
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError

from monitors.netguard import BlockedAddressError, guarded_session
from monitors.validators import validate_target_url
from notifications.redaction import url_origin

from .base import TransportError

# Worth retrying: the provider is overloaded, rate-limiting or briefly broken.
TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504}

# What a provider says about a refusal (Slack's "no_service", Telegram's description), or None.
Reason = Callable[[requests.Response], str | None]


def post_json(
    url: str,
    payload: dict | bytes,
    *,
    headers: dict | None = None,
    params: dict | None = None,
    endpoint: str = "",
    reason: Reason | None = None,
) -> requests.Response:
    """POST `payload` as JSON and return the 2xx response; anything else raises TransportError.

    payload: a dict to serialize, or the exact bytes to send when something (a signature)
        must cover them.
    params: query parameters, merged with any the URL already has.
    endpoint: what errors call the URL (default: its origin).
    reason: how to read the provider's reason out of a refusal, for the error message.
    """
    name = endpoint or url_origin(url)
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    session = guarded_session(
        allow_private=settings.UPTIME_ALLOW_PRIVATE_TARGETS,
        user_agent=settings.UPTIME_USER_AGENT,
    )
    timeout = settings.UPTIME_NOTIFICATION_TIMEOUT_SECONDS
    try:
        response = session.post(
            url,
            data=body,
            params=params,
            headers={"Content-Type": "application/json", **(headers or {})},
            timeout=(min(5, timeout), timeout),
            allow_redirects=False,
        )
    except BlockedAddressError as exc:
        raise TransportError(f"{name}: {exc}", permanent=True) from exc
    except requests.RequestException as exc:
        # Not chained: the exception's text and attributes hold the full URL, and a traceback
        # logged anywhere would carry the credential with it.
        detail = _without_url(str(exc), url)
        raise TransportError(f"{name}: {type(exc).__name__}: {detail}"[:500]) from None
    finally:
        session.close()
    if response.status_code >= 300:
        explained = _reason(response, reason)
        raise TransportError(
            f"{name} answered HTTP {response.status_code}{f': {explained}' if explained else ''}",
            permanent=response.status_code not in TRANSIENT_STATUSES,
            response=f"HTTP {response.status_code}: {_without_url(response.text[:200], url)}",
            retry_after=_retry_after(response),
        )
    return response


def _retry_after(response: requests.Response) -> float | None:
    """How long a rate-limiting provider asked us to wait: the Retry-After header (Slack,
    Discord) or a retry_after in the JSON body (Telegram's parameters, Discord's body)."""
    header = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(header))
    except ValueError:
        pass  # absent, or an HTTP date: fall back to the body
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    parameters = body.get("parameters")
    seconds = (parameters if isinstance(parameters, dict) else body).get("retry_after")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool):
        return max(0.0, float(seconds))
    return None


def _without_url(text: str, url: str) -> str:
    """`text` with every spelling of the URL's path and query replaced: urllib3 quotes the
    path in its messages ("Max retries exceeded with url: /bot123:AA.../sendMessage")."""
    parts = urlsplit(url)
    secrets = [url, f"{parts.path}?{parts.query}", parts.path, parts.query]
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        if secret not in ("/", "?"):
            text = text.replace(secret, "/…")
    return text


def _reason(response: requests.Response, reason: Reason | None) -> str:
    if reason is None:
        return ""
    try:
        explained = reason(response)
    except (ValueError, LookupError, TypeError, AttributeError):
        return ""  # the body was not the JSON the provider documents
    return " ".join(str(explained).split())[:200] if explained else ""


def url_problems(key: str, url: str) -> list[str]:
    """What is wrong with a URL that a channel's config gives under `key`, as messages."""
    try:
        validate_target_url(url)
    except ValidationError as exc:
        return [f"{key}: {' '.join(exc.messages)}"]
    except ValueError:  # urlsplit refuses some malformed URLs outright ("http://[::1")
        return [f"{key}: Enter a valid URL."]
    if len(url) > 2000:
        return [f"{key}: at most 2000 characters."]
    return []
