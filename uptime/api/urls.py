"""/api/v1/ (the resources and device auth), /api/schema/ (OpenAPI 3) and /api/docs/."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from incidents.api.views import IncidentViewSet
from monitors.api.views import MaintenanceWindowViewSet, MonitorViewSet
from notifications.api.views import DeviceViewSet, NotificationChannelViewSet

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

v1 = [
    re_path(r"^auth/register/?$", auth.RegisterView.as_view(), name="register"),
    re_path(r"^auth/login/?$", auth.LoginView.as_view(), name="login"),
    re_path(r"^auth/logout/?$", auth.LogoutView.as_view(), name="logout"),
    re_path(r"^me/?$", auth.MeView.as_view(), name="me"),
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
    re_path(r"^(?P<path>.*)$", unknown_endpoint),
]
