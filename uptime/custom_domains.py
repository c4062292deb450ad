"""Status pages on their owners' own domains: a request whose Host is a page's custom domain
gets that page at / (and its fragment), and nothing else of the site.

Such a Host need not be in ALLOWED_HOSTS. Django checks the Host header so that a forged one
cannot end up in links the site builds (password resets, absolute URLs) or in caches keyed by
host; a custom domain is matched exactly against the domains pages have claimed, and the page
served is the same whatever the Host, built with relative links only. Any other Host goes on
to Django's check as before. The middleware sits after WhiteNoise, so /static/ works on a
custom domain, and before sessions, CSRF and the rest, which a public page does not use.

A Host that is this server's own (SITE_URL, ALLOWED_HOSTS' exact names) or could not be a
page's domain (an IP address, a name without a dot) is passed on without a lookup; any other
costs one cache read (a miss, one query, remembered for a few minutes).
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port

from monitors.status_pages import own_hosts

from . import public_pages


class CustomDomainMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        domain = requested_domain(request)
        page_id = public_pages.page_id_for_domain(domain) if domain else None
        if page_id is None:
            return self.get_response(request)
        from .web.public_views import serve_on_custom_domain

        return serve_on_custom_domain(request, page_id)


def requested_domain(request: HttpRequest) -> str | None:
    """The Host's name (lower case, no port), unless it is one of this server's own."""
    if settings.USE_X_FORWARDED_HOST and "HTTP_X_FORWARDED_HOST" in request.META:
        host = request.META["HTTP_X_FORWARDED_HOST"]
    else:
        host = request.META.get("HTTP_HOST", "")
    domain, _ = split_domain_port(host)
    if not domain or domain in own_hosts():
        return None
    return domain
