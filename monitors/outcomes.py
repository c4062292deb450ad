"""What a single check can conclude, with no Django models involved."""

from dataclasses import dataclass, field
from datetime import datetime

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
    MISSED_HEARTBEAT = "missed_heartbeat", "Heartbeat missed"
    HEARTBEAT_FAILED = "heartbeat_failed", "Job reported a failure"
    # Up, but not well: a "degrade" assertion failed, or the certificate expires soon. It
    # counts as up (it resolves an incident and never opens one) and makes the status amber.
    DEGRADED = "degraded", "Degraded"
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
class CertificateSeen:
    """The certificate a TLS check was shown: enough to warn once per certificate."""

    expires_at: datetime
    # SHA-256 of the DER certificate, hex: a renewed certificate is a new one to warn about.
    fingerprint: str


UP_OUTCOMES = frozenset({Outcome.OK, Outcome.DEGRADED})


@dataclass(frozen=True)
class ProbeResult:
    outcome: Outcome
    message: str
    status_code: int | None = None
    response_ms: int | None = None
    # The server's certificate, when the check went over TLS and saw one.
    certificate: CertificateSeen | None = None

    @property
    def is_up(self) -> bool:
        return self.outcome in UP_OUTCOMES

    @property
    def is_degraded(self) -> bool:
        return self.outcome == Outcome.DEGRADED
