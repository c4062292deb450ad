"""Request and response bodies of the account endpoints; validation lives here, the rules in
accounts/ (passwords.py, totp.py)."""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from uptime.accounts.models import TokenDevice
from uptime.api.serializers import RejectUnknownFieldsMixin

PASSWORD_FIELD = {"max_length": 128, "trim_whitespace": False, "style": {"input_type": "password"}}


class Strict(RejectUnknownFieldsMixin, serializers.Serializer):
    pass


class PasswordSerializer(Strict):
    password = serializers.CharField(**PASSWORD_FIELD, write_only=True)


class PasswordChangeSerializer(Strict):
    old_password = serializers.CharField(**PASSWORD_FIELD, write_only=True)
    new_password = serializers.CharField(**PASSWORD_FIELD, write_only=True)

    def validate(self, attrs: dict) -> dict:
        try:
            password_validation.validate_password(attrs["new_password"], self.context["user"])
        except DjangoValidationError as error:
            raise serializers.ValidationError({"new_password": list(error.messages)}) from error
        return attrs


class PasswordResetSerializer(Strict):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(Strict):
    uid = serializers.CharField(max_length=64, help_text="From the link in the mail.")
    token = serializers.CharField(max_length=128, help_text="From the link in the mail.")
    new_password = serializers.CharField(**PASSWORD_FIELD, write_only=True)


class SessionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(help_text="The device name sent at login (or its User-Agent).")
    expiry = serializers.DateTimeField(
        source="token.expiry", allow_null=True,
        help_text="When it stops working unless used again.",
    )
    current = serializers.SerializerMethodField(
        help_text="Whether this is the token the request was sent with."
    )

    class Meta:
        model = TokenDevice
        fields = ["id", "name", "created_at", "last_used_at", "expiry", "current"]
        read_only_fields = fields

    def get_current(self, device: TokenDevice) -> bool:
        token = self.context.get("current_token")
        return token is not None and device.token_id == token.pk


class TwoFactorStatusSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    required = serializers.BooleanField(
        help_text="This account must have it (staff, with UPTIME_STAFF_REQUIRE_2FA on)."
    )


class TwoFactorSetupSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="Base32, for typing into an authenticator app.")
    otpauth_uri = serializers.CharField(help_text="The otpauth:// URI, for a QR code.")


class CodeSerializer(Strict):
    code = serializers.CharField(max_length=32, help_text="A 6-digit code from the app.")


class RecoveryCodesSerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(
        child=serializers.CharField(),
        help_text="Shown once: each signs in once in place of a code from the app.",
    )


class DisableTwoFactorSerializer(Strict):
    password = serializers.CharField(**PASSWORD_FIELD, write_only=True)
    code = serializers.CharField(
        max_length=32, help_text="A code from the app, or a recovery code."
    )


class NewRecoveryCodesSerializer(Strict):
    password = serializers.CharField(
        **PASSWORD_FIELD, write_only=True, required=False,
        help_text="The account's password; or send code instead.",
    )
    code = serializers.CharField(
        max_length=32, required=False,
        help_text="A 6-digit code from the authenticator app (not a recovery code).",
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("password") and not attrs.get("code"):
            raise serializers.ValidationError(
                "Send the password or a code from the authenticator app."
            )
        return attrs
