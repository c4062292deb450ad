"""Keep checks and webhooks away from private networks.

A URL's host name says nothing reliable about where a request goes: DNS can answer with a
private address, or with a public one at validation time and a private one later (DNS
rebinding). So the guard checks the peer of every socket right after it connects, before a
single byte of the request (or of a TLS handshake) is sent, and on every redirect hop.

The guarded connections also resolve the host themselves, waiting for the lookup at most the
connect timeout: getaddrinfo blocks and cannot be interrupted, so it runs in a small shared
pool of lookup threads, and one that hangs is abandoned there (DNSTimeoutError) rather than
holding the caller past its deadline.
"""

import ipaddress
import os
import socket
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeoutError
from dataclasses import dataclass, field
from functools import partial

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import _set_socket_options, allowed_gai_family

# Lookups in flight at once per process; more wait their turn (within their own timeout).
LOOKUP_THREADS = 16
# When a connection has no timeout at all: a lookup is still never waited for forever.
DEFAULT_LOOKUP_SECONDS = 10.0

# (host, port, family, type) -> getaddrinfo()'s list; socket.getaddrinfo by default.
Lookup = Callable[[str, int, int, int], list]


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
    # UPTIME_ALLOWED_PRIVATE_NETWORKS: private networks a team opens on purpose (its own
    # Redis on 10.0.3.0/24) without opening every private address. Read when a policy is made,
    # so every guard (checks of every kind, webhooks) honours the same setting.
    allowed_networks: tuple = field(default_factory=lambda: configured_private_networks())

    def check(self, address: str) -> None:
        if self.allow_private or address in self.allowed_addresses:
            return
        if not is_public_address(address) and not self._in_allowed_network(address):
            raise BlockedAddressError(address)

    def _in_allowed_network(self, address: str) -> bool:
        if not self.allowed_networks:
            return False
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.allowed_networks)


def parse_networks(values: list[str]) -> tuple:
    """CIDRs as written in UPTIME_ALLOWED_PRIVATE_NETWORKS; a bad one is a ValueError naming it
    (settings refuse to start with one, so a running process never meets it)."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"UPTIME_ALLOWED_PRIVATE_NETWORKS: {value!r} is not a network such as 10.0.0.0/8"
            ) from None
    return tuple(networks)


def configured_private_networks() -> tuple:
    from django.conf import settings

    return parse_networks(getattr(settings, "UPTIME_ALLOWED_PRIVATE_NETWORKS", []))


class DNSTimeoutError(Exception):
    """A DNS lookup did not answer in time. Not an OSError, for the same reason as
    BlockedAddressError: it reaches the caller unchanged."""

    def __init__(self, host: str, seconds: float) -> None:
        self.host, self.seconds = host, seconds
        super().__init__(f"DNS lookup for {host} did not answer within {seconds:.1f} s")


_lookup_pool: ThreadPoolExecutor | None = None
_lookup_pool_pid = 0
_lookup_pool_lock = threading.Lock()


def _lookup_threads() -> ThreadPoolExecutor:
    global _lookup_pool, _lookup_pool_pid
    with _lookup_pool_lock:
        # A forked child inherits the executor but none of its threads.
        if _lookup_pool is None or _lookup_pool_pid != os.getpid():
            _lookup_pool = ThreadPoolExecutor(LOOKUP_THREADS, thread_name_prefix="dns")
            _lookup_pool_pid = os.getpid()
        return _lookup_pool


def _forget_lookup_lock_after_fork() -> None:
    global _lookup_pool_lock
    _lookup_pool_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_lookup_lock_after_fork)


def resolve(host: str, port: int, *, timeout: float | None,
            lookup: Lookup = socket.getaddrinfo) -> list:
    """getaddrinfo() for a TCP connection, waited for at most `timeout` seconds.

    Raises socket.gaierror as getaddrinfo does, or DNSTimeoutError. An address needs no
    lookup and skips the thread hand-over.
    """
    family = allowed_gai_family()
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    else:
        return socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    seconds = DEFAULT_LOOKUP_SECONDS if timeout is None else timeout
    future = _lookup_threads().submit(lookup, host, port, family, socket.SOCK_STREAM)
    try:
        return future.result(timeout=seconds)
    except FutureTimeoutError:
        # Not yet started: it never will. Started: it finishes in its thread, unheard.
        future.cancel()
        raise DNSTimeoutError(host, seconds) from None


class _PeerCheckingConnectionMixin:
    def __init__(self, *args, address_policy: AddressPolicy, lookup: Lookup = socket.getaddrinfo,
                 on_connect: Callable[[socket.socket], None] | None = None,
                 on_certificate: Callable[[bytes], None] | None = None, **kwargs) -> None:
        self.address_policy = address_policy
        self.lookup = lookup
        self.on_connect = on_connect
        self.on_certificate = on_certificate
        super().__init__(*args, **kwargs)

    def _new_conn(self):
        # urllib3's own _new_conn, with the lookup bounded (see resolve()).
        timeout = self.timeout if isinstance(self.timeout, int | float) else None
        try:
            host = self._dns_host.strip("[]")  # an IPv6 address may come bracketed
            addresses = resolve(host, self.port, timeout=timeout, lookup=self.lookup)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        sock = self._connect_first(addresses, timeout)
        try:
            self.address_policy.check(sock.getpeername()[0])
        except BaseException:
            sock.close()
            raise
        sys.audit("http.client.connect", self, self.host, self.port)
        if self.on_connect is not None:
            self.on_connect(sock)
        return sock

    def _connect_first(self, addresses: list, timeout: float | None) -> socket.socket:
        """Try each address in turn, as urllib3's create_connection() does."""
        error: OSError | None = None
        for family, socktype, proto, _, address in addresses:
            sock = None
            try:
                sock = socket.socket(family, socktype, proto)
                _set_socket_options(sock, self.socket_options)
                sock.settimeout(timeout)
                if self.source_address:
                    sock.bind(self.source_address)
                sock.connect(address)
                return sock
            except OSError as exc:
                error = exc
                if sock is not None:
                    sock.close()
        if isinstance(error, TimeoutError):
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={timeout})"
            ) from error
        raise NewConnectionError(
            self, f"Failed to establish a new connection: {error or 'no address'}"
        ) from error


