"""/ping/...: everything under it answers in plain text, a malformed uuid or action included
(a 404 "not found", not the web app's HTML page), since curl in a crontab is the client."""

from django.urls import re_path

from .pings import ping

urlpatterns = [
    # <uuid>, <uuid>/start, <uuid>/fail, <uuid>/<exit-code>, each with or without a final /.
    re_path(r"^(?P<token>[^/]*)(?:/(?P<action>.*?))?/?$", ping, name="ping"),
]
