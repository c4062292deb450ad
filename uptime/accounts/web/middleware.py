"""UPTIME_STAFF_REQUIRE_2FA for sessions: a signed-in staff user without two-factor is sent to
the enrolment page from every page (the web's, the admin's), and the API answers them 403.

Signing in already leads them there, but a session outlives the moment it was made: one from
before the setting was turned on, or a click away from the enrolment page, would otherwise open
everything, the admin included (its login refuses them, its pages only check is_staff).
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from uptime.accounts import totp

# Beside the enrolment page and signing out: what a load balancer or a page's assets ask for.
ALWAYS_OPEN_PREFIXES = ("/healthz",)


class StaffTwoFactorMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.is_held(request):
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": totp.MUST_ENROL_MESSAGE}, status=403)
            return redirect("web:two-factor")
        return self.get_response(request)

    def is_held(self, request: HttpRequest) -> bool:
        # Cheapest tests first: without the setting or a session cookie the session is not
        # read (reading it would add "Vary: Cookie" to public pages and badges).
        if not settings.UPTIME_STAFF_REQUIRE_2FA:
            return False
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return False
        if self.is_open(request.path_info):
            return False
        return request.user.is_authenticated and totp.must_enrol(request.user)

    @staticmethod
    def is_open(path: str) -> bool:
        open_paths = {reverse("web:two-factor"), reverse("web:logout"),
                      reverse("rest_framework:logout")}
        static = "/" + settings.STATIC_URL.lstrip("/")
        return path in open_paths or path.startswith((static, *ALWAYS_OPEN_PREFIXES))
