"""The URLs a heartbeat's job calls: `/ping/<uuid>`, `/start`, `/fail`, `/<exit-code>`.

Plain text in and out, for curl in a crontab line: no auth (the random uuid is the secret),
no CSRF token, no JSON. What a ping does is monitors/pings.py's business.
"""

import ipaddress
import logging
import math
import uuid

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt
from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from ..models import Ping
from ..pings import InvalidPing, PingRequest, parse_action, receive_ping

logger = logging.getLogger(__name__)

ALLOWED_METHODS = ("GET", "HEAD", "POST")


class PingThrottle(SimpleRateThrottle):
    """REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["ping"] (UPTIME_PING_RATE) per ping URL, in
    the Redis cache every web process shares: a job gone into a loop cannot flood the ping
    table or its owner's channels. Keyed on the uuid, so the jobs of one address (a whole
    company behind one NAT) do not share a budget."""

    scope = "ping"

    def __init__(self, token: uuid.UUID) -> None:
        self.token = token
        super().__init__()

    def get_rate(self) -> str | None:
        # Read per request, as uptime.api.throttles.ScopedThrottle does, so a settings change
        # applies.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.token}


@csrf_exempt
def ping(request: HttpRequest, token: str, action: str = "") -> HttpResponse:
    if request.method not in ALLOWED_METHODS:
        return HttpResponseNotAllowed(
            ALLOWED_METHODS, "method not allowed: use GET, HEAD or POST\n",
            content_type="text/plain; charset=utf-8",
        )
    try:
        token_uuid = uuid.UUID(token)
        parsed = parse_action(action)
    except InvalidPing as error:
        return _text(f"{error}\n", 400)
    except ValueError:
        return _text("not found\n", 404)
    if parsed is None:
        return _text("not found\n", 404)
    retry_after = _throttled(request, token_uuid)
    if retry_after is not None:
        response = _text(f"too many pings: retry in {retry_after} s\n", 429)
        response["Retry-After"] = str(retry_after)
        return response
    received = receive_ping(token_uuid, parsed, PingRequest(
        method=request.method,
        remote_addr=_client_address(request),
        user_agent=request.headers.get("User-Agent", ""),
        # Read no more than is kept: the rest of a large upload is never held in memory.
        body=request.read(Ping.MAX_BODY_BYTES) if request.method == "POST" else b"",
    ))
    if received is None:
        return _text("not found\n", 404)
    if received.monitor.is_paused:
        return _text("OK (the monitor is paused: the ping is kept, not counted)\n")
    return _text("OK\n")


def _throttled(request: HttpRequest, token: uuid.UUID) -> int | None:
    """Seconds to wait, or None if this ping may go on."""
    throttle = PingThrottle(token)
    try:
        if throttle.allow_request(request, None):
            return None
    except RedisError as error:
        # The ping is what keeps the monitor up: losing it to a cache outage would page
        # someone about a job that ran. Let it through unthrottled.
        logger.warning("ping throttle unavailable (%s); the ping goes through", error)
        return None
    return max(1, math.ceil(throttle.wait() or 1))


def _client_address(request: HttpRequest) -> str | None:
    # The address the API's throttles use (UPTIME_API_NUM_PROXIES decides whether
    # X-Forwarded-For is read); anything that is not an address is not stored.
    address = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
