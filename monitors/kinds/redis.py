"""Kind `redis`: `PING` within the check's timeout, after `AUTH` when the URL has a password.

The target is `redis://[[user]:password@]host:6379/0`, or `rediss://` for TLS. The host is
resolved and guarded here (resolved.py); redis-py's connection then opens its socket to that
address, with the host name kept for TLS (server name and certificate check). No retries: a
check is one attempt, and the pipeline's failure threshold decides what a failure means.
"""

import socket
import ssl
from urllib.parse import unquote, urlsplit

import redis
from django.core.exceptions import ValidationError
from redis.backoff import NoBackoff
from redis.retry import Retry

from ..netguard import AddressPolicy, Lookup, bind_source
from ..outcomes import CheckSpec, Outcome, ProbeResult
from ..probe import Cutoff, Deadline, ProbeFailure, causes
from ..watchdog import watchdog
from . import Executor
from .resolved import guarded_address, hide

SCHEMES = ("redis", "rediss")
DEFAULT_PORT = 6379
FORM = "redis://[:password@]host:6379/0"


class RedisTarget:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.tls = parts.scheme == "rediss"
        self.host = parts.hostname or ""
        self.port = parts.port or DEFAULT_PORT
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.db = int(parts.path.strip("/") or 0)

    @property
    def where(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def validate_redis_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError as exc:
        raise ValidationError(f"Not a valid Redis URL: {exc}.") from None
    if parts.scheme not in SCHEMES:
        raise ValidationError(f"A redis check takes a URL like {FORM} (or rediss:// for TLS).")
    if not parts.hostname:
        raise ValidationError(f"The URL has no host: {FORM}.")
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise ValidationError(
            f"The URL's path is the database number (0, 1, …), not {db[:20]!r}."
        )
    if parts.query:
        raise ValidationError("A redis URL takes no query: host, port, password and db only.")


class _AddressedConnection(redis.Connection):
    """Connects to `address` (already guarded) rather than resolving `host` again."""

    def __init__(self, *, address: str, cutoff: Cutoff, source_address: str | None = None,
                 **kwargs) -> None:
        self.address, self.cutoff, self.source_address = address, cutoff, source_address
        super().__init__(**kwargs)

    def _connect(self):
        return _open_socket(self)


class _AddressedSSLConnection(redis.SSLConnection):
    def __init__(self, *, address: str, cutoff: Cutoff, source_address: str | None = None,
                 **kwargs) -> None:
        self.address, self.cutoff, self.source_address = address, cutoff, source_address
        super().__init__(**kwargs)

    def _connect(self):
        sock = _open_socket(self)
        try:
            # Wrapped with server_hostname=self.host: the name, not the address.
            return self._wrap_socket_with_ssl(sock)
        except (OSError, redis.RedisError):
            sock.close()
            raise


def _open_socket(connection) -> socket.socket:
    family = socket.AF_INET6 if ":" in connection.address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(connection.socket_connect_timeout)
        connection.cutoff.watch(sock)
        bind_source(sock, connection.source_address)
        sock.connect((connection.address, connection.port))
        sock.settimeout(connection.socket_timeout)
    except BaseException:
        sock.close()
        raise
    return sock


class RedisCheck(Executor):
    validate_target = staticmethod(validate_redis_url)

    def __init__(self, *, allow_private: bool, allowed_addresses: frozenset[str] = frozenset(),
                 lookup: Lookup = socket.getaddrinfo, ssl_ca_certs: str | None = None,
                 source_address: str | None = None) -> None:
        self.policy = AddressPolicy(allow_private, allowed_addresses)
        self.lookup = lookup
        self.source_address = source_address
        # None: the system's CAs. Tests bring their own CA.
        self.ssl_ca_certs = ssl_ca_certs

    def run(self, spec: CheckSpec) -> ProbeResult:
        deadline = Deadline(spec.timeout_seconds)
        try:
            target = RedisTarget(spec.url)
        except ValueError as exc:
            return ProbeResult(Outcome.INVALID_URL, f"invalid URL: {exc}")
        cutoff = Cutoff()
        alarm = watchdog.call_at(deadline.started + deadline.seconds, cutoff.fire)
        connection = None
        try:
            address = guarded_address(target.host, target.port, policy=self.policy,
                                      remaining=deadline.remaining(), lookup=self.lookup)
            connection = self._connection(target, address, cutoff, deadline)
            connection.connect()  # AUTH and SELECT happen here
            connection.send_command("PING")
            answer = connection.read_response()
            response_ms = deadline.elapsed_ms()
            if answer in (True, b"PONG", "PONG"):
                outcome, message = Outcome.OK, f"PING answered PONG by {target.where}"
            else:
                outcome, message = Outcome.ERROR, f"PING answered {answer!r}"[:200]
        except ProbeFailure as failure:
            outcome, message, response_ms = failure.outcome, failure.message, None
        except Exception as exc:
            if type(exc).__name__ == "SoftTimeLimitExceeded":
                raise
            outcome, message = classify(exc, target)
            if cutoff.fired and outcome != Outcome.AUTH_FAILED:
                outcome, message = Outcome.TIMEOUT, deadline.describe()
            response_ms = None
        finally:
            alarm.cancel()
            if connection is not None:
                connection.disconnect()
            cutoff.close()
        message = hide(target.password, message)
        return ProbeResult(outcome, message, None,
                           response_ms if response_ms is not None else deadline.elapsed_ms())

    def _connection(self, target: RedisTarget, address: str, cutoff: Cutoff,
                    deadline: Deadline) -> redis.Connection:
        remaining = deadline.remaining()
        if remaining <= 0:
            raise ProbeFailure(Outcome.TIMEOUT, deadline.describe())
        options = {
            "address": address,
            "cutoff": cutoff,
            "source_address": self.source_address,
            "host": target.host,
            "port": target.port,
            "db": target.db,
            "username": target.username,
            "password": target.password,
            "socket_connect_timeout": remaining,
            "socket_timeout": remaining,
            "retry_on_timeout": False,
            "retry": Retry(NoBackoff(), 0),
            "health_check_interval": 0,
            "client_name": None,
            # RESP2: AUTH, SELECT and PING as plain commands (RESP3 would begin with HELLO,
            # whose refusal without a password is a paragraph rather than NOAUTH).
            "protocol": 2,
        }
        if target.tls:
            return _AddressedSSLConnection(
                **options, ssl_cert_reqs="required", ssl_check_hostname=True,
                ssl_ca_certs=self.ssl_ca_certs,
            )
        return _AddressedConnection(**options)


def classify(exc: Exception, target: RedisTarget) -> tuple[Outcome, str]:
    chain = causes(exc)

    def first(*types: type[BaseException]) -> BaseException | None:
        return next((cause for cause in chain if isinstance(cause, types)), None)

    where = target.where
    text = str(exc)
    if auth := first(redis.AuthenticationError):
        # redis-py drops the WRONGPASS / NOAUTH code and keeps the server's words.
        return Outcome.AUTH_FAILED, f"{where}: authentication failed: {auth}"[:200]
    if "AUTH" in text and isinstance(exc, redis.ResponseError):
        # e.g. "AUTH <password> called without any password configured for the default user"
        return Outcome.AUTH_FAILED, f"{where}: authentication failed: {text}"[:200]
    if first(ConnectionRefusedError) or "Connection refused" in text:
        return Outcome.CONNECTION_REFUSED, f"connection refused by {where}"
    if tls := first(ssl.SSLError, ssl.CertificateError):
        return Outcome.TLS_ERROR, f"TLS error with {where}: {tls}"[:200]
    if first(redis.TimeoutError, TimeoutError, socket.timeout):
        return Outcome.TIMEOUT, f"{where} did not answer in time"
    if isinstance(exc, redis.ConnectionError | OSError):
        return Outcome.CONNECTION_ERROR, f"connection to {where} failed: {text}"[:200]
    return Outcome.ERROR, f"{type(exc).__name__}: {text}"[:200]
