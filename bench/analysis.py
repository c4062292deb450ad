"""Figures from arrival times. Pure functions (no Django, no processes), tested in tests/bench/.

An arrival is the wall-clock time (time.time()) at which a check for one monitor reached the
target fleet, or a dispatch reached the drain in beat-only mode. Everything is measured there,
outside the system under test.
"""

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

# A grid: for a time `at`, the latest ideal slot time <= at.
Grid = Callable[[float], float]


@dataclass(frozen=True)
class Window:
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def __contains__(self, moment: float) -> bool:
        return self.start <= moment < self.end

    def select(self, times: Iterable[float]) -> list[float]:
        return sorted(t for t in times if t in self)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100), linear between closest ranks (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Sequence[float]) -> dict:
    return {
        "count": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values) if values else None,
    }


def anchored_grid(anchor: float, interval: float) -> Grid:
    """A strictly periodic grid through `anchor`."""
    return lambda at: anchor + math.floor((at - anchor) / interval) * interval


def lags_on_grid(times: Iterable[float], grid: Grid, *, early_tolerance: float
                 ) -> list[tuple[float, float]]:
    """(arrival, lag) for each arrival: lag = arrival - its slot.

    An arrival up to `early_tolerance` before a slot belongs to that slot (a negative lag);
    without the tolerance an arrival a hair early would count as almost one interval late.
    """
    return [(t, t - grid(t + early_tolerance)) for t in times]


def anchored_lags(times: Sequence[float], interval: float, window: Window
                  ) -> list[tuple[float, float]]:
    """Lags of the arrivals in the window against a grid anchored at one arrival: the last
    one before the window (from the warm-up), else the first in the window, which then is
    not counted itself.

    The anchor may itself have been late, so later arrivals can come up to half an interval
    "early" (negative lag); beyond half an interval an arrival belongs to the next slot.
    """
    earlier = [t for t in times if t < window.start]
    inside = window.select(times)
    if earlier:
        anchor = max(earlier)
    elif inside:
        anchor, inside = inside[0], inside[1:]
    else:
        return []
    return lags_on_grid(inside, anchored_grid(anchor, interval), early_tolerance=interval / 2)


def unchecked(keys: Iterable, arrivals: Mapping[object, Sequence[float]], since: float,
              until: float) -> list:
    """Keys with no arrival in [since, until)."""
    return [key for key in keys if not any(since <= t < until for t in arrivals.get(key, ()))]


def gaps(times: Sequence[float]) -> list[tuple[float, float, float]]:
    """(start, end, length) between consecutive arrivals, in time order."""
    ordered = sorted(times)
    return [(a, b, b - a) for a, b in zip(ordered, ordered[1:], strict=False)]


def edit_stall(times: Sequence[float], window: Window, edit_at: float, span: float) -> dict:
    """The longest gap between consecutive arrivals that overlaps [edit_at, edit_at + span],
    against the longest gap elsewhere in the window and the median of the longest gaps of the
    other span-long stretches of the window (what a stretch without an edit looks like)."""
    around_start, around_end = edit_at, edit_at + span
    around: list[float] = []
    elsewhere: list[float] = []
    for start, end, length in gaps(window.select(times)):
        (around if end > around_start and start < around_end else elsewhere).append(length)
    stretch_maxima = []
    stretch = window.start
    selected = window.select(times)
    while stretch + span <= window.end:
        if not (stretch < around_end and stretch + span > around_start):
            inside = [t for t in selected if stretch <= t < stretch + span]
            stretch_maxima.append(max((length for _, _, length in gaps(inside)), default=span))
        stretch += span
    return {
        "edit_gap": max(around, default=None),
        "longest_gap_elsewhere": max(elsewhere, default=None),
        "typical_longest_gap": statistics.median(stretch_maxima) if stretch_maxima else None,
    }


def rate_series(times: Iterable[float], window: Window, bucket: float
                ) -> list[tuple[float, float]]:
    """(seconds since window start, arrivals per second) per whole bucket in the window."""
    buckets = max(1, int(window.seconds // bucket))
    counts = [0] * buckets
    for t in times:
        index = int((t - window.start) // bucket)
        if t in window and index < buckets:
            counts[index] += 1
    return [(i * bucket, count / bucket) for i, count in enumerate(counts)]


def lag_series(lags: Iterable[tuple[float, float]], window: Window, bucket: float
               ) -> list[tuple[float, float, float, float]]:
    """(seconds since window start, p50, p99, max) of the lags of the arrivals per bucket."""
    grouped: dict[int, list[float]] = {}
    for at, lag in lags:
        if at in window:
            grouped.setdefault(int((at - window.start) / bucket), []).append(lag)
    return [
        (index * bucket, percentile(values, 50), percentile(values, 99), max(values))
        for index, values in sorted(grouped.items())
    ]
