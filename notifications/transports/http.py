"""The one HTTP helper every HTTP transport uses: guarded, timed out, classified errors."""

import requests
from django.conf import settings

from monitors.netguard import BlockedAddressError, guarded_session

from .base import TransportError

# Worth retrying: the provider is overloaded, rate-limiting or briefly broken.
TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504}


def post_json(url: str, payload: dict, *, headers: dict | None = None) -> requests.Response:
    session = guarded_session(
        allow_private=settings.UPTIME_ALLOW_PRIVATE_TARGETS,
        user_agent=settings.UPTIME_USER_AGENT,
    )
    timeout = settings.UPTIME_NOTIFICATION_TIMEOUT_SECONDS
    try:
        response = session.post(
            url, json=payload, headers=headers or {}, timeout=(min(5, timeout), timeout),
            allow_redirects=False,
        )
    except BlockedAddressError as exc:
        raise TransportError(str(exc), permanent=True) from exc
    except requests.RequestException as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}"[:500]) from exc
    finally:
        session.close()
    summary = f"HTTP {response.status_code}"
    if response.status_code >= 300:
        permanent = response.status_code not in TRANSIENT_STATUSES
        raise TransportError(
            f"{url.split('?')[0]} answered HTTP {response.status_code}",
            permanent=permanent,
            response=f"{summary}: {response.text[:200]}",
        )
    return response
