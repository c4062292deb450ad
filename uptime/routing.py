"""The websocket side of the ASGI application (config/asgi.py): /ws/status/."""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from django.urls import path

from .consumers import StatusConsumer
from .ws_auth import BrowserOriginValidator, TokenAuthMiddleware

websocket_urlpatterns = [
    path("ws/status/", StatusConsumer.as_asgi(), name="status-socket"),
]


def websocket_application():
    return BrowserOriginValidator(
        AuthMiddlewareStack(TokenAuthMiddleware(URLRouter(websocket_urlpatterns)))
    )
