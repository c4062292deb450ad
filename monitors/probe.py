"""One executor class per check kind, each with `run(spec) -> ProbeResult` that never raises
for anything the target does: the pipeline branches neither on kind nor on errors."""

import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from .netguard import BlockedAddressError, guarded_session
from .outcomes import CheckSpec, Outcome, ProbeResult

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_CONNECT_SECONDS = 5
BODY_CHUNK_BYTES = 64 * 1024
# Headers that carry credentials, which must not follow a redirect to another host.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
CREDENTIAL_NAME_PARTS = ("token", "key", "secret", "auth")


class Deadline:
    """One time budget for the whole run, every hop and body read included.

    It cannot bound a DNS lookup (getaddrinfo blocks) or a server trickling its status line
    and headers; Celery's soft time limit catches those (see uptime/budgets.py).
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


@dataclass
class Hop:
    """The request being made; redirects rewrite it in place."""

    url: str
    method: str
    headers: dict[str, str] = field(default_factory=dict)

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


class HttpProbe:
    """Checks an http(s) URL: guarded against private addresses, bounded by one deadline,
    following redirects itself and reading at most `max_body_bytes` of the body."""

    def __init__(
        self,
        *,
        allow_private: bool,
        user_agent: str,
        max_body_bytes: int = 1024 * 1024,
        max_redirects: int = 5,
        verify: bool | str = True,
        allowed_addresses: frozenset[str] = frozenset(),
    ) -> None:
        self.allow_private = allow_private
        self.user_agent = user_agent
        self.max_body_bytes = max_body_bytes
        self.max_redirects = max_redirects
        # True for requests' CA bundle (certifi), or the path of another (tests bring a CA).
        self.verify = verify
        self.allowed_addresses = allowed_addresses

    def run(self, spec: CheckSpec) -> ProbeResult:
        if reason := unsupported_url_reason(spec.url):
            return ProbeResult(Outcome.INVALID_URL, reason)
        deadline = Deadline(spec.timeout_seconds)
        hop = Hop(spec.url, spec.method.upper(), dict(spec.headers))
        session = guarded_session(
            allow_private=self.allow_private,
            user_agent=self.user_agent,
            allowed_addresses=self.allowed_addresses,
        )
        session.verify = self.verify
        try:
            status_code = self._fetch(session, hop, spec, deadline)
            outcome, message = self._judge(status_code, spec.expected_status_codes)
        except ProbeFailure as failure:
            outcome, message, status_code = failure.outcome, failure.message, failure.status_code
        except Exception as exc:
            # Celery's soft time limit arrives as an exception; the task must see it.
            if type(exc).__name__ == "SoftTimeLimitExceeded":
                raise
            outcome, message = classify(exc, hop, deadline)
            status_code = None
        finally:
            session.close()
        return ProbeResult(outcome, message, status_code, deadline.elapsed_ms())

    def _fetch(self, session: requests.Session, hop: Hop, spec: CheckSpec,
               deadline: Deadline) -> int:
        """Follow redirects up to the final response, read its body, return its status."""
        for redirects_followed in range(self.max_redirects + 1):
            if deadline.expired:
                raise ProbeFailure(Outcome.TIMEOUT, deadline.describe())
            response = session.request(
                hop.method, hop.url, headers=hop.headers, stream=True,
                allow_redirects=False, timeout=deadline.timeout(),
            )
            with response:
                status = response.status_code
                location = response.headers.get("Location")
                # A monitor that expects a redirect checks the redirect itself.
                if (status not in REDIRECT_STATUSES or not location
                        or status in spec.expected_status_codes):
                    self._read_body(response, deadline)
                    return status
            if redirects_followed == self.max_redirects:
                break
            hop.redirect(status, location)
            if reason := unsupported_url_reason(hop.url):
                raise ProbeFailure(Outcome.INVALID_URL, f"redirect rejected: {reason}", status)
        raise ProbeFailure(
            Outcome.TOO_MANY_REDIRECTS, f"more than {self.max_redirects} redirects", status
        )

    def _read_body(self, response: requests.Response, deadline: Deadline) -> None:
        status = response.status_code
        too_large = ProbeFailure(
            Outcome.BODY_TOO_LARGE,
            f"response body is larger than {self.max_body_bytes} bytes", status,
        )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise too_large
        # A read blocks until a whole chunk arrives, so a server trickling one byte at a time
        # never trips a per-read timeout; cutting the socket at the deadline ends the read.
        watchdog = threading.Timer(deadline.remaining(), cut_off, args=(response,))
        watchdog.daemon = True
        watchdog.start()
        received = 0
        try:
            # Counted as sent on the wire: the probe never looks at the body, so it has no
            # reason to spend time decompressing it.
            for chunk in response.raw.stream(BODY_CHUNK_BYTES, decode_content=False):
                received += len(chunk)
                if received > self.max_body_bytes:
                    raise too_large
                if deadline.expired:
                    break
        except (OSError, urllib3.exceptions.HTTPError):
            if not deadline.expired:
                raise
        finally:
            watchdog.cancel()
        if deadline.expired:
            raise ProbeFailure(Outcome.TIMEOUT, deadline.describe(), status)

    def _judge(self, status: int, expected: tuple[int, ...]) -> tuple[Outcome, str]:
        if status in expected or (not expected and 200 <= status < 300):
            return Outcome.OK, f"HTTP {status}"
        wanted = " or ".join(str(code) for code in expected) or "2xx"
        return Outcome.WRONG_STATUS, f"expected {wanted}, got {status}"


def cut_off(response: requests.Response) -> None:
    try:
        response.raw.shutdown()
    except (OSError, ValueError, RuntimeError):
        pass  # Already closed or released: nothing left to cut off.


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
