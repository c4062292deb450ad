"""Exactly one active beat: the beat that holds this lock dispatches, any other waits.

Two beats would each send every check (the per-monitor claim then turns the second away, but
every tick's messages would be doubled, and a stock scheduler beside ours would drift). So beat
takes a lock before it loads the schedule, and a second beat started beside it (a standby, by
accident or on purpose) waits, polling, and takes over within a few seconds of the first one
dying, SIGKILL included, because the lock dies with the holder:

* PostgreSQL: a session advisory lock on a connection of its own. Not on Django's connection:
  django-celery-beat closes that one between ticks, which would release the lock.
  The server drops the lock when the holder's connection closes, as it does when the process
  dies; a holder that loses its connection (a database restart) has lost the lock, notices
  within CONFIRM_SECONDS, and stops dispatching until it holds it again.
* SQLite (the embedded run): an flock on a file next to the database; the kernel releases it
  when the process dies.
"""

import fcntl
import logging
import os
import time
import zlib
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

# A standby tries this often: a takeover comes at most this long after the holder died.
POLL_SECONDS = 2.0
# How often the holder makes sure its lock connection is still there.
CONFIRM_SECONDS = 5.0
# pg_advisory_lock's key: any fixed bigint, the same in every beat of one database.
ADVISORY_KEY = zlib.crc32(b"uptime.beat")


class BeatLock:
    """`try_acquire()` without blocking; `confirm()` while held: False once it was lost."""

    description = "the beat lock"

    def try_acquire(self) -> bool:
        raise NotImplementedError

    def confirm(self) -> bool:
        return True

    def release(self) -> None:
        pass

    def wait(self, *, poll_seconds: float = POLL_SECONDS) -> None:
        """Block until this process holds the lock, saying once that it stands by."""
        started = time.monotonic()
        announced = False
        while not self.try_acquire():
            if not announced:
                logger.warning("beat: standing by until it holds %s (another beat holds it, "
                               "or the database cannot be reached)", self.description)
                announced = True
            time.sleep(poll_seconds)
        if announced:
            logger.warning("beat: took over %s after %.1f s in standby", self.description,
                           time.monotonic() - started)
        else:
            logger.info("beat: holds %s", self.description)


class NoLock(BeatLock):
    """UPTIME_BEAT_LOCK=false: every beat dispatches; only the claim keeps checks single."""

    description = "no lock"

    def try_acquire(self) -> bool:
        return True


class FileLock(BeatLock):
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.description = f"the lock file {self.path}"
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        os.ftruncate(self._fd, 0)
        os.write(self._fd, f"{os.getpid()}\n".encode())
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


class PostgresAdvisoryLock(BeatLock):
    description = "the PostgreSQL advisory lock"

    def __init__(self, database: dict, *, key: int = ADVISORY_KEY) -> None:
        self.database = database
        self.key = key
        self._connection = None
        self._confirmed_at = 0.0
        self._unreachable = False

    def _connect(self):
        import psycopg

        db = self.database
        return psycopg.connect(
            dbname=db["NAME"], user=db.get("USER") or None, password=db.get("PASSWORD") or None,
            host=db.get("HOST") or None, port=db.get("PORT") or None, autocommit=True,
            application_name="uptime beat lock", connect_timeout=5,
            # A connection that silently died (a host gone) is found by keepalives, not only
            # by the next confirm().
            keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=2,
        )

    def try_acquire(self) -> bool:
        import psycopg

        try:
            if self._connection is None or self._connection.closed:
                self._connection = self._connect()
            held = self._connection.execute(
                "SELECT pg_try_advisory_lock(%s)", [self.key]
            ).fetchone()[0]
        except psycopg.Error as error:
            if not self._unreachable:  # once per outage, not every poll
                logger.warning("beat: cannot reach PostgreSQL for the beat lock (%s)", error)
                self._unreachable = True
            self._drop_connection()
            return False
        self._unreachable = False
        self._confirmed_at = time.monotonic()
        return bool(held)

    def confirm(self) -> bool:
        import psycopg

        if time.monotonic() - self._confirmed_at < CONFIRM_SECONDS:
            return True
        try:
            self._connection.execute("SELECT 1").fetchone()
        except (psycopg.Error, AttributeError):
            # The session is gone and its lock with it; another beat may hold it now.
            self._drop_connection()
            return False
        self._confirmed_at = time.monotonic()
        return True

    def release(self) -> None:
        self._drop_connection()

    def _drop_connection(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # noqa: BLE001 - closing a dead connection may fail any way
                pass
        self._connection = None


def beat_lock() -> BeatLock:
    """The lock for this deployment's database (UPTIME_BEAT_LOCK switches it off)."""
    if not settings.UPTIME_BEAT_LOCK:
        return NoLock()
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.postgresql":
        return PostgresAdvisoryLock(database)
    return FileLock(Path(f"{database['NAME']}.beat.lock"))
