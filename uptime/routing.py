"""The websocket side of the ASGI application (config/asgi.py): /ws/status/ for signed-in
people and apps, /ws/status/<slug>/ for anyone viewing a public status page."""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from django.urls import path

from .consumers import PublicStatusPageConsumer, StatusConsumer
from .ws_auth import BrowserOriginValidator, TokenAuthMiddleware


def signed_in(application):
    """Sessions and tokens, and the Origin check that keeps other sites' pages out."""
    return BrowserOriginValidator(AuthMiddlewareStack(TokenAuthMiddleware(application)))


def websocket_application():
    return URLRouter([
        path("ws/status/", signed_in(StatusConsumer.as_asgi()), name="status-socket"),
        # Public and read-only: no auth to check, and any Origin (a page on its own domain).
        path("ws/status/<slug:slug>/", PublicStatusPageConsumer.as_asgi(),
             name="status-page-socket"),
    ])
