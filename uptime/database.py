"""How every process gets its PostgreSQL connections back after the database went away.

psycopg_pool retries a failed connection with an exponential backoff (1, 2, 4, 8, 16 s ...,
for up to `reconnect_timeout`), so a database that was away for eight seconds can leave a
process waiting another 8 to 30 s for its next attempt, with every check task of that worker
blocked in getconn meanwhile (CI saw 43 s). Attempts against a database that is down are
refused at once and cost nothing, so the wait between them is capped: a worker is back within
RETRY_CEILING_SECONDS of its database.
"""

RETRY_CEILING_SECONDS = 2.0


def cap_pool_reconnect_backoff() -> None:
    """Cap psycopg_pool's delay between connection attempts (once per process)."""
    try:
        from psycopg_pool.base import AttemptWithBackoff
    except ImportError:  # no pool installed: Django's own connections retry on every query
        return
    if getattr(AttemptWithBackoff.update_delay, "capped", False):
        return
    exponential = AttemptWithBackoff.update_delay

    def update_delay(self, now: float) -> None:
        exponential(self, now)  # keeps psycopg's jitter and its give-up time
        self.delay = min(self.delay, RETRY_CEILING_SECONDS)

    update_delay.capped = True
    AttemptWithBackoff.update_delay = update_delay
