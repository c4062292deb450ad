"""/api/v1/auth/...: password change and reset, sessions and devices, two-factor; and
DELETE /api/v1/me. Thin: the rules are in accounts/."""

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import get_token_model
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from uptime.accounts import backends, passwords, totp
from uptime.accounts import throttles as reset_throttle
from uptime.accounts.deletion import delete_account
from uptime.accounts.lockout import account_key, client_address, seconds_locked, wait_message
from uptime.accounts.models import TokenDevice
from uptime.accounts.sessions import devices_of
from uptime.api.schema import THROTTLED, error_response
from uptime.api.throttles import ScopedThrottle

from . import serializers as bodies

NO_CONTENT = OpenApiResponse(description="Done.")
LOCKED = error_response(
    "Too many wrong passwords or codes for this account or from this address: wait the "
    "Retry-After header's seconds."
)


class SignInLocked(exceptions.Throttled):
    def __init__(self, seconds: int) -> None:
        super().__init__(wait=seconds, detail=wait_message(seconds))


def check_password(request, password: str, field: str = "password") -> None:
    """The signed-in user's own password, asked again before something that cannot be undone.
    Wrong ones count toward the lockout like a failed sign-in: a stolen token must not become
    a way to guess the password."""
    user = request.user
    if seconds := seconds_locked(client_address(request), account_key(user.get_username())):
        raise SignInLocked(seconds)
    if not user.check_password(password):
        if seconds := backends.record_failure(request, user.get_username()):
            raise SignInLocked(seconds)
        raise serializers.ValidationError({field: ["This is not your password."]})


def current_session_key(request) -> str | None:
    # A request signed in by its session (the browsable API), not by a token.
    if request.auth is None and hasattr(request, "session"):
        return request.session.session_key
    return None


