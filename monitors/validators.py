import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

_url_syntax = URLValidator(schemes=["http", "https"])
MAX_HEADER_NAME_LENGTH = 200
MAX_HEADER_VALUE_LENGTH = 4000
_region_name = re.compile(r"[-a-zA-Z0-9_]{1,40}")


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


MAX_DNS_EXPECTED = 20
MAX_DNS_VALUE_LENGTH = 1000


def validate_dns_expected(value: object) -> None:
    """dns_expected: a list of answers, e.g. ["203.0.113.7"]; empty means any answer."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(
            'Give the expected answers as a list of strings, e.g. ["203.0.113.7"].'
        )
    if len(value) > MAX_DNS_EXPECTED:
        raise ValidationError("At most %(max)s expected answers.", params={"max": MAX_DNS_EXPECTED})
    if any(not item.strip() or len(item) > MAX_DNS_VALUE_LENGTH for item in value):
        raise ValidationError(
            "Expected answers may not be empty and have at most %(max)s characters.",
            params={"max": MAX_DNS_VALUE_LENGTH},
        )


def validate_dns_resolver(value: str) -> None:
    """dns_resolver: ip, ip:port, [ipv6]:port or a bare IPv6 address; empty: the system's."""
    if not value:
        return
    from .kinds.dns import parse_resolver

    try:
        parse_resolver(value)
    except ValueError:
        raise ValidationError(
            "Give the resolver as an IP address with an optional port, e.g. 9.9.9.9 or "
            "192.0.2.53:5353 or [2001:db8::53]:53 (got %(value)s).",
            params={"value": value[:60]},
        ) from None


def validate_assertions(value: object) -> None:
    """assertions: a list (at most 20) of objects, each with a known type and its keys."""
    from .kinds.assertions import assertion_problems

    if problems := assertion_problems(value):
        raise ValidationError(problems)


MAX_REGIONS = 10


def validate_regions(value: object) -> None:
    """A list of distinct region names, each a slug (it names the queue checks.<region>)."""
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValidationError('Give a list of region names, e.g. ["us", "in"].')
    bad = [name for name in value if not _region_name.fullmatch(name)]
    if bad:
        raise ValidationError(
            "Region names are letters, digits, - and _, at most 40 (got %(bad)s).",
            params={"bad": ", ".join(repr(name) for name in bad)},
        )
    if len(set(value)) != len(value):
        raise ValidationError("Each region may be listed once.")
    if len(value) > MAX_REGIONS:
        raise ValidationError("At most %(max)s regions.", params={"max": MAX_REGIONS})
