"""A heartbeat's pings: what a request to `/ping/<uuid>[/start|/fail|/<exit-code>]` does.

No request objects here: the view hands over what the request carried (PingRequest). A success
or a failure is recorded through the same record_result() as any check's result, so incidents,
notifications and live events work unchanged; a /start only marks the run in progress.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .checking import record_result
from .models import Monitor, Ping
from .outcomes import Outcome, ProbeResult

# response_ms is a PositiveIntegerField: a run longer than this (about 24 days) has no duration.
_MAX_DURATION_MS = 2**31 - 1
_MAX_FIRST_LINE = 100
_EXIT_CODE = re.compile(r"-?[0-9]+")


class InvalidPing(ValueError):
    """A ping URL that names an action wrongly (an exit code out of range); the message says
    what is wrong, for the job's owner to read."""


@dataclass(frozen=True)
class PingRequest:
    method: str
    remote_addr: str | None = None
    user_agent: str = ""
    # At most Ping.MAX_BODY_BYTES: the view reads no more than that.
    body: bytes = b""


@dataclass(frozen=True)
class PingAction:
    kind: Ping.Kind
    exit_status: int | None = None


def parse_action(action: str) -> PingAction | None:
    """The action a ping URL's last part names: "" (success), "start", "fail" or an exit code
    (0 is a success, 1..255 a failure). None for anything else (not a ping URL at all);
    InvalidPing for an exit code out of range."""
    if action == "":
        return PingAction(Ping.Kind.SUCCESS)
    if action in (Ping.Kind.START, Ping.Kind.FAIL):
        return PingAction(Ping.Kind(action))
    if _EXIT_CODE.fullmatch(action):
        # The length first: int() of thousands of digits is slow, and refused past 4,300.
        exit_status = int(action) if len(action) <= 4 else -1
        if not 0 <= exit_status <= 255:
            raise InvalidPing(f"The exit code must be between 0 and 255 (got {action[:20]}).")
        kind = Ping.Kind.SUCCESS if exit_status == 0 else Ping.Kind.FAIL
        return PingAction(kind, exit_status)
    return None


def receive_ping(token: uuid.UUID, action: PingAction, request: PingRequest, *,
                 received_at: datetime | None = None) -> Ping | None:
    """Store the ping and do what it says; None if no heartbeat monitor has this token.

    One transaction, with the monitor's row locked first: the ping's time and its result
    commit together, so a deadline check that loaded the monitor before this ping finds the
    change when it goes to record a miss (Monitor.pinged_since_loaded) and steps aside, and
    one that loads it afterwards sees a deadline not yet due.
    """
    received_at = received_at or timezone.now()
    with transaction.atomic():
        monitor = (
            Monitor.objects.select_for_update()
            .filter(ping_token=token, kind=Monitor.Kind.HEARTBEAT)
            .first()
        )
        if monitor is None:
            return None
        ping = Ping.objects.create(
            monitor=monitor,
            received_at=received_at,
            kind=action.kind,
            exit_status=action.exit_status,
            method=request.method[:10],
            remote_addr=request.remote_addr,
            user_agent=request.user_agent[:200],
            body=request.body[:Ping.MAX_BODY_BYTES].decode("utf-8", errors="replace"),
        )
        _prune(monitor)
        result = _note_ping(monitor, action, received_at, ping.body)
        # A paused monitor keeps its times current (they are true) but records nothing: no
        # result was expected, and none may open or resolve an incident.
        if result is not None and not monitor.is_paused:
            record_result(monitor.pk, result, checked_at=received_at)
    return ping


def _note_ping(monitor: Monitor, action: PingAction, received_at: datetime,
               body: str) -> ProbeResult | None:
    """Update the monitor's ping times (a queryset update: Monitor.save() would rewrite the
    check state and re-sync the schedule) and return the result this ping stands for."""
    run_started_at = monitor.last_start_at
    if action.kind == Ping.Kind.START:
        Monitor.objects.filter(pk=monitor.pk).update(last_start_at=received_at)
        return None
    # A success or a failure ends the run in progress, as in Healthchecks: last_start_at is
    # the /start of a run not yet finished, which the deadline check holds to the grace.
    if action.kind == Ping.Kind.SUCCESS:
        Monitor.objects.filter(pk=monitor.pk).update(last_ping_at=received_at,
                                                     last_start_at=None)
        duration_ms = None
        if run_started_at is not None:
            duration_ms = int((received_at - run_started_at).total_seconds() * 1000)
            if not 0 <= duration_ms <= _MAX_DURATION_MS:
                duration_ms = None
        return ProbeResult(Outcome.OK, "ping", response_ms=duration_ms)
    if monitor.last_start_at is not None:
        Monitor.objects.filter(pk=monitor.pk).update(last_start_at=None)
    if action.exit_status is None:
        message = "the job reported a failure (/fail)"
    else:
        message = f"the job exited with code {action.exit_status}"
    reason = first_line(body)
    if reason:
        message = f"{message}: {reason}"
    return ProbeResult(Outcome.HEARTBEAT_FAILED, message)


def first_line(body: str) -> str:
    """The body's first non-blank line, cut short: the job's own word on what went wrong,
    for the message people are sent."""
    for line in body.splitlines():
        line = line.strip()
        if line:
            if len(line) > _MAX_FIRST_LINE:
                return line[:_MAX_FIRST_LINE - 1] + "…"
            return line
    return ""


def _prune(monitor: Monitor) -> None:
    # Bounded per monitor: a job pinging every minute must not grow the table forever. The
    # first ping beyond the newest KEEP is found on the (monitor, -received_at) index, and it
    # and everything older go in one statement.
    cutoff = (
        Ping.objects.filter(monitor=monitor)
        .order_by("-received_at", "-id")
        .values_list("received_at", "id")[Ping.KEEP:Ping.KEEP + 1]
    )
    oldest_kept = next(iter(cutoff), None)
    if oldest_kept is None:
        return
    received_at, ping_id = oldest_kept
    Ping.objects.filter(monitor=monitor).filter(
        Q(received_at__lt=received_at) | Q(received_at=received_at, id__lte=ping_id)
    ).delete()
