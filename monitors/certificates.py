"""A server certificate as the checks see it (kind `tls`, and `http` on https://): when it
expires, whether that is soon enough to warn about, and how to say so."""

import datetime
import hashlib

from cryptography import x509

from .outcomes import CertificateSeen


def certificate_seen(der: bytes) -> CertificateSeen:
    """The expiry and SHA-256 fingerprint of a DER certificate, as the TLS socket handed it
    over (getpeercert(binary_form=True)). Called once per TLS connection."""
    expires_at = x509.load_der_x509_certificate(der).not_valid_after_utc
    return CertificateSeen(expires_at=expires_at, fingerprint=hashlib.sha256(der).hexdigest())


def days_left(expires_at: datetime.datetime, now: datetime.datetime | None = None) -> int:
    """Whole days until expiry, rounded down: 0 on its last day."""
    return (expires_at - (now or datetime.datetime.now(tz=datetime.UTC))).days


def expires_soon(expires_at: datetime.datetime, warn_days: int,
                 now: datetime.datetime | None = None) -> bool:
    """Within the monitor's tls_warn_days: the check is degraded and a warning is due."""
    return days_left(expires_at, now) < warn_days


def expiry_message(not_after: datetime.datetime, now: datetime.datetime, warn_days: int) -> str:
    """'valid until 2027-01-03, 37 days', or 'expires in 5 days (...)' within warn_days."""
    days = days_left(not_after, now)
    until = not_after.strftime("%Y-%m-%d %H:%M UTC") if days < 1 else f"{not_after:%Y-%m-%d}"
    if days < warn_days:
        in_days = "today" if days < 1 else f"in {days} day{'s' if days != 1 else ''}"
        return f"expires {in_days} (valid until {until})"
    return f"valid until {until}, {days} days"
