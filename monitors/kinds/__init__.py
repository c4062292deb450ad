"""Check kinds: one executor class per kind, behind the interface the check pipeline calls.

An executor has `run(spec: CheckSpec) -> ProbeResult` and never raises for anything the target
did: refused, timed out, wrong answer are outcomes. Its class also says which targets it takes
(`validate_target(url)`, raising ValidationError with the message a person sees). The pipeline
(monitors/checking.py) claims, probes through `executor_for(kind)` and records the same way for
every kind, so incidents, notifications, live events, the API and the admin do not branch on it.

To add a kind: a module here with its executor class, one line in EXECUTORS, and its options
on Monitor (their defaults must leave existing monitors unchanged).
"""

import functools
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError

from ..outcomes import CheckSpec, ProbeResult


class Executor:
    """The base of every kind's executor (its name for people is Monitor.Kind's label)."""

    @classmethod
    def validate_target(cls, url: str) -> None:
        raise NotImplementedError

    def run(self, spec: CheckSpec) -> ProbeResult:
        raise NotImplementedError


def _network() -> dict:
    """What every executor that connects takes from the settings: where it may connect to
    (the private-network guard) and where it connects from (a region's address)."""
    return {"allow_private": settings.UPTIME_ALLOW_PRIVATE_TARGETS,
            "source_address": settings.UPTIME_SOURCE_ADDRESS or None}


def _http() -> Executor:
    from ..probe import HttpProbe

    return HttpProbe(
        **_network(),
        user_agent=settings.UPTIME_USER_AGENT,
        max_body_bytes=settings.UPTIME_MAX_BODY_BYTES,
        max_redirects=settings.UPTIME_MAX_REDIRECTS,
        verify=settings.UPTIME_TLS_CA_FILE or True,
    )


def _tcp() -> Executor:
    from .tcp import TcpExecutor

    return TcpExecutor(**_network())


def _tls() -> Executor:
    from .tls import TlsExecutor

    return TlsExecutor(**_network(), verify=settings.UPTIME_TLS_CA_FILE or True)


def _postgres() -> Executor:
    from .postgres import PostgresCheck

    return PostgresCheck(allow_private=settings.UPTIME_ALLOW_PRIVATE_TARGETS,
                         ca_file=settings.UPTIME_TLS_CA_FILE or None)


def _redis() -> Executor:
    from .redis import RedisCheck

    return RedisCheck(**_network(), ssl_ca_certs=settings.UPTIME_TLS_CA_FILE or None)


def _dns() -> Executor:
    from .dns import DnsExecutor

    return DnsExecutor(**_network())


def _heartbeat() -> Executor:
    from .heartbeat import HeartbeatExecutor

    return HeartbeatExecutor()


# kind -> a factory of its executor. A kind in Monitor.Kind that is missing here is refused
# when a monitor is validated ("not available yet"), never accepted and then not checked.
EXECUTORS: dict[str, Callable[[], Executor]] = {
    "http": _http,
    "dns": _dns,
    "tcp": _tcp,
    "tls": _tls,
    "postgres": _postgres,
    "redis": _redis,
    "heartbeat": _heartbeat,
}


def executor_for(kind: str) -> Executor:
    # One executor per kind and configuration, so each worker thread reuses what an executor
    # keeps per thread (the HTTP probe's session) instead of building it per check.
    return _cached_executor(kind, _configuration())


@functools.lru_cache(maxsize=32)
def _cached_executor(kind: str, configuration: tuple) -> Executor:
    return EXECUTORS[kind]()


def _configuration() -> tuple:
    return (
        settings.UPTIME_ALLOW_PRIVATE_TARGETS,
        tuple(settings.UPTIME_ALLOWED_PRIVATE_NETWORKS),
        settings.UPTIME_USER_AGENT,
        settings.UPTIME_MAX_BODY_BYTES,
        settings.UPTIME_MAX_REDIRECTS,
        settings.UPTIME_TLS_CA_FILE,
        settings.UPTIME_SOURCE_ADDRESS,
    )


def available_choices() -> list[tuple[str, str]]:
    """Monitor.Kind's choices that have an executor: what forms and the API offer."""
    from ..models import Monitor

    return [(value, label) for value, label in Monitor.Kind.choices if value in EXECUTORS]


def validate_target(kind: str, url: str) -> None:
    factory = EXECUTORS.get(kind)
    if factory is None:
        raise ValidationError(
            "%(kind)s checks are not available yet.", params={"kind": kind}, code="kind"
        )
    executor_class(kind).validate_target(url)


def executor_class(kind: str) -> type[Executor]:
    return type(executor_for(kind))
