"""Kind `tcp`: does `tcp://host:port` accept a connection within the timeout?

`open_connection` is also the first step of the `tls` kind: a bounded lookup, the private
network guard, then a plain connect, each failure reported as the outcome it is.
"""

import socket
import time
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from ..netguard import (
    AddressPolicy,
    BlockedAddressError,
    DNSTimeoutError,
    Lookup,
    bind_source,
    resolve,
)
from ..outcomes import CheckSpec, Outcome, ProbeResult
from ..probe import Deadline, ProbeFailure
from . import Executor


def split_target(url: str, *, scheme: str, form: str, default_port: int | None) -> tuple[str, int]:
    """(host, port) of a `scheme://host[:port]` target, or ValidationError saying what is wrong
    in terms of `form`, the shape the user should write."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a port out of range or not a number, an unbalanced "[" in the host
        raise ValidationError(
            "Enter a target like %(form)s, with a port between 1 and 65535.",
            params={"form": form}, code="invalid",
        ) from None
    if parts.scheme.lower() != scheme:
        got = f"{parts.scheme}://" if parts.scheme else "no scheme"
        raise ValidationError(
            "Enter a target like %(form)s (got %(got)s).",
            params={"form": form, "got": got}, code="invalid_scheme",
        )
    if not parts.hostname:
        raise ValidationError(
            "The target has no host: enter it like %(form)s.", params={"form": form},
            code="invalid",
        )
    if port is None and default_port is None:
        raise ValidationError(
            "The target has no port: enter it like %(form)s.", params={"form": form},
            code="invalid",
        )
    if port == 0:
        raise ValidationError("The port must be between 1 and 65535.", code="invalid")
    if parts.username is not None or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValidationError(
            "Only a host and a port are checked: enter the target like %(form)s, "
            "without a user, path or query.",
            params={"form": form}, code="invalid",
        )
    # The host's own syntax (names, IPv4, bracketed IPv6), as the http kind checks it.
    URLValidator(schemes=[scheme], message=f"{url[:100]} has no valid host name.")(
        f"{scheme}://{parts.netloc}"
    )
    return parts.hostname, port or default_port


def where(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def open_connection(host: str, port: int, *, deadline: Deadline, policy: AddressPolicy,
                    lookup: Lookup, source_address: str | None = None
                    ) -> tuple[socket.socket, int]:
    """A socket connected to host:port and the milliseconds the connect took, or ProbeFailure.

    Each address is checked before a single packet is sent to it: the address a socket
    connects to is the one passed to connect(), so the guard sees exactly the address
    actually connected to, and a private one is never even sent a SYN. Any address of the
    answer that is not allowed blocks the check, as it does for http, rather than quietly
    trying the next one.
    """
    target = where(host, port)
    try:
        addresses = resolve(host, port, timeout=deadline.remaining(), lookup=lookup)
    except DNSTimeoutError as exc:
        raise ProbeFailure(Outcome.DNS_FAILURE, str(exc)) from None
    except (socket.gaierror, UnicodeError):
        raise ProbeFailure(Outcome.DNS_FAILURE, f"could not resolve {host}") from None
    error: OSError | None = None
    for family, socktype, proto, _, address in addresses:
        try:
            policy.check(address[0])
        except BlockedAddressError as blocked:
            message = str(blocked) if blocked.address == host else f"{host}: {blocked}"
            raise ProbeFailure(Outcome.BLOCKED_ADDRESS, message) from None
        remaining = deadline.remaining()
        if remaining <= 0:
            break  # settimeout(0) would make the connect non-blocking, not instant failure
        sock = socket.socket(family, socktype, proto)
        sock.settimeout(remaining)
        started = time.monotonic()
        try:
            bind_source(sock, source_address)
            sock.connect(address)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        return sock, int((time.monotonic() - started) * 1000)
    if isinstance(error, ConnectionRefusedError):
        raise ProbeFailure(Outcome.CONNECTION_REFUSED, f"connection refused by {target}")
    if error is None or isinstance(error, TimeoutError):
        raise ProbeFailure(Outcome.TIMEOUT, f"connecting to {target} {deadline.describe()}")
    raise ProbeFailure(
        Outcome.CONNECTION_ERROR,
        f"connecting to {target} failed: {error.strerror or error}",
    )


class TcpExecutor(Executor):
    """Kind `tcp`: a connection accepted is a success, timed by the connect alone. Nothing
    is sent; the connection is closed at once."""

    FORM = "tcp://host:port"

    def __init__(self, *, allow_private: bool, allowed_addresses: frozenset[str] = frozenset(),
                 lookup: Lookup = socket.getaddrinfo, source_address: str | None = None
                 ) -> None:
        self.policy = AddressPolicy(allow_private, allowed_addresses)
        # getaddrinfo, or a stand-in (a test needs a lookup that hangs).
        self.lookup = lookup
        self.source_address = source_address

    @classmethod
    def validate_target(cls, url: str) -> None:
        split_target(url, scheme="tcp", form=cls.FORM, default_port=None)

    def run(self, spec: CheckSpec) -> ProbeResult:
        deadline = Deadline(spec.timeout_seconds)
        try:
            host, port = split_target(spec.url, scheme="tcp", form=self.FORM, default_port=None)
        except ValidationError as error:
            return ProbeResult(Outcome.INVALID_URL, " ".join(error.messages))
        try:
            sock, connect_ms = open_connection(
                host, port, deadline=deadline, policy=self.policy, lookup=self.lookup,
                source_address=self.source_address,
            )
        except ProbeFailure as failure:
            return ProbeResult(failure.outcome, failure.message, None, deadline.elapsed_ms())
        sock.close()
        return ProbeResult(Outcome.OK, f"connected to {where(host, port)}", None, connect_ms)
