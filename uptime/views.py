import hmac

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from monitors.models import Monitor

from . import badges
from . import metrics as uptime_metrics


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and docker-compose: the process answers and the DB does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_safe
def badge(request: HttpRequest, key: str, name: str) -> HttpResponse:
    """A monitor's public badge (uptime/badges.py); no login, the key is the secret."""
    monitor = Monitor.objects.filter(badge_key=key).first()
    shown = badges.monitor_badge(monitor, name) if monitor is not None else None
    if shown is None:
        # Still an image, so a README with a stale link shows why instead of a broken icon.
        return svg_response(badges.render_badge("badge", "not found", badges.LIGHTGREY),
                            status=404)
    label = badges.custom_label(request.GET.get("label")) or shown.label
    return svg_response(badges.render_badge(label, shown.value, shown.colour))


def svg_response(svg: str, *, status: int = 200) -> HttpResponse:
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8", status=status)
    # Image proxies (GitHub's camo) and browsers may keep it a minute; it is the same for
    # everyone, with no cookie in it.
    response["Cache-Control"] = "public, max-age=60"
    # Opened on its own, the SVG is a document: let it load and run nothing.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' text format (uptime/metrics.py), for "Authorization: Bearer
    <UPTIME_METRICS_TOKEN>"; without a token set, there is no such page."""
    token = settings.UPTIME_METRICS_TOKEN
    if not token:
        raise Http404
    if not bearer_matches(request, token):
        response = HttpResponse("A valid \"Authorization: Bearer <token>\" is required.\n",
                                content_type="text/plain; charset=utf-8", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    # The classic text format (0.0.4), which every Prometheus reads; no content negotiation.
    response = HttpResponse(uptime_metrics.exposition(), content_type=CONTENT_TYPE_PLAIN_0_0_4)
    response["Cache-Control"] = "no-store"
    return response


def bearer_matches(request: HttpRequest, token: str) -> bool:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    # Bytes, since compare_digest refuses str with anything but ASCII in it (a header
    # may hold any byte); constant time, so the token cannot be guessed a byte at a time.
    return hmac.compare_digest(credentials.strip().encode("utf-8", "replace"),
                               token.encode("utf-8", "replace"))
