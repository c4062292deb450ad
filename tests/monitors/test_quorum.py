"""The quorum verdict (monitors/quorum.py) over plain readings."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from monitors.models import Monitor
from monitors.quorum import (
    RegionReading,
    default_quorum,
    incident_change,
    is_stale,
    verdict,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def reading(region, failures=0, *, stale=False, checked=True, **extra):
    return RegionReading(region=region, consecutive_failures=failures,
                         last_checked_at=NOW if checked else None, stale=stale, **extra)


def test_a_majority_is_the_default_quorum():
    assert [default_quorum(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]


def test_one_region_failing_of_three_is_degraded_and_no_incident():
    seen = verdict([reading("us"), reading("in", 2, last_error="connection refused"),
                    reading("eu")], threshold=2, quorum=2)

    assert seen.status == Monitor.Status.DEGRADED
    assert seen.failing == ("in",)
    assert incident_change(seen, incident_open=False) is None


def test_two_regions_failing_of_three_is_down_and_opens_with_the_evidence():
    seen = verdict([reading("us", 3, last_outcome="timeout"),
                    reading("in", 2, last_outcome="connection_error",
                        last_error="connection refused"),
                    reading("eu")], threshold=2, quorum=2)

    assert seen.status == Monitor.Status.DOWN
    assert incident_change(seen, incident_open=False) == "open"
    assert seen.summary() == (
        "down from 2 of 3 regions (us: timeout, in: connection refused; eu: up)")


def test_a_blip_below_the_threshold_is_pending():
    seen = verdict([reading("us", 1), reading("in")], threshold=2, quorum=2)

    assert seen.status == Monitor.Status.PENDING


def test_a_stale_region_counts_neither_way():
    # The incident opened while us and in failed; in's workers stopped.
    seen = verdict([reading("us", 5, last_outcome="timeout"), reading("in", 5, stale=True),
                    reading("eu")], threshold=2, quorum=2)

    assert seen.status == Monitor.Status.DEGRADED
    assert not seen.condition_holds
    assert incident_change(seen, incident_open=True) is None  # in may still be down
    assert verdict(seen.readings, threshold=2, quorum=2,
                   incident_open=True).status == Monitor.Status.DOWN
    assert incident_change(seen, incident_open=False) is None
    assert seen.summary() == "down from 1 of 3 regions (us: timeout; eu: up, in: stale)"


def test_a_stale_region_does_not_keep_a_recovered_incident_open_when_enough_are_up():
    seen = verdict([reading("us"), reading("in", 5, stale=True), reading("eu")],
                   threshold=2, quorum=2)

    assert seen.status == Monitor.Status.UP
    assert incident_change(seen, incident_open=True) == "resolve"


def test_every_region_stale_is_unknown_not_up():
    seen = verdict([reading("us", stale=True), reading("in", stale=True)],
                   threshold=1, quorum=1)

    assert seen.status == Monitor.Status.UNKNOWN


def test_no_region_reported_yet_is_unknown():
    seen = verdict([reading("us", checked=False), reading("in", checked=False)],
                   threshold=1, quorum=1)

    assert seen.status == Monitor.Status.UNKNOWN


def test_stale_after_three_intervals_without_a_result():
    assert not is_stale(NOW - timedelta(seconds=180), None, 60, NOW)
    assert is_stale(NOW - timedelta(seconds=181), None, 60, NOW)
    # A region that never reported is stale three intervals after it was added.
    assert not is_stale(None, NOW - timedelta(seconds=100), 60, NOW)
    assert is_stale(None, NOW - timedelta(seconds=200), 60, NOW)


results = st.lists(st.tuples(st.integers(0, 4), st.booleans()), max_size=60)


@settings(max_examples=400, deadline=None)
@given(regions=st.integers(1, 5), threshold=st.integers(1, 3), data=st.data(),
       sequence=results)
def test_the_incident_is_open_exactly_while_the_quorum_of_regions_is_failing(
        regions, threshold, data, sequence):
    quorum = data.draw(st.integers(1, regions), label="quorum")
    names = [f"r{i}" for i in range(regions)]
    failures = dict.fromkeys(names, 0)
    # Every region reports once first: before that a region is neither up nor failing.
    steps = [(name, True) for name in names] + [
        (names[index % regions], ok) for index, ok in sequence]
    incident_open, opened, resolved = False, 0, 0
    for name, ok in steps:
        failures[name] = 0 if ok else failures[name] + 1
        seen = verdict([reading(n, failures[n]) for n in names], threshold=threshold,
                       quorum=quorum)
        change = incident_change(seen, incident_open=incident_open)
        if change == "open":
            assert not incident_open  # never two open
            incident_open, opened = True, opened + 1
        elif change == "resolve":
            assert incident_open
            incident_open, resolved = False, resolved + 1
        # The oracle, from the counts alone: the condition holds when quorum regions have
        # each failed `threshold` times in a row.
        holds = sum(count >= threshold for count in failures.values()) >= quorum
        assert incident_open == holds
        assert (seen.status == Monitor.Status.DOWN) == holds
    assert opened - resolved == int(incident_open)
