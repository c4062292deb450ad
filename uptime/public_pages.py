"""Serving public status pages to many viewers at the cost of one.

A page is rendered once (monitors/public_status.py, templates/status/) into its HTML, the
fragment its live viewers refetch, and its overall status for the badge, and kept in the
Django cache (Redis). Requests read the copy: a thousand viewers cost Redis reads, not the
database. A copy is fresh for FRESH_SECONDS (the day bars and maintenance move with the
clock); after that the first request to take the render lock renders it again while the
others are still served the copy they have, so an expiry never sends every viewer to the
database at once.

What changes a page (a monitor's status flipping, an incident opening, resolving or getting an
update, the page or its monitors edited, a maintenance window) re-renders it at once, where
the change committed, and only then tells the page's websocket group "status_page.changed":
every viewer's refetch finds the new copy already cached. uptime.live.publish_events calls
refresh_pages_of_monitors() for the events that matter; a check that changes nothing about a
page (the steady state) costs nothing here. Changes to one page while it renders are not
lost: they mark it dirty, and the render that holds the lock renders again.
"""

import logging
import re
import time

import redis
from django.core.cache import cache
from django.template.loader import render_to_string

from monitors.public_status import build_public_page
from monitors.status_pages import StatusPage, is_hostname

from . import live

logger = logging.getLogger(__name__)

FRESH_SECONDS = 60
# A copy is kept this long after it went stale, to serve while a request renders the next.
KEEP_SECONDS = 3600
# How long a lookup of a slug or domain is remembered (edits forget it at once).
LOOKUP_SECONDS = 300
RENDER_LOCK_SECONDS = 30
# Renders in a row for changes that kept arriving while the page rendered; past this, the
# page is left marked stale and the next request renders it.
MAX_RERENDERS = 5
NOT_FOUND = 0
# What the cache raises while Redis is away.
REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError, OSError)

_slug = re.compile(r"[a-z0-9-]{1,60}")


def page_group(page_id: int) -> str:
    """The websocket group of a page's public viewers (uptime/consumers.py)."""
    return f"status.page.{page_id}"


def _copy_key(page_id: int) -> str:
    return f"status-page:{page_id}"


def _lock_key(page_id: int) -> str:
    return f"status-page-render:{page_id}"


def _dirty_key(page_id: int) -> str:
    return f"status-page-dirty:{page_id}"


def _slug_key(slug: str) -> str:
    return f"status-page-slug:{slug}"


def _domain_key(domain: str) -> str:
    return f"status-page-domain:{domain}"


# --- finding a page ---------------------------------------------------------------------------

def page_id_for_slug(slug: str) -> int | None:
    if not _slug.fullmatch(slug or ""):
        return None
    return _remembered(_slug_key(slug), lambda: StatusPage.objects.filter(slug=slug))


def page_id_for_domain(domain: str) -> int | None:
    """The page served at the root of `domain`; None for a name no page claims. Only names
    a page could claim are looked up, so a host such as "localhost" never costs a query."""
    if not is_hostname(domain):
        return None
    return _remembered(_domain_key(domain), lambda: StatusPage.objects.filter(
        custom_domain=domain))


def _remembered(key: str, pages) -> int | None:
    try:
        page_id = cache.get(key)
        if page_id is None:
            # A miss is remembered too: a stream of requests for a name no page has must not
            # become a stream of queries.
            page_id = pages().values_list("pk", flat=True).first() or NOT_FOUND
            cache.set(key, page_id, LOOKUP_SECONDS)
    except REDIS_DOWN:
        page_id = pages().values_list("pk", flat=True).first()
    return page_id or None


def forget_addresses(*, slugs=(), domains=()) -> None:
    """Drop remembered lookups, after a page's slug or domain changed or the page went."""
    keys = [_slug_key(slug) for slug in slugs if slug] + [
        _domain_key(domain) for domain in domains if domain]
    if keys:
        cache.delete_many(keys)


# --- the rendered copy ------------------------------------------------------------------------

def rendered(page_id: int) -> dict | None:
    """The page's copy: {"page", "fragment", "overall", "overall_label"}; None if no such
    page. Renders it when there is no fresh copy, unless another request is rendering it
    already and an older copy can be served meanwhile. With Redis down, every request renders
    it: a status page must stay up when part of the stack it reports on is not."""
    try:
        copy = cache.get(_copy_key(page_id))
        if copy is not None and copy["fresh_until"] > time.time():
            return copy
        if cache.add(_lock_key(page_id), 1, RENDER_LOCK_SECONDS):
            return _render_holding_lock(page_id, announce=False)
        return copy if copy is not None else _render(page_id)
    except REDIS_DOWN as error:
        logger.warning("status page %s served without its cache: %s", page_id, error)
        return _render(page_id, keep=False)


def refresh_pages(page_ids) -> None:
    """Render each page again now and tell its viewers. Never raises: a page that cannot be
    rendered keeps its copy until it goes stale."""
    for page_id in set(page_ids):
        try:
            cache.set(_dirty_key(page_id), 1, RENDER_LOCK_SECONDS)
            if cache.add(_lock_key(page_id), 1, RENDER_LOCK_SECONDS):
                _render_holding_lock(page_id, announce=True)
            # Otherwise the render in progress sees the dirty mark and renders again.
        except REDIS_DOWN as error:
            # Redis down: one line per page, not a traceback per transition. The page's copy
            # goes stale by itself, and its viewers refetch when their sockets come back.
            logger.warning("could not refresh status page %s: %s", page_id, error)
        except Exception:  # a status page must never fail a check or the edit that made it
            logger.warning("could not refresh status page %s", page_id, exc_info=True)


def refresh_pages_of_monitors(monitor_ids) -> None:
    """refresh_pages() for the pages that list any of `monitor_ids`: one query, which finds
    none for most monitors."""
    try:
        page_ids = list(StatusPage.objects.filter(entries__monitor_id__in=list(monitor_ids))
                        .values_list("pk", flat=True).distinct())
    except Exception:
        logger.warning("could not look up the status pages of monitors %s", monitor_ids,
                       exc_info=True)
        return
    refresh_pages(page_ids)


def _render_holding_lock(page_id: int, *, announce: bool) -> dict | None:
    try:
        for _ in range(MAX_RERENDERS):
            cache.delete(_dirty_key(page_id))
            copy = _render(page_id)
            if announce and copy is not None:
                live.publish_to_groups([page_group(page_id)], {"type": "status_page.changed"})
            if copy is None or not cache.get(_dirty_key(page_id)):
                return copy
            announce = True
        return copy
    finally:
        cache.delete(_lock_key(page_id))


def _render(page_id: int, *, keep: bool = True) -> dict | None:
    page = StatusPage.objects.filter(pk=page_id).first()
    if page is None:
        if keep:
            cache.delete(_copy_key(page_id))
        return None
    public = build_public_page(page)
    fragment = render_to_string("status/_page_body.html", {"public": public})
    copy = {
        "page": render_to_string("status/page.html", {"public": public, "fragment": fragment}),
        "fragment": fragment,
        "overall": public.overall.value,
        "overall_label": public.overall_label,
        "fresh_until": time.time() + FRESH_SECONDS,
    }
    if keep:
        cache.set(_copy_key(page_id), copy, KEEP_SECONDS)
    return copy
