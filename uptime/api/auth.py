"""Device sign-in: register, log in and log out with hashed, expiring, per-device knox tokens.

Every login creates a token of its own, so each device is revoked on its own (logout);
the web frontend and the browsable API keep using the session.
"""

from django.contrib.auth import authenticate, get_user_model, password_validation
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from knox.models import get_token_model
from knox.settings import knox_settings
from knox.views import LogoutView as KnoxLogoutView
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from uptime.accounts import backends, totp
from uptime.accounts.api.serializers import PasswordSerializer
from uptime.accounts.api.views import LOCKED, BodyOnDeleteSchema, SignInLocked, delete_me
from uptime.accounts.models import TokenDevice
from uptime.registration import CLOSED_MESSAGE, registration_is_open

from .authentication import TokenAuthentication
from .schema import THROTTLED, error_response
from .serializers import RejectUnknownFieldsMixin
from .throttles import ScopedThrottle

User = get_user_model()
# The username doubles as the login email, so an email may be only as long as a username.
EMAIL_MAX_LENGTH = User._meta.get_field("username").max_length


def normalized_email(email: str) -> str:
    # Addresses are compared case-insensitively in practice; storing one spelling avoids
    # two accounts for Alice@Example.com and alice@example.com.
    return email.strip().lower()


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "username", "is_staff", "date_joined"]
        read_only_fields = fields


class CredentialsSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    email = serializers.EmailField(max_length=EMAIL_MAX_LENGTH)
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, write_only=True, style={"input_type": "password"}
    )

    device_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True,
        help_text="What to call this device in the list of sessions (e.g. \"Alice's iPhone\"); "
        "the User-Agent when left out.",
    )

    def validate_email(self, email: str) -> str:
        return normalized_email(email)


class RegisterSerializer(CredentialsSerializer):
    def validate_email(self, email: str) -> str:
        email = super().validate_email(email)
        if User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
            raise serializers.ValidationError("An account with this email already exists.")
        return email

    def validate(self, attrs: dict) -> dict:
        candidate = User(username=attrs["email"], email=attrs["email"])
        try:
            password_validation.validate_password(attrs["password"], candidate)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": list(error.messages)}) from error
        return attrs

    def create(self, validated_data: dict):
        email = validated_data["email"]
        return User.objects.create_user(
            username=email, email=email, password=validated_data["password"]
        )


class LoginSerializer(CredentialsSerializer):
    otp = serializers.CharField(
        max_length=32, required=False, allow_blank=True,
        help_text="With two-factor on: the 6-digit code from the authenticator app, or one of "
        "the recovery codes (each works once). Without it the answer is {\"otp_required\": true}.",
    )

    def validate(self, attrs: dict) -> dict:
        request = self.context["request"]
        user = authenticate(
            request, username=username_for(attrs["email"]), password=attrs["password"]
        )
        if user is None:
            if seconds := backends.seconds_locked(request):
                raise SignInLocked(seconds)
            # One message for an unknown email and a wrong password: no account probing.
            raise serializers.ValidationError(
                "Unable to log in with this email and password.", code="authorization"
            )
        if totp.must_enrol(user):
            raise exceptions.PermissionDenied(totp.MUST_ENROL_MESSAGE)
        attrs["user"] = user
        attrs["otp_required"] = totp.is_enabled(user) and not attrs.get("otp")
        if totp.is_enabled(user) and attrs.get("otp") and not totp.verify(user, attrs["otp"]):
            if seconds := backends.record_failure(request, attrs["email"]):
                raise SignInLocked(seconds)
            raise serializers.ValidationError({"otp": ["This code is wrong or was used already."]})
        return attrs


