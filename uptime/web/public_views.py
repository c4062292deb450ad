"""Public status pages: /status/<slug>/, the fragment its live viewers refetch, its badge,
and the same at the root of a page's own domain (uptime/custom_domains.py). No login. While
the page's cached copy is fresh, a request costs two Redis reads and no query
(uptime/public_pages.py).
"""

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseNotFound,
)
from django.views.decorators.http import require_safe

from monitors.status_pages import OverallStatus
from uptime import badges, public_pages
from uptime.views import svg_response

# What a page is made of, by its path below /status/<slug>/ (or below / on its own domain).
PARTS = {"": "page", "fragment/": "fragment"}
BADGE = "badge.svg"
BLUE = "#007ec6"  # shields.io's "blue": planned work, neither good nor bad
# The badge's value and shields.io colour for each banner.
BADGES = {
    OverallStatus.OPERATIONAL: ("operational", badges.BRIGHTGREEN),
    OverallStatus.DEGRADED: ("degraded", badges.YELLOW),
    OverallStatus.PARTIAL_OUTAGE: ("partial outage", badges.ORANGE),
    OverallStatus.MAJOR_OUTAGE: ("major outage", badges.RED),
    OverallStatus.MAINTENANCE: ("maintenance", BLUE),
    OverallStatus.UNKNOWN: (badges.NO_DATA, badges.LIGHTGREY),
}


@require_safe
def status_page(request: HttpRequest, slug: str) -> HttpResponse:
    return serve(public_pages.page_id_for_slug(slug), "page")


@require_safe
def status_page_fragment(request: HttpRequest, slug: str) -> HttpResponse:
    return serve(public_pages.page_id_for_slug(slug), "fragment")


@require_safe
def status_page_badge(request: HttpRequest, slug: str) -> HttpResponse:
    return serve_badge(request, public_pages.page_id_for_slug(slug))


def serve_on_custom_domain(request: HttpRequest, page_id: int) -> HttpResponse:
    """A request to a page's custom domain: its page at /, its fragment and its badge,
    nothing else."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    path = request.path_info.lstrip("/")
    if path == BADGE:
        return serve_badge(request, page_id)
    part = PARTS.get(path)
    if part is None:
        return HttpResponseNotFound("Not found.", content_type="text/plain; charset=utf-8")
    return serve(page_id, part)


def serve(page_id: int | None, part: str) -> HttpResponse:
    copy = public_pages.rendered(page_id) if page_id is not None else None
    if copy is None:
        return HttpResponseNotFound(
            "No such status page.", content_type="text/plain; charset=utf-8")
    response = HttpResponse(copy[part])
    # The page may sit in a browser or proxy cache for as long as the server keeps its copy
    # fresh; the fragment is what live viewers refetch on a change, so it never may.
    response["Cache-Control"] = "public, max-age=30" if part == "page" else "no-cache"
    return response


def serve_badge(request: HttpRequest, page_id: int | None) -> HttpResponse:
    """The page's banner as a shields.io-style badge (uptime/badges.py), read from the same
    cached copy as the page: no query either."""
    copy = public_pages.rendered(page_id) if page_id is not None else None
    if copy is None:
        return svg_response(badges.render_badge("status", "not found", badges.LIGHTGREY),
                            status=404)
    value, colour = BADGES.get(copy["overall"], BADGES[OverallStatus.UNKNOWN])
    label = badges.custom_label(request.GET.get("label")) or "status"
    return svg_response(badges.render_badge(label, value, colour))
