from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

_url_syntax = URLValidator(schemes=["http", "https"])
MAX_HEADER_NAME_LENGTH = 200
MAX_HEADER_VALUE_LENGTH = 4000


def validate_target_url(value: str) -> None:
    """Only http(s) URLs with a host; the message says which part is wrong."""
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:  # an unbalanced "[" or "]" in the host
        raise ValidationError("Enter a valid URL.", code="invalid") from None
    if scheme not in {"http", "https"}:
        raise ValidationError(
            "Only http:// and https:// URLs can be monitored (got %(scheme)s).",
            code="invalid_scheme",
            params={"scheme": f"{scheme}:" if scheme else "no scheme"},
        )
    _url_syntax(value)


def validate_status_codes(value: object) -> None:
    if not isinstance(value, list) or not all(
        isinstance(code, int) and not isinstance(code, bool) for code in value
    ):
        raise ValidationError("Give a list of HTTP status codes, e.g. [200, 204].")
    bad = [code for code in value if not 100 <= code <= 599]
    if bad:
        raise ValidationError(
            "Status codes must be between 100 and 599 (got %(bad)s).",
            params={"bad": ", ".join(map(str, bad))},
        )
    if len(value) > 50:
        raise ValidationError("At most 50 expected status codes.")


def validate_request_headers(value: object) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationError('Give headers as an object of strings, e.g. {"X-Api-Key": "..."}.')
    for name, header_value in value.items():
        if not name or any(c in name for c in " :\r\n") or any(c in header_value for c in "\r\n"):
            raise ValidationError(
                "Header %(name)r is not a valid HTTP header.", params={"name": name}
            )
    if len(value) > 30:
        raise ValidationError("At most 30 request headers.")
    # Every check sends them: a monitor must not store megabytes of headers.
    if any(
        len(name) > MAX_HEADER_NAME_LENGTH or len(header_value) > MAX_HEADER_VALUE_LENGTH
        for name, header_value in value.items()
    ):
        raise ValidationError(
            "Header names may have at most %(names)s characters and values at most %(values)s.",
            params={"names": MAX_HEADER_NAME_LENGTH, "values": MAX_HEADER_VALUE_LENGTH},
        )
