"""One executor class per check kind, each with `run(spec) -> ProbeResult` that never raises
for anything the target does: the pipeline branches neither on kind nor on errors.

A run ends at its deadline whatever the target does, without help from Celery (whose threads
pool enforces no time limit): every socket the run opens is watched, and when the deadline
passes the watchdog shuts them all down, which ends a connect, a TLS handshake, a trickle of
headers or of body alike; the DNS lookup, which no socket can cut short, is waited for at
most the connect timeout (monitors/netguard.py). What is left of the run afterwards is
bookkeeping, and the result is a timeout.
"""

import datetime
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from .certificates import certificate_seen, expires_soon, expiry_message
from .kinds import Executor
from .kinds.assertions import Response, first_failure
from .netguard import BlockedAddressError, DNSTimeoutError, Lookup, guarded_session
from .outcomes import CertificateSeen, CheckSpec, Outcome, ProbeResult
from .validators import validate_target_url
from .watchdog import watchdog

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_CONNECT_SECONDS = 5
DEFAULT_TLS_WARN_DAYS = 14
BODY_CHUNK_BYTES = 64 * 1024
# Headers that carry credentials, which must not follow a redirect to another host.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
CREDENTIAL_NAME_PARTS = ("token", "key", "secret", "auth")


class Deadline:
    """One time budget for the whole run, every hop and body read included.

    Its timeouts bound each connect and each read; a server that trickles its status line,
    headers or body (each read getting a byte in time) is ended by the Cutoff instead.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.monotonic()

    def remaining(self) -> float:
        return max(0.0, self.started + self.seconds - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)

    def timeout(self) -> urllib3.Timeout:
        remaining = self.remaining()
        # `total` makes urllib3 give the read whatever the connect left over.
        return urllib3.Timeout(
            total=remaining, connect=min(MAX_CONNECT_SECONDS, remaining), read=remaining
        )

    def describe(self) -> str:
        return f"timed out after {self.seconds:.1f} s"


class Cutoff:
    """The sockets of one run, shut down together when its deadline passes.

    It keeps a duplicate of each socket's descriptor: shutting a socket down through any of
    its descriptors ends every blocked read on it, TLS included (an SSL socket takes over
    the descriptor of the plain one it wraps), and a descriptor of our own cannot have been
    closed and reused for another check's socket in the meantime.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.fired = False

    def watch(self, sock: socket.socket) -> None:
        duplicate = sock.dup()
        with self._lock:
            self._sockets.append(duplicate)
            if self.fired:
                _shut_down(duplicate)

    def fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                _shut_down(sock)

    def close(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            sock.close()


def _shut_down(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # Already closed by the other side: nothing left to cut off.


class _ThreadState(threading.local):
    """Each thread's requests session, reused from check to check, and the cut-off of the
    run it is doing now; while its first request is under way, the certificate (DER) its
    TLS connection showed."""

    session: requests.Session | None = None
    cutoff: Cutoff | None = None
    first_hop: bool = False
    certificate: bytes | None = None


@dataclass
class Hop:
    """The request being made; redirects rewrite it in place."""

    url: str
    method: str
    headers: dict[str, str] = field(default_factory=dict)
    # The certificate of the monitored URL's own host (the first hop, when it is https://),
    # kept through redirects: it is the one the monitor's owner is warned about.
    certificate: CertificateSeen | None = None

    @property
    def origin(self) -> tuple[str, str, int]:
        parts = urlsplit(self.url)
        default_port = 443 if parts.scheme == "https" else 80
        return parts.scheme, (parts.hostname or "").lower(), parts.port or default_port

    @property
    def where(self) -> str:
        _, host, port = self.origin
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def redirect(self, status: int, location: str) -> None:
        next_url = urljoin(self.url, location)
        if self.method not in ("GET", "HEAD") and status in (301, 302, 303):
            # What browsers do; the request had no body to resend anyway.
            self.method = "GET"
        if Hop(next_url, self.method).origin != self.origin:
            self.headers = {
                name: value for name, value in self.headers.items() if not carries_credentials(name)
            }
        self.url = next_url


class ProbeFailure(Exception):
    """Ends a run early with the outcome to report."""

    def __init__(self, outcome: Outcome, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.outcome, self.message, self.status_code = outcome, message, status_code


def carries_credentials(header_name: str) -> bool:
    name = header_name.lower()
    return name in CREDENTIAL_HEADERS or any(part in name for part in CREDENTIAL_NAME_PARTS)


def unsupported_url_reason(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError as exc:
        return f"invalid URL {url!r}: {exc}"
    if parts.scheme not in ("http", "https"):
        return f"only http:// and https:// URLs can be checked, not {url[:60]!r}"
    if not parts.hostname:
        return f"URL {url[:60]!r} has no host"
    return None


class HttpProbe(Executor):
    """Checks an http(s) URL: guarded against private addresses, bounded by one deadline,
    following redirects itself and reading at most `max_body_bytes` of the body. The
    executor of kind `http`."""

    validate_target = staticmethod(validate_target_url)

    def __init__(
        self,
        *,
        allow_private: bool,
        user_agent: str,
        max_body_bytes: int = 1024 * 1024,
        max_redirects: int = 5,
        verify: bool | str = True,
        allowed_addresses: frozenset[str] = frozenset(),
        lookup: Lookup = socket.getaddrinfo,
        source_address: str | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.source_address = source_address
        self.user_agent = user_agent
        self.max_body_bytes = max_body_bytes
        self.max_redirects = max_redirects
        # True for requests' CA bundle (certifi), or the path of another (tests bring a CA).
        self.verify = verify
        self.allowed_addresses = allowed_addresses
        # getaddrinfo, or a stand-in (a test needs a lookup that hangs, and has no DNS server).
        self.lookup = lookup
        self._threads = _ThreadState()

    def run(self, spec: CheckSpec) -> ProbeResult:
        if reason := unsupported_url_reason(spec.url):
            return ProbeResult(Outcome.INVALID_URL, reason)
        deadline = Deadline(spec.timeout_seconds)
        hop = Hop(spec.url, spec.method.upper(), dict(spec.headers))
        session = self._session()
        cutoff = self._threads.cutoff = Cutoff()
        self._threads.first_hop, self._threads.certificate = True, None
        alarm = watchdog.call_at(deadline.started + deadline.seconds, cutoff.fire)
        try:
            assertions = spec.options.get("assertions") or []
            status_code, seen = self._fetch(session, hop, spec, deadline,
                                            keep_body=bool(assertions))
            outcome, message = self._judge(status_code, spec.expected_status_codes)
            if outcome == Outcome.OK and seen is not None:
                if failure := first_failure(assertions, seen):
                    outcome, message = failure
            if outcome == Outcome.OK and hop.certificate is not None:
                outcome, message = _certificate_verdict(hop.certificate, spec, message)
        except ProbeFailure as failure:
            outcome, message, status_code = failure.outcome, failure.message, failure.status_code
        except Exception as exc:
            # Celery's soft time limit arrives as an exception; the task must see it.
            if type(exc).__name__ == "SoftTimeLimitExceeded":
                raise
            outcome, message = classify(exc, hop, deadline)
            if cutoff.fired and outcome not in (Outcome.DNS_FAILURE, Outcome.BLOCKED_ADDRESS):
                # Whatever broke, it broke because the deadline cut the connection.
                outcome, message = Outcome.TIMEOUT, deadline.describe()
            status_code = None
        finally:
            alarm.cancel()
            self._threads.cutoff = None
            self._threads.first_hop, self._threads.certificate = False, None
            cutoff.close()
            # Cookies live for one run (a login redirect may set one for the next hop), never
            # from one check, or one monitor, to the next.
            session.cookies.clear()
        return ProbeResult(outcome, message, status_code, deadline.elapsed_ms(),
                           certificate=hop.certificate)

    def _session(self) -> requests.Session:
        """This thread's session. Reusing it saves building a session and its adapters per
        check; no connection is reused, though (see _fetch), so every request connects anew
        and the guard checks the peer of each."""
        threads = self._threads
        if threads.session is None:
            threads.session = guarded_session(
                allow_private=self.allow_private,
                user_agent=self.user_agent,
                allowed_addresses=self.allowed_addresses,
                lookup=self.lookup,
                on_connect=self._watch,
                on_certificate=self._saw_certificate,
                source_address=self.source_address,
            )
            threads.session.verify = self.verify
        return threads.session

    def _watch(self, sock: socket.socket) -> None:
        cutoff = self._threads.cutoff
        if cutoff is not None:
            cutoff.watch(sock)

    def _saw_certificate(self, der: bytes) -> None:
        # Only the monitored URL's own host: a redirect's target is not what the owner named.
        threads = self._threads
        if threads.first_hop:
            threads.certificate = der

    def _fetch(self, session: requests.Session, hop: Hop, spec: CheckSpec,
               deadline: Deadline, *, keep_body: bool = False) -> tuple[int, Response | None]:
        """Follow redirects up to the final response, read its body, return its status and,
        with keep_body (the monitor has assertions), what the assertions look at."""
        for redirects_followed in range(self.max_redirects + 1):
            if deadline.expired:
                raise ProbeFailure(Outcome.TIMEOUT, deadline.describe())
            response = session.request(
                hop.method, hop.url, headers=hop.headers, stream=True,
                allow_redirects=False, timeout=deadline.timeout(),
            )
            # Held now: once the body is read, urllib3 hands the connection back to its pool.
            connection = response.raw.connection
            if redirects_followed == 0:
                hop.certificate = self._first_hop_certificate()
            try:
                status = response.status_code
                location = response.headers.get("Location")
                # A monitor that expects a redirect checks the redirect itself.
                if (status not in REDIRECT_STATUSES or not location
                        or status in spec.expected_status_codes):
                    body = self._read_body(response, deadline, keep=keep_body)
                    if body is None:
                        return status, None
                    return status, Response(
                        response.headers, _text(body, response.headers), deadline.elapsed_ms()
                    )
            finally:
                response.close()
                # Closed, not kept alive in the pool: a later check must connect (and pass the
                # guard) anew, not inherit this peer.
                if connection is not None:
                    connection.close()
            if redirects_followed == self.max_redirects:
                break
            hop.redirect(status, location)
            if reason := unsupported_url_reason(hop.url):
                raise ProbeFailure(Outcome.INVALID_URL, f"redirect rejected: {reason}", status)
        raise ProbeFailure(
            Outcome.TOO_MANY_REDIRECTS, f"more than {self.max_redirects} redirects", status
        )

    def _first_hop_certificate(self) -> CertificateSeen | None:
        """The certificate of the first request's connection, parsed (once); None for plain
        http, which costs it no more than this call."""
        threads = self._threads
        der, threads.certificate, threads.first_hop = threads.certificate, None, False
        return certificate_seen(der) if der else None

    def _read_body(self, response: requests.Response, deadline: Deadline, *,
                   keep: bool = False) -> bytes | None:
        status = response.status_code
        too_large = ProbeFailure(
            Outcome.BODY_TOO_LARGE,
            f"response body is larger than {self.max_body_bytes} bytes", status,
        )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise too_large
        # A read blocks until a whole chunk arrives, so a server trickling one byte at a time
        # never trips a per-read timeout; the run's Cutoff ends the read at the deadline.
        received = 0
        chunks: list[bytes] = []
        try:
            # Counted as sent on the wire: without assertions the probe never looks at the
            # body, so it has no reason to spend time decompressing it. With them it keeps the
            # body decoded, and max_body_bytes bounds what it keeps (a compressed body that
            # decodes to more is too large).
            for chunk in response.raw.stream(BODY_CHUNK_BYTES, decode_content=keep):
                received += len(chunk)
                if received > self.max_body_bytes:
                    raise too_large
                if keep:
                    chunks.append(chunk)
                if deadline.expired:
                    break
        except (OSError, urllib3.exceptions.HTTPError):
            if not deadline.expired:
                raise
        if deadline.expired:
            raise ProbeFailure(Outcome.TIMEOUT, deadline.describe(), status)
        return b"".join(chunks) if keep else None

    def _judge(self, status: int, expected: tuple[int, ...]) -> tuple[Outcome, str]:
        if status in expected or (not expected and 200 <= status < 300):
            return Outcome.OK, f"HTTP {status}"
        wanted = " or ".join(str(code) for code in expected) or "2xx"
        return Outcome.WRONG_STATUS, f"expected {wanted}, got {status}"


def _certificate_verdict(certificate: CertificateSeen, spec: CheckSpec, message: str
                         ) -> tuple[Outcome, str]:
    """An OK check whose certificate expires within tls_warn_days is degraded, and says so."""
    warn_days = spec.options.get("tls_warn_days") or DEFAULT_TLS_WARN_DAYS
    now = datetime.datetime.now(tz=datetime.UTC)
    if not expires_soon(certificate.expires_at, warn_days, now):
        return Outcome.OK, message
    return Outcome.DEGRADED, f"certificate {expiry_message(certificate.expires_at, now, warn_days)}"


def _text(body: bytes, headers) -> str:
    """The body as text: the charset the Content-Type names, else UTF-8 (JSON's)."""
    content_type = headers.get("Content-Type", "")
    encoding = "utf-8"
    if "charset" in content_type.lower():
        encoding = requests.utils.get_encoding_from_headers(headers) or "utf-8"
    try:
        return body.decode(encoding, "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


def causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything it wraps: requests and urllib3 nest the socket error that
    tells what happened several layers deep, in causes, contexts, `reason` and `args`."""
    found: list[BaseException] = []
    pending: list[object] = [exc]
    while pending:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or any(current is seen for seen in found):
            continue
        found.append(current)
        pending += [current.__cause__, current.__context__, getattr(current, "reason", None)]
        pending += current.args
    return found


def classify(exc: Exception, hop: Hop, deadline: Deadline) -> tuple[Outcome, str]:
    chain = causes(exc)

    def first(*types: type[BaseException]) -> BaseException | None:
        return next((cause for cause in chain if isinstance(cause, types)), None)

    host = hop.origin[1]
    if blocked := first(BlockedAddressError):
        message = str(blocked) if blocked.address == host else f"{host}: {blocked}"
        return Outcome.BLOCKED_ADDRESS, message
    if lookup_timeout := first(DNSTimeoutError):
        return Outcome.DNS_FAILURE, str(lookup_timeout)
    if first(urllib3.exceptions.NameResolutionError, socket.gaierror):
        return Outcome.DNS_FAILURE, f"could not resolve {host}"
    if first(ConnectionRefusedError):
        return Outcome.CONNECTION_REFUSED, f"connection refused by {hop.where}"
    if first(requests.exceptions.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError):
        return Outcome.TIMEOUT, f"connecting to {hop.where} timed out"
    if first(requests.exceptions.Timeout, urllib3.exceptions.TimeoutError, TimeoutError):
        return Outcome.TIMEOUT, deadline.describe()
    if tls := first(ssl.SSLError, ssl.CertificateError):
        return Outcome.TLS_ERROR, f"TLS error with {hop.where}: {_tls_reason(tls)}"
    if first(requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
             requests.exceptions.InvalidSchema, urllib3.exceptions.LocationParseError):
        return Outcome.INVALID_URL, f"invalid URL {hop.url[:100]!r}: {exc}"
    # Not simply OSError: every requests exception is one, a malformed header included.
    if first(requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError,
             urllib3.exceptions.HTTPError):
        return Outcome.CONNECTION_ERROR, f"connection to {hop.where} failed: {_reason(chain)}"
    return Outcome.ERROR, f"{type(exc).__name__}: {exc}"[:200]


def _tls_reason(error: BaseException) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {error.verify_message}"
    # "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)" says it twice.
    return re.sub(r"^\[SSL: \w+\]\s*|\s*\(_ssl\.c:\d+\)$", "", str(error))


def _reason(chain: list[BaseException]) -> str:
    innermost = chain[-1]
    return getattr(innermost, "strerror", None) or str(innermost)[:200] or repr(innermost)