class GuardedHTTPConnection(_PeerCheckingConnectionMixin, HTTPConnection):
    pass


# HTTPSConnection.connect() wraps the socket from _new_conn() in TLS afterwards, so the check
# happens before the handshake.
class GuardedHTTPSConnection(_PeerCheckingConnectionMixin, HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        # Handed over now: by the time a caller holds the response, http.client may have let
        # go of the socket (a response that closes the connection), or urllib3 the connection.
        if self.on_certificate is not None:
            self.on_certificate(self.sock.getpeercert(binary_form=True))


class GuardedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class GuardedHTTPAdapter(HTTPAdapter):
    """A requests transport whose every connection is checked against `policy`.

    `lookup` replaces getaddrinfo (a test makes one that hangs); `on_connect` sees every
    socket right after the guard let it through (the probe's watchdog keeps hold of them);
    `on_certificate` gets the DER certificate of every TLS connection once its handshake is
    done (the probe reports its expiry).
    """

    def __init__(self, policy: AddressPolicy, *, lookup: Lookup = socket.getaddrinfo,
                 on_connect: Callable[[socket.socket], None] | None = None,
                 on_certificate: Callable[[bytes], None] | None = None,
                 source_address: str | None = None, **kwargs) -> None:
        # HTTPAdapter.__init__ builds the pool manager, which needs these.
        self.policy = policy
        self.connection_options = {
            "address_policy": policy, "lookup": lookup, "on_connect": on_connect,
            "on_certificate": on_certificate,
        }
        if source_address:
            # urllib3's connections bind to it (_connect_first below).
            self.connection_options["source_address"] = (source_address, 0)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        # Pools pass unknown keyword arguments on to each connection they create.
        self.poolmanager.pool_classes_by_scheme = {
            "http": partial(GuardedHTTPConnectionPool, **self.connection_options),
            "https": partial(GuardedHTTPSConnectionPool, **self.connection_options),
        }

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        # Through a proxy the guard would only ever see the proxy's address.
        raise requests.exceptions.InvalidProxyURL("proxies are not supported by the guard")


def guarded_session(
    *,
    allow_private: bool,
    user_agent: str,
    allowed_addresses: frozenset[str] = frozenset(),
    lookup: Lookup = socket.getaddrinfo,
    on_connect: Callable[[socket.socket], None] | None = None,
    on_certificate: Callable[[bytes], None] | None = None,
    source_address: str | None = None,
) -> requests.Session:
    """A session for URLs that users supply. Callers should pass allow_redirects=False and
    follow redirects themselves if at all, so that they decide which headers travel on."""
    session = requests.Session()
    # Proxy variables would route around the guard, and .netrc would leak credentials to
    # whatever host a user types in.
    session.trust_env = False
    adapter = GuardedHTTPAdapter(
        AddressPolicy(allow_private, allowed_addresses), lookup=lookup, on_connect=on_connect,
        on_certificate=on_certificate, source_address=source_address,
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    return session


def bind_source(sock: socket.socket, source_address: str | None) -> None:
    """Connect from `source_address` (UPTIME_SOURCE_ADDRESS: the address of a region's
    network on a multi-homed host), when one is set. An address of the other IP family cannot
    be reached from it: the bind fails, and so does that connection, rather than leaving from
    another address than the region's."""
    if source_address:
        sock.bind((source_address, 0))
