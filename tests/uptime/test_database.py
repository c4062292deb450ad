"""The pool's reconnection backoff is capped in every process Django sets up (uptime.apps)."""

import pytest
from psycopg_pool.base import AttemptWithBackoff

from uptime.database import RETRY_CEILING_SECONDS, cap_pool_reconnect_backoff


def delays_until_give_up(timeout: float) -> list[float]:
    attempt, now, delays = AttemptWithBackoff(timeout=timeout), 1000.0, []
    while not attempt.time_to_give_up(now):
        attempt.update_delay(now)
        delays.append(attempt.delay)
        now += attempt.delay
    return delays


def test_a_pool_retries_a_lost_database_every_few_seconds_until_it_gives_up():
    delays = delays_until_give_up(timeout=300)

    # psycopg's own policy would be 1, 2, 4 ... 128 s: eight attempts in five minutes.
    assert max(delays) <= RETRY_CEILING_SECONDS
    assert len(delays) > 300 / RETRY_CEILING_SECONDS - 1
    assert sum(delays) == pytest.approx(300)  # psycopg's give-up time is kept


def test_capping_twice_caps_once():
    cap_pool_reconnect_backoff()
    cap_pool_reconnect_backoff()

    assert max(delays_until_give_up(timeout=60)) <= RETRY_CEILING_SECONDS
