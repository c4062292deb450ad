from django.contrib import admin
from django.urls import include, path

from uptime.accounts.web.views import AdminLoginView, GuardedLoginView
from uptime.views import badge, healthz, metrics

urlpatterns = [
    # Every sign-in page is the guarded one (lockout, second factor): the admin's, and the
    # browsable API's, which would otherwise be Django's plain LoginView.
    path("admin/login/", AdminLoginView.as_view(), name="admin-login"),
    path("api/session/login/", GuardedLoginView.as_view(
        template_name="rest_framework/login.html"), name="api-session-login"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Public, no login: a badge's key is its secret, /metrics wants UPTIME_METRICS_TOKEN.
    path("badge/<slug:key>/<slug:name>.svg", badge, name="badge"),
    path("metrics", metrics, name="metrics"),
    path("api/", include("uptime.api.urls")),
    path("ping/", include("monitors.api.ping_urls")),
    # Log in and out of the browsable API with the session (the admin login works too).
    path("api/session/", include("rest_framework.urls")),
    # The web frontend: dashboard, monitors, incidents, login (uptime/web/urls.py).
    path("", include("uptime.web.urls")),
]
