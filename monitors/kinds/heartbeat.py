"""Kind `heartbeat`: the job reports to its ping URL (monitors/pings.py); this executor only
looks at the clock and says whether the job is overdue.

Healthchecks' rules: a success ping is due `interval` after the last one (or after the monitor
began to expect pings: created, resumed, made a heartbeat), with `grace` to spare; a job that
sent /start must send its success within `grace` of that start. A ping records its own result,
so a deadline that has not passed is nothing to record, and a heartbeat that stays silent
records one missed_heartbeat per interval, not one per look at the clock.
"""

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from ..outcomes import CheckSpec, Outcome, ProbeResult
from . import Executor


class HeartbeatExecutor(Executor):
    @classmethod
    def validate_target(cls, url: str) -> None:
        # No target: the job calls us.
        return None

    def run(self, spec: CheckSpec) -> ProbeResult | None:
        return overdue_result(spec.options, timezone.now())


def overdue_result(options: dict, now: datetime) -> ProbeResult | None:
    """missed_heartbeat if the deadline has passed and no result was recorded for it within
    the last interval; None otherwise."""
    interval = timedelta(seconds=options["interval_seconds"])
    grace = timedelta(seconds=options["grace_seconds"])
    expecting_since = options["expecting_pings_since"]
    last_ping_at = options["last_ping_at"]
    started_at = options["last_start_at"]
    waiting_since = max(filter(None, (last_ping_at, expecting_since)), default=None)
    if waiting_since is None:
        # Not expecting pings yet (Monitor.save() sets the time for every heartbeat).
        return None
    deadline = waiting_since + interval + grace
    message = (f"no ping since {_shown(waiting_since)} (expected every "
               f"{options['interval_seconds']}s, grace {options['grace_seconds']}s)")
    # last_start_at is the run in progress: its success or failure ping clears it. A start
    # from before the monitor last began to expect pings (it was paused since) is no run to
    # wait for.
    if started_at is not None and (expecting_since is None or started_at >= expecting_since):
        if started_at + grace < deadline:
            deadline = started_at + grace
            message = (f"started at {_shown(started_at)}, no success ping within grace "
                       f"({options['grace_seconds']}s)")
    if now < deadline:
        return None
    # A result recorded at or after the deadline (this executor's last miss, or a /fail) has
    # told people; the next miss is due one interval later, as the next run would have been.
    last_checked_at = options["last_checked_at"]
    if last_checked_at is not None and last_checked_at >= deadline:
        if now < last_checked_at + interval:
            return None
    return ProbeResult(Outcome.MISSED_HEARTBEAT, message)


def _shown(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
