"""/api/v1/ (the resources and device auth), /api/schema/ (OpenAPI 3) and /api/docs/."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from incidents.api.views import IncidentViewSet
from monitors.api.status_pages import StatusPageViewSet
from monitors.api.views import MaintenanceWindowViewSet, MonitorViewSet, RegionListView
from notifications.api.views import DeviceViewSet, NotificationChannelViewSet
from uptime.accounts.api import views as accounts

from . import auth


class Router(SimpleRouter):
    def __init__(self) -> None:
        super().__init__()
        # Clients may leave off the trailing slash: a device or script that POSTs to
        # /api/v1/monitors would otherwise be redirected, and a redirect drops a POST body.
        # The schema shows the slashed form.
        self.trailing_slash = "/?"


router = Router()
router.register("monitors", MonitorViewSet, basename="monitor")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("channels", NotificationChannelViewSet, basename="channel")
router.register("devices", DeviceViewSet, basename="device")
router.register(
    "maintenance-windows", MaintenanceWindowViewSet, basename="maintenance-window"
)
router.register("status-pages", StatusPageViewSet, basename="status-page")

v1 = [
    re_path(r"^auth/register/?$", auth.RegisterView.as_view(), name="register"),
    re_path(r"^auth/login/?$", auth.LoginView.as_view(), name="login"),
    re_path(r"^auth/logout/?$", auth.LogoutView.as_view(), name="logout"),
    re_path(r"^auth/password/change/?$", accounts.PasswordChangeView.as_view(),
            name="password-change"),
    re_path(r"^auth/password/reset/?$", accounts.PasswordResetView.as_view(),
            name="password-reset"),
    re_path(r"^auth/password/reset/confirm/?$", accounts.PasswordResetConfirmView.as_view(),
            name="password-reset-confirm"),
    re_path(r"^auth/sessions/?$", accounts.SessionListView.as_view(), name="sessions"),
    re_path(r"^auth/sessions/(?P<id>[0-9]+)/?$", accounts.SessionDetailView.as_view(),
            name="session"),
    re_path(r"^auth/2fa/?$", accounts.TwoFactorView.as_view(), name="2fa"),
    re_path(r"^auth/2fa/setup/?$", accounts.TwoFactorSetupView.as_view(), name="2fa-setup"),
    re_path(r"^auth/2fa/confirm/?$", accounts.TwoFactorConfirmView.as_view(),
            name="2fa-confirm"),
    re_path(r"^auth/2fa/recovery-codes/?$", accounts.RecoveryCodesView.as_view(),
            name="2fa-recovery-codes"),
    re_path(r"^auth/2fa/disable/?$", accounts.TwoFactorDisableView.as_view(),
            name="2fa-disable"),
    re_path(r"^me/?$", auth.MeView.as_view(), name="me"),
    re_path(r"^regions/?$", RegionListView.as_view(), name="regions"),
    *router.urls,
]


@csrf_exempt  # it changes nothing; without this a POST would get the CSRF failure page
def unknown_endpoint(request: HttpRequest, path: str) -> JsonResponse:
    # API clients parse every answer as JSON, a 404 for a mistyped path included; Django's
    # own 404 page is HTML.
    return JsonResponse({"detail": "Not found."}, status=404)


app_name = "api"
urlpatterns = [
    path("v1/", include(v1)),
    re_path(r"^schema/?$", SpectacularAPIView.as_view(), name="schema"),
    re_path(r"^docs/?$", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # (?s): a path may hold a newline (%0A), which a bare '.' does not match; such a path fell
    # through to Django's HTML 404.
    re_path(r"^(?P<path>(?s:.*))$", unknown_endpoint),
]