class PasswordChangeView(APIView):
    @extend_schema(
        operation_id="auth_password_change",
        request=bodies.PasswordChangeSerializer,
        responses={204: NO_CONTENT, 429: LOCKED},
        tags=["auth"],
        summary="Change the password; every other token and session is signed out",
    )
    def post(self, request):
        body = bodies.PasswordChangeSerializer(data=request.data, context={"user": request.user})
        body.is_valid(raise_exception=True)
        check_password(request, body.validated_data["old_password"], field="old_password")
        passwords.set_new_password(
            request.user, body.validated_data["new_password"],
            keep_token=request.auth, keep_session_key=current_session_key(request),
        )
        if current_session_key(request):
            update_session_auth_hash(request, request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetEndpoint(APIView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedThrottle]


class PasswordResetView(PasswordResetEndpoint):
    # Counted in the view, once the email is known: per address and per email, shared with the
    # web page (uptime/accounts/throttles.py).
    throttle_classes = []

    @extend_schema(
        operation_id="auth_password_reset",
        request=bodies.PasswordResetSerializer,
        responses={202: OpenApiResponse(description=(
            "Accepted, whether or not an account has this email (no account probing): if one "
            "has, a one-time link is on its way."
        )), 429: THROTTLED},
        tags=["auth"],
        summary="Mail a password reset link",
    )
    def post(self, request):
        body = bodies.PasswordResetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if seconds := reset_throttle.seconds_to_wait(request, body.validated_data["email"]):
            raise exceptions.Throttled(wait=seconds)
        passwords.send_reset_mail(body.validated_data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(PasswordResetEndpoint):
    throttle_scope = "auth"

    @extend_schema(
        operation_id="auth_password_reset_confirm",
        request=bodies.PasswordResetConfirmSerializer,
        responses={204: NO_CONTENT, 429: THROTTLED},
        tags=["auth"],
        summary="Set a new password with the mailed link's uid and token; signs out everywhere",
    )
    def post(self, request):
        body = bodies.PasswordResetConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            passwords.reset_password(**body.validated_data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionListView(APIView):
    @extend_schema(
        operation_id="auth_sessions",
        responses=bodies.SessionSerializer(many=True),
        tags=["auth"],
        summary="The devices signed in to this account (one API token each)",
    )
    def get(self, request):
        context = {"current_token": request.auth if isinstance(
            request.auth, get_token_model()) else None}
        return Response(
            bodies.SessionSerializer(devices_of(request.user), many=True, context=context).data
        )


class SessionDetailView(APIView):
    @extend_schema(
        operation_id="auth_session_revoke",
        responses={204: NO_CONTENT},
        tags=["auth"],
        summary="Sign one device out (its token stops working and its sockets close)",
    )
    def delete(self, request, id: int):
        device = TokenDevice.objects.filter(pk=id, token__user=request.user).first()
        if device is None:
            raise exceptions.NotFound()
        get_token_model().objects.filter(pk=device.token_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class TwoFactorView(APIView):
    @extend_schema(operation_id="auth_2fa", responses=bodies.TwoFactorStatusSerializer,
                   tags=["auth"], summary="Whether two-factor sign-in is on")
    def get(self, request):
        user = request.user
        return Response({
            "enabled": totp.is_enabled(user),
            "required": bool(user.is_staff and settings.UPTIME_STAFF_REQUIRE_2FA),
        })


class TwoFactorSetupView(APIView):
    @extend_schema(
        operation_id="auth_2fa_setup",
        request=None,
        responses={201: bodies.TwoFactorSetupSerializer,
                   409: error_response("Two-factor is on already: turn it off first.")},
        tags=["auth"],
        summary="Start enrolling: a new secret, in force once confirmed with a code",
    )
    def post(self, request):
        if totp.is_enabled(request.user):
            return Response({"detail": "Two-factor sign-in is on already: turn it off first."},
                            status=status.HTTP_409_CONFLICT)
        two_factor = totp.start_enrolment(request.user)
        return Response(
            {"secret": two_factor.secret, "otpauth_uri": totp.provisioning_uri(two_factor)},
            status=status.HTTP_201_CREATED,
        )


class TwoFactorConfirmView(APIView):
    @extend_schema(
        operation_id="auth_2fa_confirm",
        request=bodies.CodeSerializer,
        responses={200: bodies.RecoveryCodesSerializer},
        tags=["auth"],
        summary="Turn two-factor on with a first code; answers the recovery codes, once",
    )
    def post(self, request):
        body = bodies.CodeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        codes = totp.confirm_enrolment(request.user, body.validated_data["code"])
        if codes is None:
            raise serializers.ValidationError(
                {"code": ["This code is wrong, or no enrolment was started (POST auth/2fa/setup)."]}
            )
        return Response({"recovery_codes": codes})


class TwoFactorDisableView(APIView):
    @extend_schema(
        operation_id="auth_2fa_disable",
        request=bodies.DisableTwoFactorSerializer,
        responses={204: NO_CONTENT, 429: LOCKED},
        tags=["auth"],
        summary="Turn two-factor off (password and a code)",
    )
    def post(self, request):
        body = bodies.DisableTwoFactorSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        check_password(request, body.validated_data["password"])
        if not totp.verify(request.user, body.validated_data["code"]):
            raise serializers.ValidationError({"code": ["This code is wrong or was used already."]})
        totp.disable(request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RecoveryCodesView(APIView):
    @extend_schema(
        operation_id="auth_2fa_recovery_codes",
        request=bodies.NewRecoveryCodesSerializer,
        responses={200: bodies.RecoveryCodesSerializer, 429: LOCKED,
                   409: error_response("Two-factor sign-in is off: there are no recovery codes.")},
        tags=["auth"],
        summary="New recovery codes in place of the old ones (password or a code from the app)",
    )
    def post(self, request):
        body = bodies.NewRecoveryCodesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = request.user
        if not totp.is_enabled(user):
            return Response({"detail": "Two-factor sign-in is off: there are no recovery codes."},
                            status=status.HTTP_409_CONFLICT)
        if password := body.validated_data.get("password"):
            check_password(request, password)
        else:
            check_app_code(request, body.validated_data["code"])
        return Response({"recovery_codes": totp.new_recovery_codes(user)})


def check_app_code(request, code: str) -> None:
    """A code from the app in place of the password; wrong ones count toward the lockout."""
    user = request.user
    if seconds := seconds_locked(client_address(request), account_key(user.get_username())):
        raise SignInLocked(seconds)
    if not totp.verify_app_code(user, code):
        if seconds := backends.record_failure(request, user.get_username()):
            raise SignInLocked(seconds)
        raise serializers.ValidationError({"code": ["This code is wrong or was used already."]})


class BodyOnDeleteSchema(AutoSchema):
    """drf-spectacular leaves the body out of every DELETE; DELETE /me has one (the password),
    and a client written from the document must know it."""

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE":
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"


def delete_me(request) -> Response:
    body = bodies.PasswordSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    check_password(request, body.validated_data["password"])
    delete_account(request.user)
    return Response(status=status.HTTP_204_NO_CONTENT)
