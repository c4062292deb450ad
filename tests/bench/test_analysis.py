"""The bench's arithmetic: percentiles, lag against a grid, unchecked monitors, edit stalls."""

import pytest

from bench.analysis import (
    Window,
    anchored_lags,
    edit_stall,
    lag_series,
    lags_on_grid,
    percentile,
    rate_series,
    summary,
    unchecked,
)


def test_percentile_interpolates_between_closest_ranks():
    values = [4, 1, 3, 2, 5]
    assert percentile(values, 0) == 1
    assert percentile(values, 50) == 3
    assert percentile(values, 100) == 5
    assert percentile(values, 25) == 2
    assert percentile(list(range(1, 101)), 99) == pytest.approx(99.01)


def test_percentile_of_nothing_is_none_and_summary_says_so():
    assert percentile([], 50) is None
    assert summary([]) == {"count": 0, "p50": None, "p95": None, "p99": None, "max": None}


def test_lag_is_the_time_since_the_latest_slot_of_the_grid():
    grid = lambda at: (at // 60) * 60  # noqa: E731  (slots at every whole minute)
    lags = lags_on_grid([120.25, 190.0, 239.5], grid, early_tolerance=1.0)
    assert lags == [(120.25, 0.25), (190.0, 10.0), (239.5, -0.5)]


def test_an_arrival_a_hair_early_is_not_counted_as_a_whole_interval_late():
    grid = lambda at: (at // 60) * 60  # noqa: E731
    assert lags_on_grid([179.9], grid, early_tolerance=1.0) == [(179.9, pytest.approx(-0.1))]
    assert lags_on_grid([178.0], grid, early_tolerance=1.0) == [(178.0, 58.0)]


def test_anchored_lags_use_the_last_arrival_before_the_window_as_the_anchor():
    window = Window(100, 300)
    # Anchor 95 (warm-up): slots at 155, 215, 275. 30 is older and ignored.
    lags = anchored_lags([30, 95, 155.5, 217, 274], 60, window)
    assert lags == [(155.5, 0.5), (217, 2.0), (274, -1.0)]


def test_without_a_warm_up_arrival_the_first_in_the_window_anchors_and_is_not_counted():
    window = Window(100, 300)
    assert anchored_lags([110, 171, 229], 60, window) == [(171, 1.0), (229, -1.0)]
    assert anchored_lags([110], 60, window) == []
    assert anchored_lags([], 60, window) == []


def test_a_drift_past_half_an_interval_counts_against_the_next_slot():
    window = Window(0, 1000)
    assert anchored_lags([0, 95], 60, window) == [(95, -25.0)]


def test_unchecked_lists_keys_without_an_arrival_in_the_span():
    arrivals = {1: [10.0, 130.0], 2: [10.0, 50.0], 3: []}
    assert unchecked([1, 2, 3, 4], arrivals, since=60, until=180) == [2, 3, 4]


def test_edit_stall_compares_the_gap_after_the_edit_with_the_rest_of_the_window():
    # An arrival every 0.1 s for 60 s, except a 2 s hole starting 1 s after the edit at 30 s,
    # and one 0.5 s hole at 50 s.
    times = [round(i * 0.1, 1) for i in range(600)]
    times = [t for t in times if not 31.0 < t < 33.0 and not 50.0 < t < 50.5]
    stall = edit_stall(times, Window(0, 60), edit_at=30.0, span=10.0)
    assert stall["edit_gap"] == pytest.approx(2.0)
    assert stall["longest_gap_elsewhere"] == pytest.approx(0.5)
    assert stall["typical_longest_gap"] == pytest.approx(0.1)


def test_series_bucket_rates_and_lags_from_the_window_start():
    window = Window(100, 104.5)
    # The last half bucket is left out: its rate would look like a drop.
    assert rate_series([100.1, 100.2, 101.5, 103.9, 104.2, 99.0], window, bucket=2.0) == [
        (0.0, 1.5), (2.0, 0.5)
    ]
    lags = [(100.5, 1.0), (101.0, 3.0), (102.5, 2.0), (110.0, 9.0)]
    assert lag_series(lags, window, bucket=2.0) == [(0.0, 2.0, 2.98, 3.0), (2.0, 2.0, 2.0, 2.0)]

