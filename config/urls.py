from django.contrib import admin
from django.urls import include, path

from uptime.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/", include("uptime.api.urls")),
    # Log in and out of the browsable API with the session (the admin login works too).
    path("api/session/", include("rest_framework.urls")),
    # The web frontend: dashboard, monitors, incidents, login (uptime/web/urls.py).
    path("", include("uptime.web.urls")),
]
