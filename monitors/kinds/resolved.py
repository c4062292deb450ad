"""The address a database check connects to: resolved here, within the deadline, and let
through the private-network guard before any driver opens a socket to it.

Database drivers resolve host names themselves, where the guard cannot see the answer; so the
postgres and redis executors hand their drivers the address chosen here and keep the host
name only for TLS (server name and certificate check).
"""

import socket

from ..netguard import AddressPolicy, BlockedAddressError, DNSTimeoutError, Lookup, resolve
from ..outcomes import Outcome
from ..probe import ProbeFailure

# The lookup's share of the deadline is capped like the HTTP probe's connect.
MAX_LOOKUP_SECONDS = 5


def guarded_address(host: str, port: int, *, policy: AddressPolicy, remaining: float,
                    lookup: Lookup = socket.getaddrinfo) -> str:
    """The first address of `host` that the policy allows, or ProbeFailure (dns_failure,
    blocked_address)."""
    try:
        addresses = resolve(host, port, timeout=min(MAX_LOOKUP_SECONDS, remaining), lookup=lookup)
    except DNSTimeoutError as exc:
        raise ProbeFailure(Outcome.DNS_FAILURE, str(exc)) from None
    except socket.gaierror:
        raise ProbeFailure(Outcome.DNS_FAILURE, f"could not resolve {host}") from None
    blocked: BlockedAddressError | None = None
    for *_, sockaddr in addresses:
        address = sockaddr[0]
        try:
            policy.check(address)
        except BlockedAddressError as exc:
            blocked = blocked or exc
            continue
        return address
    if blocked is None:
        raise ProbeFailure(Outcome.DNS_FAILURE, f"{host} has no address")
    message = str(blocked) if blocked.address == host else f"{host}: {blocked}"
    raise ProbeFailure(Outcome.BLOCKED_ADDRESS, message)


def hide(secret: str | None, text: str) -> str:
    """`text` with every occurrence of `secret` replaced by ***: no message a check stores
    may carry the target's password, whatever a driver or server chose to repeat."""
    return text.replace(secret, "***") if secret else text
