"""Kind `postgres`: connect and `SELECT 1` within the check's timeout.

The target is a libpq URL, `postgres://user:password@host:5432/db?sslmode=require`. The host
is resolved and guarded here (resolved.py); psycopg connects to that address (`hostaddr`)
with `host` kept for TLS. ~/.pgpass, PG* variables and GSSAPI play no part: a check uses what
its URL says and nothing of the worker's environment.
"""

import math
import re
import socket
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg
from django.core.exceptions import ValidationError

from ..netguard import AddressPolicy, Lookup
from ..outcomes import CheckSpec, Outcome, ProbeResult
from ..probe import Cutoff, Deadline, ProbeFailure
from ..watchdog import watchdog
from . import Executor
from .resolved import guarded_address, hide

SCHEMES = ("postgres", "postgresql")
DEFAULT_PORT = 5432
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# A path that cannot exist (a file under /dev/null), so libpq reads no ~/.pgpass and warns of
# nothing (/dev/null itself draws "is not a plain file" on stderr).
NO_PASSFILE = "/dev/null/pgpass"
# libpq's connect_timeout is whole seconds and at least 2.
MIN_CONNECT_SECONDS = 2

AUTH_FAILURES = re.compile(
    r"password authentication failed|authentication failed|no password supplied"
    r"|role \S+ does not exist|database \S+ does not exist|no pg_hba\.conf entry"
    r"|permission denied|not permitted to log in|too many connections for role",
    re.IGNORECASE,
)
TLS_FAILURES = re.compile(r"SSL|certificate|TLS", re.IGNORECASE)
# 'connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  ...'
NOISE = re.compile(r'^connection failed: |connection to server at "[^"]*", port \d+ failed: '
                   r"|FATAL:\s+|\n\s*Is the server running.*$", re.DOTALL)


class PostgresTarget:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or ""
        self.port = parts.port or DEFAULT_PORT
        self.user = unquote(parts.username or "")
        self.password = unquote(parts.password) if parts.password is not None else None
        self.dbname = unquote(parts.path.lstrip("/")) or self.user
        query = parse_qs(parts.query)
        self.sslmode = (query.get("sslmode") or ["prefer"])[-1]

    @property
    def where(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def validate_postgres_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError as exc:
        raise ValidationError(f"Not a valid PostgreSQL URL: {exc}.") from None
    if parts.scheme not in SCHEMES:
        raise ValidationError(
            "A postgres check takes a URL like postgres://user:password@host:5432/db."
        )
    if not parts.hostname:
        raise ValidationError("The URL has no host: postgres://user:password@host:5432/db.")
    if not parts.username:
        raise ValidationError("The URL has no user: postgres://user:password@host:5432/db.")
    if "/" in parts.path.lstrip("/"):
        raise ValidationError("The URL's path is the database name and holds nothing else.")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"sslmode"})
    if unknown:
        raise ValidationError(
            "Only sslmode is accepted in the URL's query, not %(names)s.",
            params={"names": ", ".join(unknown)},
        )
    for sslmode in query.get("sslmode", []):
        if sslmode not in SSLMODES:
            raise ValidationError(
                "sslmode must be one of %(modes)s.", params={"modes": ", ".join(SSLMODES)}
            )


class PostgresCheck(Executor):
    validate_target = staticmethod(validate_postgres_url)

    def __init__(self, *, allow_private: bool, allowed_addresses: frozenset[str] = frozenset(),
                 lookup: Lookup = socket.getaddrinfo, ca_file: str | None = None) -> None:
        self.policy = AddressPolicy(allow_private, allowed_addresses)
        self.lookup = lookup
        # sslmode=verify-ca/verify-full check the server against this bundle (libpq's
        # sslrootcert); None leaves libpq's default (~/.postgresql/root.crt).
        self.ca_file = ca_file

    def run(self, spec: CheckSpec) -> ProbeResult:
        deadline = Deadline(spec.timeout_seconds)
        try:
            target = PostgresTarget(spec.url)
        except ValueError as exc:
            return ProbeResult(Outcome.INVALID_URL, f"invalid URL: {exc}")
        cutoff = Cutoff()
        alarm = watchdog.call_at(deadline.started + deadline.seconds, cutoff.fire)
        try:
            outcome, message, response_ms = self._check(target, deadline, cutoff)
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
            cutoff.close()
        message = hide(target.password, message)
        return ProbeResult(outcome, message, None,
                           response_ms if response_ms is not None else deadline.elapsed_ms())

    def _check(self, target: PostgresTarget, deadline: Deadline,
               cutoff: Cutoff) -> tuple[Outcome, str, int]:
        address = guarded_address(target.host, target.port, policy=self.policy,
                                  remaining=deadline.remaining(), lookup=self.lookup)
        remaining = deadline.remaining()
        if deadline.expired:
            raise ProbeFailure(Outcome.TIMEOUT, deadline.describe())
        # libpq waits at least 2 s (see MIN_CONNECT_SECONDS); the cut-off can't reach into
        # its connect, so a deadline under 2 s may be overrun by the difference.
        connect_timeout = max(MIN_CONNECT_SECONDS, math.floor(remaining))
        statement_ms = max(1, int(remaining * 1000))
        connection = psycopg.connect(
            host=target.host,
            hostaddr=address,
            port=target.port,
            user=target.user,
            password=target.password or "",
            dbname=target.dbname,
            sslmode=target.sslmode,
            **({"sslrootcert": self.ca_file} if self.ca_file else {}),
            connect_timeout=connect_timeout,
            gssencmode="disable",
            passfile=NO_PASSFILE,
            application_name="uptime-check",
            options=f"-c statement_timeout={statement_ms}",
            autocommit=True,
        )
        try:
            # After the connect, the deadline cuts the socket as for HTTP checks: a server
            # that stops answering mid-query is a timeout, not a hung worker.
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            with socket.fromfd(connection.pgconn.socket, family, socket.SOCK_STREAM) as sock:
                cutoff.watch(sock)
            row = connection.execute("SELECT 1").fetchone()
            response_ms = deadline.elapsed_ms()
        finally:
            connection.close()
        if row != (1,):
            return Outcome.ERROR, f"SELECT 1 answered {row!r}", response_ms
        return Outcome.OK, f"SELECT 1 on {target.where} ({target.dbname})", response_ms


def classify(exc: Exception, target: PostgresTarget) -> tuple[Outcome, str]:
    text = str(exc)
    reason = NOISE.sub("", text).strip() or type(exc).__name__
    where = target.where
    if isinstance(exc, psycopg.errors.ConnectionTimeout) or "timeout expired" in text:
        return Outcome.TIMEOUT, f"connecting to {where} timed out"
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return Outcome.TIMEOUT, f"SELECT 1 on {where} timed out"
    if "Connection refused" in text:
        return Outcome.CONNECTION_REFUSED, f"connection refused by {where}"
    if AUTH_FAILURES.search(text):
        return Outcome.AUTH_FAILED, f"{where}: {reason}"[:200]
    if TLS_FAILURES.search(text):
        return Outcome.TLS_ERROR, f"TLS error with {where}: {reason}"[:200]
    if isinstance(exc, psycopg.OperationalError):
        return Outcome.CONNECTION_ERROR, f"connection to {where} failed: {reason}"[:200]
    return Outcome.ERROR, f"{type(exc).__name__}: {reason}"[:200]