def username_for(email: str) -> str:
    """Accounts made through the API use their email as username; accounts made in the admin
    may not, so fall back to the one account that has this email."""
    if User.objects.filter(username=email).exists():
        return email
    matches = list(User.objects.filter(email__iexact=email).values_list("username", flat=True)[:2])
    return matches[0] if len(matches) == 1 else email


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send as "Authorization: Token <token>".')
    expiry = serializers.DateTimeField(
        help_text="When the token stops working unless it is used: every use extends it."
    )
    user = UserSerializer()


class OtpRequiredSerializer(serializers.Serializer):
    otp_required = serializers.BooleanField(
        help_text="The password was right and two-factor is on: send the same request again "
        "with \"otp\"."
    )


def issue_token(request, user, device_name: str = "") -> dict:
    instance, token = get_token_model().objects.create(user=user, expiry=knox_settings.TOKEN_TTL)
    name = device_name or request.META.get("HTTP_USER_AGENT", "")
    TokenDevice.objects.create(token=instance, name=name[:100])
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return {"token": token, "expiry": instance.expiry, "user": user}


class AuthEndpoint(APIView):
    # No authentication: a stale token or session on the device must not block signing in.
    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedThrottle]
    throttle_scope = "auth"


class RegisterView(AuthEndpoint):
    @extend_schema(
        operation_id="auth_register",
        request=RegisterSerializer,
        responses={
            201: TokenSerializer,
            403: error_response("Sign-up is closed (UPTIME_REGISTRATION=closed)."),
            429: THROTTLED,
        },
        tags=["auth"],
        summary="Create an account and a token for this device",
    )
    def post(self, request):
        # Closed sign-up is refused before the payload is read: a closed server says nothing
        # about which emails have accounts.
        if not registration_is_open():
            raise exceptions.PermissionDenied(CLOSED_MESSAGE)
        serializer = RegisterSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            user = serializer.save()
            body = issue_token(request, user, serializer.validated_data.get("device_name", ""))
        return Response(TokenSerializer(body).data, status=status.HTTP_201_CREATED)


class LoginView(AuthEndpoint):
    @extend_schema(
        operation_id="auth_login",
        request=LoginSerializer,
        responses={
            200: PolymorphicProxySerializer(
                component_name="LoginResult",
                serializers=[TokenSerializer, OtpRequiredSerializer],
                resource_type_field_name=None,
            ),
            403: error_response(
                "A staff account without two-factor while UPTIME_STAFF_REQUIRE_2FA is on."
            ),
            429: error_response(
                "Throttled, or too many failed sign-ins from this address or for this account: "
                "wait the Retry-After header's seconds (the right password is refused until then)."
            ),
        },
        tags=["auth"],
        summary="Get a token for this device",
    )
    def post(self, request):
        serializer = LoginSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["otp_required"]:
            return Response({"otp_required": True})
        body = issue_token(
            request, serializer.validated_data["user"],
            serializer.validated_data.get("device_name", ""),
        )
        return Response(TokenSerializer(body).data)


class LogoutView(KnoxLogoutView):
    """Revokes the token this request was made with; the user's other devices stay signed in."""

    authentication_classes = [TokenAuthentication]

    @extend_schema(
        operation_id="auth_logout",
        request=None,
        responses={204: OpenApiResponse(description="The token no longer works.")},
        tags=["auth"],
        summary="Revoke this device's token",
    )
    def post(self, request, format=None):
        return super().post(request, format)


class MeView(APIView):
    schema = BodyOnDeleteSchema()
    @extend_schema(operation_id="me", responses=UserSerializer, tags=["auth"])
    def get(self, request):
        return Response(UserSerializer(request.user).data)

    @extend_schema(
        operation_id="me_delete",
        request=PasswordSerializer,
        responses={
            204: OpenApiResponse(description=(
                "The account is gone, with its monitors (and their schedules), channels, "
                "devices, status pages and tokens; its sockets are closed."
            )),
            429: LOCKED,
        },
        tags=["auth"],
        summary="Delete this account and everything it owns (asks for the password)",
    )
    def delete(self, request):
        return delete_me(request)
