import re

from django.core.exceptions import ValidationError

# APNs tokens are 32 bytes today; Apple warns that they may grow, so allow longer ones.
APNS_TOKEN = re.compile(r"[0-9a-fA-F]{64,200}")


def validate_apns_token(value: str) -> None:
    if not APNS_TOKEN.fullmatch(value) or len(value) % 2:
        raise ValidationError(
            "An APNs device token is an even number (64 or more) of hexadecimal digits.",
            code="invalid_token",
        )
