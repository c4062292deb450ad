"""What a single check can conclude, with no Django models involved."""

from dataclasses import dataclass, field

from django.db import models


class Outcome(models.TextChoices):
    OK = "ok", "OK"
    WRONG_STATUS = "wrong_status", "Unexpected status code"
    TIMEOUT = "timeout", "Timed out"
    CONNECTION_REFUSED = "connection_refused", "Connection refused"
    DNS_FAILURE = "dns_failure", "DNS lookup failed"
    TLS_ERROR = "tls_error", "TLS error"
    TLS_EXPIRED = "tls_expired", "TLS certificate expired"
    TLS_WRONG_HOST = "tls_wrong_host", "TLS certificate for another host"
    TLS_UNKNOWN_CA = "tls_unknown_ca", "TLS certificate from an unknown authority"
    BODY_TOO_LARGE = "body_too_large", "Response body too large"
    TOO_MANY_REDIRECTS = "too_many_redirects", "Too many redirects"
    BLOCKED_ADDRESS = "blocked_address", "Target address not allowed"
    INVALID_URL = "invalid_url", "Invalid URL"
    CONNECTION_ERROR = "connection_error", "Connection error"
    ASSERTION_FAILED = "assertion_failed", "Assertion failed"
    AUTH_FAILED = "auth_failed", "Authentication failed"
    ERROR = "error", "Check error"


@dataclass(frozen=True)
class CheckSpec:
    """Everything a probe needs to know about one check, copied off the monitor."""

    url: str
    kind: str = "http"
    method: str = "GET"
    # Empty means "any 2xx".
    expected_status_codes: tuple[int, ...] = ()
    timeout_seconds: float = 10
    headers: tuple[tuple[str, str], ...] = ()
    # The kind's own options (Monitor.check_spec lists them), read by its executor only.
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ProbeResult:
    outcome: Outcome
    message: str
    status_code: int | None = None
    response_ms: int | None = None

    @property
    def is_up(self) -> bool:
        return self.outcome == Outcome.OK
