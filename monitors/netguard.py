"""Keep checks and webhooks away from private networks.

A URL's host name says nothing reliable about where a request goes: DNS can answer with a
private address, or with a public one at validation time and a private one later (DNS
rebinding). So the guard checks the peer of every socket right after it connects, before a
single byte of the request (or of a TLS handshake) is sent, and on every redirect hop.
"""

import ipaddress
from dataclasses import dataclass, field
from functools import partial

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


def is_public_address(ip: str) -> bool:
    """True for an address on the public internet; False for anything local, private,
    link-local (169.254.169.254 is the cloud metadata service), shared (100.64.0.0/10),
    multicast, reserved or unspecified, and for anything that is not an address at all."""
    try:
        # getpeername() reports IPv6 link-local peers with a "%scope" suffix.
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # ::ffff:127.0.0.1 reaches 127.0.0.1 on a dual-stack socket.
        address = address.ipv4_mapped
    # is_global already excludes most of these, but not multicast, and its tables have
    # changed between Python releases; the explicit list keeps the guard's meaning fixed.
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


class BlockedAddressError(Exception):
    """The connection reached an address the policy does not allow.

    Deliberately not an OSError: urllib3 would wrap an OSError, retry it and hand requests a
    generic ConnectionError, while a plain exception reaches the caller unchanged.
    """

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__(
            f"{address} is not a public address; "
            "set UPTIME_ALLOW_PRIVATE_TARGETS=1 to allow private targets"
        )


@dataclass(frozen=True)
class AddressPolicy:
    allow_private: bool = False
    # Exact addresses let through even though they are not public; tests use it to allow one
    # loopback address while proving that another is still blocked.
    allowed_addresses: frozenset[str] = field(default_factory=frozenset)

    def check(self, address: str) -> None:
        if self.allow_private or address in self.allowed_addresses:
            return
        if not is_public_address(address):
            raise BlockedAddressError(address)


class _PeerCheckingConnectionMixin:
    def __init__(self, *args, address_policy: AddressPolicy, **kwargs) -> None:
        self.address_policy = address_policy
        super().__init__(*args, **kwargs)

    def _new_conn(self):
        sock = super()._new_conn()
        try:
            self.address_policy.check(sock.getpeername()[0])
        except BaseException:
            sock.close()
            raise
        return sock


class GuardedHTTPConnection(_PeerCheckingConnectionMixin, HTTPConnection):
    pass


# HTTPSConnection.connect() wraps the socket from _new_conn() in TLS afterwards, so the check
# happens before the handshake.
class GuardedHTTPSConnection(_PeerCheckingConnectionMixin, HTTPSConnection):
    pass


class GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class GuardedHTTPAdapter(HTTPAdapter):
    """A requests transport whose every connection is checked against `policy`."""

    def __init__(self, policy: AddressPolicy, **kwargs) -> None:
        # HTTPAdapter.__init__ builds the pool manager, which needs the policy.
        self.policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        # Pools pass unknown keyword arguments on to each connection they create.
        self.poolmanager.pool_classes_by_scheme = {
            "http": partial(GuardedHTTPConnectionPool, address_policy=self.policy),
            "https": partial(GuardedHTTPSConnectionPool, address_policy=self.policy),
        }

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        # Through a proxy the guard would only ever see the proxy's address.
        raise requests.exceptions.InvalidProxyURL("proxies are not supported by the guard")


def guarded_session(
    *,
    allow_private: bool,
    user_agent: str,
    allowed_addresses: frozenset[str] = frozenset(),
) -> requests.Session:
    """A session for URLs that users supply. Callers should pass allow_redirects=False and
    follow redirects themselves if at all, so that they decide which headers travel on."""
    session = requests.Session()
    # Proxy variables would route around the guard, and .netrc would leak credentials to
    # whatever host a user types in.
    session.trust_env = False
    adapter = GuardedHTTPAdapter(AddressPolicy(allow_private, allowed_addresses))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    return session
