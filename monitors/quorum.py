"""What a monitor checked from several regions is, given each region's own state.

A region counts as *failing* once it has reached the monitor's failure threshold of consecutive
failures, as *healthy* while it is below it, and as neither while it is *stale* (its workers
produced no result for STALE_INTERVALS intervals): a region that cannot check says nothing
about the target.

The incident condition: at least `quorum` regions failing. It opens the incident; the incident
resolves once the condition cannot hold any more, that is once more than `regions - quorum`
regions are healthy. While regions are stale that is stricter than "fewer than quorum failing":
a region that went quiet while failing may still be failing, so losing a region's workers
neither opens nor resolves anything. With no stale region the two read the same.

Pure functions over plain values, so the state machine can be tested exhaustively
(tests/monitors/test_quorum.py) apart from the database that feeds it.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# A region whose last result is older than this many intervals is stale.
STALE_INTERVALS = 3


def default_quorum(region_count: int) -> int:
    """A majority of the monitor's regions."""
    return region_count // 2 + 1


@dataclass(frozen=True)
class RegionReading:
    """One region's state as the verdict needs it."""

    region: str
    consecutive_failures: int = 0
    last_checked_at: datetime | None = None
    degraded: bool = False
    last_outcome: str = ""
    last_error: str = ""
    stale: bool = False

    def is_failing(self, threshold: int) -> bool:
        return not self.stale and self.consecutive_failures >= threshold

    def is_healthy(self, threshold: int) -> bool:
        return not self.stale and self.last_checked_at is not None and (
            self.consecutive_failures < threshold)


@dataclass(frozen=True)
class Verdict:
    status: str  # a Monitor.Status value
    failing: tuple[str, ...] = ()
    healthy: tuple[str, ...] = ()
    stale: tuple[str, ...] = ()
    quorum: int = 1
    condition_holds: bool = False  # at least `quorum` regions failing
    condition_broken: bool = True  # more than `regions - quorum` regions healthy
    readings: tuple[RegionReading, ...] = field(default=(), repr=False)

    def summary(self) -> str:
        """'down from 2 of 3 regions (us: timeout, in: connection refused; eu: up)'."""
        by_region = {reading.region: reading for reading in self.readings}
        failing = ", ".join(
            f"{name}: {by_region[name].last_error or by_region[name].last_outcome}"
            for name in self.failing)
        others = ", ".join(
            [f"{name}: up" for name in self.healthy]
            + [f"{name}: stale" for name in self.stale])
        details = "; ".join(part for part in (failing, others) if part)
        return (f"down from {len(self.failing)} of {len(self.readings)} regions"
                + (f" ({details})" if details else ""))


def is_stale(last_checked_at: datetime | None, since: datetime | None, interval_seconds: int,
             now: datetime) -> bool:
    """No result for STALE_INTERVALS intervals: since the last one, or, for a region that
    never reported, since it was added to the monitor (`since`)."""
    reference = last_checked_at or since
    if reference is None:
        return False
    return now - reference > timedelta(seconds=STALE_INTERVALS * interval_seconds)


def verdict(readings: Iterable[RegionReading], *, threshold: int, quorum: int,
            incident_open: bool = False) -> Verdict:
    """The monitor's status and incident condition from its regions' readings. An incident
    that stays open (its condition not broken: a failing region went quiet) keeps the
    monitor down."""
    from .models import Monitor

    readings = tuple(readings)
    failing = tuple(r.region for r in readings if r.is_failing(threshold))
    healthy = tuple(r.region for r in readings if r.is_healthy(threshold))
    stale = tuple(r.region for r in readings if r.stale)
    holds = len(failing) >= quorum
    broken = len(healthy) > len(readings) - quorum
    if holds or (incident_open and not broken):
        status = Monitor.Status.DOWN
    elif failing:
        status = Monitor.Status.DEGRADED  # down somewhere, but not in enough regions
    elif readings and len(stale) == len(readings):
        status = Monitor.Status.UNKNOWN
    elif any(r.consecutive_failures and not r.stale for r in readings):
        status = Monitor.Status.PENDING  # a blip below the threshold somewhere
    elif any(r.degraded and not r.stale for r in readings):
        status = Monitor.Status.DEGRADED
    elif healthy:
        status = Monitor.Status.UP
    else:
        status = Monitor.Status.UNKNOWN  # no region has reported yet
    return Verdict(status=status, failing=failing, healthy=healthy, stale=stale, quorum=quorum,
                   condition_holds=holds, condition_broken=broken, readings=readings)


def incident_change(current: Verdict, *, incident_open: bool) -> str | None:
    """'open', 'resolve' or None: what the incident state machine does after a result."""
    if current.condition_holds and not incident_open:
        return "open"
    if incident_open and current.condition_broken:
        return "resolve"
    return None
