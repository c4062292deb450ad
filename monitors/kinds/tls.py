"""Kind `tls`: does `https://host[:port]` complete a TLS handshake with a certificate that a
browser would accept, and how long until that certificate expires? A certificate that expires
within the monitor's tls_warn_days makes the check `degraded`.

The connection is made as the `tcp` kind makes it (bounded lookup, private network guard on
the address connected to); the handshake then verifies the chain against the CA bundle that
requests uses (certifi) and the certificate's names against the host, sent as SNI.
"""

import datetime
import socket
import ssl

import certifi
from django.core.exceptions import ValidationError

from ..certificates import certificate_seen, expires_soon, expiry_message
from ..netguard import AddressPolicy, Lookup
from ..outcomes import CertificateSeen, CheckSpec, Outcome, ProbeResult
from ..probe import Cutoff, Deadline, ProbeFailure, _tls_reason
from ..watchdog import watchdog
from . import Executor
from .tcp import open_connection, split_target, where

DEFAULT_WARN_DAYS = 14

# OpenSSL's X509_V_ERR_* codes (ssl.SSLCertVerificationError.verify_code) for each outcome.
EXPIRED_CODES = frozenset({10})  # CERT_HAS_EXPIRED
WRONG_HOST_CODES = frozenset({62, 64})  # HOSTNAME_MISMATCH, IP_ADDRESS_MISMATCH
UNKNOWN_CA_CODES = frozenset({
    2,   # UNABLE_TO_GET_ISSUER_CERT
    18,  # DEPTH_ZERO_SELF_SIGNED_CERT
    19,  # SELF_SIGNED_CERT_IN_CHAIN
    20,  # UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    21,  # UNABLE_TO_VERIFY_LEAF_SIGNATURE
})


def verification_outcome(error: ssl.SSLCertVerificationError) -> Outcome:
    if error.verify_code in EXPIRED_CODES:
        return Outcome.TLS_EXPIRED
    if error.verify_code in WRONG_HOST_CODES:
        return Outcome.TLS_WRONG_HOST
    if error.verify_code in UNKNOWN_CA_CODES:
        return Outcome.TLS_UNKNOWN_CA
    return Outcome.TLS_ERROR


class TlsExecutor(Executor):
    """Kind `tls`. A verified handshake is a success, timed from the connect to the end of
    the handshake; its message says when the certificate expires, and it is degraded when
    that is within tls_warn_days. The result carries the certificate (expiry, fingerprint)."""

    FORM = "https://host[:port]"

    def __init__(self, *, allow_private: bool, allowed_addresses: frozenset[str] = frozenset(),
                 lookup: Lookup = socket.getaddrinfo, verify: bool | str = True,
                 source_address: str | None = None) -> None:
        self.policy = AddressPolicy(allow_private, allowed_addresses)
        self.lookup = lookup
        self.source_address = source_address
        # True for certifi's bundle, as requests (and so the http kind) uses; or the path of
        # another bundle (tests bring their own CA).
        self.context = ssl.create_default_context(
            cafile=certifi.where() if verify is True else verify
        )

    @classmethod
    def validate_target(cls, url: str) -> None:
        split_target(url, scheme="https", form=cls.FORM, default_port=443)

    def run(self, spec: CheckSpec) -> ProbeResult:
        deadline = Deadline(spec.timeout_seconds)
        try:
            host, port = split_target(spec.url, scheme="https", form=self.FORM, default_port=443)
        except ValidationError as error:
            return ProbeResult(Outcome.INVALID_URL, " ".join(error.messages))
        warn_days = spec.options.get("tls_warn_days") or DEFAULT_WARN_DAYS
        # A handshake is many reads: a server that answers each just in time would outlast a
        # per-read timeout, so the socket is shut down at the deadline, as the http probe does.
        cutoff = Cutoff()
        alarm = watchdog.call_at(deadline.started + deadline.seconds, cutoff.fire)
        try:
            certificate = self._handshake(host, port, deadline, cutoff)
        except ProbeFailure as failure:
            return ProbeResult(failure.outcome, failure.message, None, deadline.elapsed_ms())
        finally:
            alarm.cancel()
            cutoff.close()
        now = datetime.datetime.now(tz=datetime.UTC)
        soon = expires_soon(certificate.expires_at, warn_days, now)
        outcome = Outcome.DEGRADED if soon else Outcome.OK
        return ProbeResult(
            outcome, expiry_message(certificate.expires_at, now, warn_days), None,
            deadline.elapsed_ms(), certificate=certificate,
        )

    def _handshake(self, host: str, port: int, deadline: Deadline, cutoff: Cutoff
                   ) -> CertificateSeen:
        sock, _ = open_connection(
            host, port, deadline=deadline, policy=self.policy, lookup=self.lookup,
            source_address=self.source_address,
        )
        target = where(host, port)
        try:
            cutoff.watch(sock)
            remaining = deadline.remaining()
            if remaining <= 0:
                raise ProbeFailure(Outcome.TIMEOUT, deadline.describe())
            sock.settimeout(remaining)
            # server_hostname sends SNI and makes the handshake check the certificate's names.
            with self.context.wrap_socket(sock, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
        except ssl.SSLCertVerificationError as error:
            if cutoff.fired:
                raise ProbeFailure(Outcome.TIMEOUT, deadline.describe()) from None
            raise ProbeFailure(
                verification_outcome(error), f"{target}: {_tls_reason(error)}"
            ) from None
        except OSError as error:  # ssl.SSLError included
            if cutoff.fired or isinstance(error, TimeoutError):
                raise ProbeFailure(
                    Outcome.TIMEOUT, f"TLS handshake with {target} {deadline.describe()}"
                ) from None
            if isinstance(error, ssl.SSLError):
                reason = _tls_reason(error)
            else:  # the server closed or reset the connection mid-handshake
                reason = error.strerror or str(error) or type(error).__name__
            raise ProbeFailure(
                Outcome.TLS_ERROR, f"TLS handshake with {target} failed: {reason}"
            ) from None
        finally:
            sock.close()
        return certificate_seen(der)
