"""A beat scheduler that keeps 100,000 PeriodicTasks on time: still one row per monitor.

django-celery-beat's DatabaseScheduler is built for tens of entries. Per dispatch it compares
the whole schedule with a copy of itself (O(N) per task sent, so O(N^2) per interval); it
sends one entry per tick; any PeriodicTask save reloads and re-heaps every row (seconds at
100k); and it writes `last_run_at` back one row, four statements, at a time. This subclass
keeps the rows, the admin and the change marker, and replaces how they are read and run:

* **A grid with deterministic jitter.** An interval task runs at `phase + k * every` (unix
  time), where `phase` is a hash of its name: monitors created together spread over the
  interval instead of ticking together forever, and every slot is known in advance, so a
  slot is dispatched at most once and a late beat never drifts (`ideal_slot`).
* **All due entries per tick**, from a heap keyed on the next slot: O(log N) per dispatch.
* **Incremental refresh.** At most once a second it reads the change marker (one row); when
  it moved, it reads the dates of the rows whose `date_changed` is recent, then whole only
  those whose date moved, plus one count to notice deletions (a deleted row leaves no
  `date_changed` behind) and, only then, the ids. A change none of that explains (a crontab
  edited in the admin) is the one case read in full.
* **Run state in bulk, off the dispatch loop.** `last_run_at` of everything sent is written
  every few seconds by a thread of its own, one UPDATE per batch of ids, and on close. It only
  decides whether a restarted beat owes a monitor one catch-up check; `total_run_count` is not
  kept for grid entries (the monitor's CheckResult rows are the record of what ran).

Entries that are not plain intervals (crontab, solar, clocked, or with start_time, expires or
one_off) are few; they keep django-celery-beat's own ModelEntry semantics, on the same heap.
"""

import gc
import hashlib
import heapq
import itertools
import logging
import queue
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from celery.signals import beat_init
from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    close_old_connections,
    connection,
    transaction,
)
from django.db.models import Count, Q
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry
from kombu.exceptions import OperationalError
from kombu.utils.json import loads

from .beat_lock import BeatLock, NoLock, beat_lock

logger = logging.getLogger(__name__)

PERIOD_SECONDS = {
    IntervalSchedule.DAYS: 86400.0,
    IntervalSchedule.HOURS: 3600.0,
    IntervalSchedule.MINUTES: 60.0,
    IntervalSchedule.SECONDS: 1.0,
    IntervalSchedule.MICROSECONDS: 1e-6,
}
# How often the change marker is read. An edit reaches beat within this.
REFRESH_SECONDS = 1.0
# Rows changed this long before beat last looked are read again: a transaction that saved a
# row before beat looked may commit after, with the older date_changed, and the clocks of web
# processes on other machines differ a little from beat's.
CHANGE_MARGIN = timedelta(seconds=10)
# last_run_at is written at least this often, and always on close (SIGTERM included).
SYNC_SECONDS = 5.0
# Beat sleeps at least this long between ticks (see tick()).
TICK_QUANTUM = 0.05
# Messages per pipelined round trip to the broker.
PUBLISH_BATCH = 1000
# Ids per UPDATE: SQLite builds before 3.32 allow 999 parameters.
SYNC_BATCH = 900

ROW_FIELDS = (
    "pk", "name", "task", "args", "kwargs", "queue", "exchange", "routing_key", "priority",
    "headers", "expire_seconds", "expires", "interval__every", "interval__period",
    "crontab_id", "solar_id", "clocked_id", "start_time", "one_off", "last_run_at",
    "date_changed",
)


@beat_init.connect
def prepare_beat_process(sender, **kwargs) -> None:
    """Sent once the scheduler has loaded the schedule, before the first tick."""
    from config.celery_app import pin_settings

    pin_settings(sender.app)
    # The entries live as long as beat: out of the collector's sight, a full collection no
    # longer walks 100,000 of them (a pause of a second) every so often.
    gc.freeze()


def phase_of(name: str, every: float) -> float:
    """Where in its interval a task's slots fall: stable across processes and restarts."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 * every


def ideal_slot(name: str, every: float, at: float) -> float:
    """The latest slot of this task at or before unix time `at`."""
    phase = phase_of(name, every)
    return phase + ((at - phase) // every) * every


class GridEntry:
    """A plain interval task, from one row: everything needed to send it, nothing more."""

    __slots__ = ("pk", "name", "task", "args", "kwargs", "options", "every", "phase",
                 "last_run_at", "date_changed", "generation", "sends")

    def __init__(self, row: dict) -> None:
        self.pk = row["pk"]
        self.generation = 0
        self.last_run_at = row["last_run_at"].timestamp() if row["last_run_at"] else None
        self.update(row)

    def update(self, row: dict) -> None:
        self.name = row["name"]
        self.task = row["task"]
        self.args = loads(row["args"] or "[]")
        self.kwargs = loads(row["kwargs"] or "{}")
        self.every = row["interval__every"] * PERIOD_SECONDS[row["interval__period"]]
        self.phase = phase_of(self.name, self.every)
        self.options = message_options(row)
        self.date_changed = row["date_changed"]
        self.sends = fan_out(self.kwargs, self.options)

    def slot_at_or_before(self, at: float) -> float:
        return self.phase + ((at - self.phase) // self.every) * self.every

    def first_due(self, now: float) -> float:
        """The next slot to run. A task whose last run is older than the latest slot missed
        it (beat was down or the task was just enabled): it is due now, once."""
        latest = self.slot_at_or_before(now)
        if self.last_run_at is not None and self.last_run_at < latest:
            return now
        return latest + self.every


class ClassicEntry:
    """Crontab, solar, clocked, or an interval with start_time, expires or one_off: few rows,
    so django-celery-beat's own ModelEntry decides when they are due."""

    __slots__ = ("pk", "entry", "date_changed", "generation")

    def __init__(self, model: PeriodicTask, app) -> None:
        self.pk = model.pk
        self.entry = ModelEntry(model, app=app)
        self.date_changed = model.date_changed
        self.generation = 0

    @property
    def name(self) -> str:
        return self.entry.name


def fan_out(kwargs: dict, options: dict) -> list[tuple[dict, dict]]:
    """The messages of one due slot: one, or one per region for a monitor checked from
    several (kwargs "regions"), each to its region's queue with its `region`."""
    regions = kwargs.get("regions")
    if not regions or not isinstance(regions, list):
        return [(kwargs, options)]
    rest = {key: value for key, value in kwargs.items() if key != "regions"}
    return [({**rest, "region": region}, {**options, "queue": f"checks.{region}"})
            for region in regions]


def message_options(row: dict) -> dict:
    """The options django-celery-beat's ModelEntry sends with each message."""
    options = {
        option: row[option]
        for option in ("queue", "exchange", "routing_key", "priority")
        if row[option] is not None
    }
    if row["expires"] or row["expire_seconds"]:
        options["expires"] = row["expires"] or row["expire_seconds"]
    headers = loads(row["headers"] or "{}")
    headers["periodic_task_name"] = row["name"]
    headers["celery_beat_task"] = True
    options["headers"] = headers
    return options


def is_grid_row(row: dict) -> bool:
    return (
        row["interval__every"] is not None
        and row["interval__period"] in PERIOD_SECONDS
        and row["interval__every"] > 0
        and not (row["crontab_id"] or row["solar_id"] or row["clocked_id"])
        and row["start_time"] is None
        and row["expires"] is None
        and not row["one_off"]
    )


class MonitorScheduler(DatabaseScheduler):
    """See the module docstring. Selected by CELERY_BEAT_SCHEDULER (config/settings/base.py)."""

    #: The clock slots are computed on; tests step a clock of their own.
    clock = staticmethod(time.time)
    refresh_seconds = REFRESH_SECONDS
    tick_quantum = TICK_QUANTUM
    sync_seconds = SYNC_SECONDS

    def __init__(self, *args, **kwargs) -> None:
        self._entries: dict[int, GridEntry | ClassicEntry] = {}
        self._heap: list = []
        self._counter = itertools.count()
        self._dirty_grid: set[int] = set()
        self._dirty_classic: set[int] = set()
        self._marker = None
        self._last_look = timezone.now()
        self._next_refresh = 0.0
        self._total_rows = 0
        self._last_sync_at = time.monotonic()
        self._writer: ThreadPoolExecutor | None = None
        self._pending_write: Future | None = None
        self._failed_writes: queue.SimpleQueue[list[int]] = queue.SimpleQueue()
        self._lock: BeatLock = NoLock()  # until setup_schedule() takes the real one
        self._broker_down_since: float | None = None
        self._reload_pending = False
        self.stats = {"full_loads": 0, "refreshes": 0, "id_scans": 0, "sent": 0}
        super().__init__(*args, **kwargs)

    # --- loading -------------------------------------------------------------------------

    def setup_schedule(self) -> None:
        # A standby beat waits here, before it has read or sent anything (monitors/beat_lock.py).
        self._lock = beat_lock()
        self._lock.wait()
        # django-celery-beat writes CELERY_BEAT_SCHEDULE (and celery.backend_cleanup) as rows;
        # from then on they are rows like any other.
        self.install_default_entries(None)
        self.update_from_dict(self.app.conf.beat_schedule)
        self.load_all()

    def update_from_dict(self, mapping) -> None:
        for name, fields in mapping.items():
            try:
                ModelEntry.from_entry(name, app=self.app, **fields)
            except Exception:
                logger.exception("cannot add %r to the database schedule", name)

    @property
    def schedule(self) -> dict:
        """Name -> entry, for introspection; the scheduler itself works off its heap."""
        return {entry.name: entry for entry in self._entries.values()}

    def load_all(self) -> None:
        """Read every enabled row: at start, and when a change cannot be found by date."""
        close_old_connections()
        self._last_look = timezone.now()
        self._marker = PeriodicTasks.last_change()
        self._total_rows = PeriodicTask.objects.count()
        rows = list(PeriodicTask.objects.enabled().values(*ROW_FIELDS))
        now = self.clock()
        for entry in self._entries.values():
            entry.generation += 1  # everything on the heap is stale
        previous, self._entries, self._heap = self._entries, {}, []
        for row in rows:
            old = previous.get(row["pk"])
            if isinstance(old, GridEntry) and old.last_run_at and is_grid_row(row):
                # Run state in memory is newer than the row's until the next sync.
                in_memory = datetime.fromtimestamp(old.last_run_at, tz=UTC)
                row["last_run_at"] = max(row["last_run_at"] or in_memory, in_memory)
        self._add_rows(rows, now)
        for pk, old in previous.items():
            entry = self._entries.get(pk)
            if isinstance(old, GridEntry) and isinstance(entry, GridEntry) and (
                (entry.every, entry.name) != (old.every, old.name)
            ):
                # As for an edit found by date: the next slot of the new grid, no catch-up.
                self._schedule_entry(entry, entry.slot_at_or_before(now) + entry.every)
        self.stats["full_loads"] += 1
        logger.info("beat: %d periodic tasks loaded", len(self._entries))

    def _add_rows(self, rows: list[dict], now: float) -> None:
        classic_pks = []
        for row in rows:
            if is_grid_row(row):
                entry = GridEntry(row)
                self._schedule_entry(entry, entry.first_due(now))
            else:
                classic_pks.append(row["pk"])
        self._load_classic(classic_pks, now)

    def _load_classic(self, pks: list[int], now: float) -> None:
        models = PeriodicTask.objects.filter(pk__in=pks).select_related(
            "interval", "crontab", "solar", "clocked"
        )
        for model in models:
            try:
                entry = ClassicEntry(model, self.app)
            except Exception:
                logger.exception("cannot schedule periodic task %s", model.name)
                continue
            self._schedule_entry(entry, now)

    def _schedule_entry(self, entry, due: float) -> None:
        entry.generation += 1
        self._entries[entry.pk] = entry
        heapq.heappush(self._heap, (due, next(self._counter), entry, entry.generation))

    def _drop(self, pk: int) -> None:
        entry = self._entries.pop(pk, None)
        if entry is not None:
            entry.generation += 1
            self._dirty_grid.discard(pk)
            self._dirty_classic.discard(pk)

    # --- noticing changes ----------------------------------------------------------------

    def refresh(self) -> None:
        """Apply what changed since the last look, reading only the changed rows."""
        close_old_connections()
        looked_at = timezone.now()
        marker = PeriodicTasks.last_change()
        if marker is None or marker == self._marker:
            self._last_look = looked_at
            return
        self._marker = marker
        self.stats["refreshes"] += 1
        started = time.perf_counter()
        now = self.clock()
        found_changes = self._apply_changed_rows(now)
        total, enabled = self._counts()
        if enabled != len(self._entries):
            self._reconcile_ids(now)
        if not found_changes and total == self._total_rows:
            # The marker moved, yet no row changed by date and none came or went: a schedule
            # row (an interval, a crontab) was edited in the admin, or a row was written with
            # a date_changed further back than the margin. Only a full read finds those.
            self.load_all()
        self._total_rows = total
        self._last_look = looked_at
        # What an edit costs the dispatch loop (make bench reads this line).
        logger.info("beat: schedule refreshed in %.1f ms (%d changed rows)",
                    (time.perf_counter() - started) * 1000, found_changes)

    def _apply_changed_rows(self, now: float) -> int:
        # Everything committed before the last look that found the marker still was applied
        # then; rows saved since have a later date_changed, give or take the margin.
        recent = PeriodicTask.objects.filter(date_changed__gte=self._last_look - CHANGE_MARGIN)
        # Dates first: the margin brings back rows already applied (within seconds of a bulk
        # import, thousands), and only the ones whose date moved are worth reading whole.
        changed = []
        for pk, date_changed, enabled in recent.values_list("pk", "date_changed", "enabled"):
            current = self._entries.get(pk)
            if current is None and not enabled:
                continue
            if current is None or current.date_changed != date_changed or not enabled:
                changed.append(pk)
        classic_pks = []
        for start in range(0, len(changed), SYNC_BATCH):
            rows = PeriodicTask.objects.filter(pk__in=changed[start:start + SYNC_BATCH])
            for row in rows.values(*ROW_FIELDS, "enabled"):
                current = self._entries.get(row["pk"])
                if not row["enabled"]:
                    self._drop(row["pk"])
                elif is_grid_row(row) and isinstance(current, GridEntry):
                    self._update_grid_entry(current, row, now)
                elif is_grid_row(row):
                    self._drop(row["pk"])
                    entry = GridEntry(row)
                    self._schedule_entry(entry, entry.first_due(now))
                else:
                    self._drop(row["pk"])
                    classic_pks.append(row["pk"])
        self._load_classic(classic_pks, now)
        return len(changed)

    def _update_grid_entry(self, entry: GridEntry, row: dict, now: float) -> None:
        every, name = entry.every, entry.name
        entry.update(row)
        if (entry.every, entry.name) != (every, name):
            # A new grid: the next slot on it, not a catch-up for slots it never had.
            self._schedule_entry(entry, entry.slot_at_or_before(now) + entry.every)

    def _counts(self) -> tuple[int, int]:
        counts = PeriodicTask.objects.aggregate(
            total=Count("pk"), enabled=Count("pk", filter=Q(enabled=True))
        )
        return counts["total"], counts["enabled"]

    def _reconcile_ids(self, now: float) -> None:
        # A deleted row leaves no date_changed to find: the count said one went (or one came
        # that its date did not reveal), so the ids are read, and only then.
        self.stats["id_scans"] += 1
        alive = set(PeriodicTask.objects.enabled().values_list("pk", flat=True))
        for pk in [pk for pk in self._entries if pk not in alive]:
            self._drop(pk)
        unknown = sorted(alive.difference(self._entries))
        for start in range(0, len(unknown), SYNC_BATCH):
            batch = PeriodicTask.objects.filter(pk__in=unknown[start:start + SYNC_BATCH])
            self._add_rows(list(batch.values(*ROW_FIELDS)), now)

    # --- running ---------------------------------------------------------------------------

    def tick(self, *args, **kwargs) -> float:
        """Send everything that is due; return how long beat may sleep."""
        if not self._lock.confirm():
            logger.error("beat: lost %s (database connection gone); dispatching stops until "
                         "it is held again", self._lock.description)
            self._lock.wait()
            # Another beat may have run meanwhile: its run state is in the rows.
            self._reload_pending = True
        if self._reload_pending:
            try:
                self.load_all()
                self._reload_pending = False
            except (DatabaseError, InterfaceError):
                # The lock came back before Django's pooled connections noticed the database
                # had gone: this error marks them unusable, and the next tick reads again.
                logger.exception("beat: could not reload the schedule; retrying")
        if time.monotonic() >= self._next_refresh:
            self._next_refresh = time.monotonic() + self.refresh_seconds
            try:
                self.refresh()
            except (DatabaseError, InterfaceError):
                logger.exception("beat: could not read the schedule; retrying")
        heap = self._heap
        now = self.clock()
        sent = 0
        if heap and heap[0][0] <= now:
            try:
                # kombu's publish batch pipelines the LPUSHes: one round trip to Redis per
                # thousand messages instead of one each, most of beat's cost per dispatch.
                with self.producer.batch(max_size=PUBLISH_BATCH):
                    # What was due when the tick began, and no more than a batch of it, so a
                    # backlog (a restart's catch-ups) never keeps refresh and sync waiting.
                    while heap and heap[0][0] <= now and sent < PUBLISH_BATCH:
                        due, _, entry, generation = heapq.heappop(heap)
                        if generation != entry.generation:
                            continue  # replaced, rescheduled or removed since pushed
                        if isinstance(entry, GridEntry):
                            self._run_grid(entry, now)
                        else:
                            self._run_classic(entry, now)
                        sent += 1
            except Exception as error:
                if not self._broker_unreachable(error):
                    logger.exception("beat: a batch of messages may not have reached the broker")
                elif self._broker_down_since is None:
                    # One line per outage, not a traceback per due monitor per tick: what is
                    # due stays due, and the next ticks try again.
                    self._broker_down_since = time.monotonic()
                    logger.warning("beat: cannot reach the broker (%s); due checks wait for it, "
                                   "and slots missed meanwhile are skipped", error)
            else:
                if sent and self._broker_down_since is not None:
                    logger.warning("beat: the broker is back after %.0f s",
                                   time.monotonic() - self._broker_down_since)
                    self._broker_down_since = None
        if len(heap) > 2 * len(self._entries) + 1000:
            self._compact_heap()
        if (self._dirty_grid or self._dirty_classic) and (
            time.monotonic() - self._last_sync_at >= self.sync_seconds
        ):
            self._sync_in_background()
        if sent >= PUBLISH_BATCH:
            return 0.0  # more is due: the next tick sends it
        wait = (heap[0][0] - self.clock()) if heap else self.max_interval
        wait = min(wait, self.max_interval, self._next_refresh - time.monotonic())
        # Waking for every single message costs more than the message; a short quantum lets
        # each tick send what fell due meanwhile, for at most this much lag.
        return max(wait, self.tick_quantum)

    def _run_grid(self, entry: GridEntry, now: float) -> None:
        # The next slot after now, whether this send reaches the broker or not: slots missed
        # while beat was stalled (or the broker away) are not sent late one after another,
        # since each would be a duplicate of the next.
        self._schedule_entry(entry, entry.slot_at_or_before(now) + entry.every)
        for kwargs, options in entry.sends:
            self._send(entry.name, entry.task, entry.args, kwargs, options)
        entry.last_run_at = now
        self._dirty_grid.add(entry.pk)

    def _run_classic(self, classic: ClassicEntry, now: float) -> None:
        try:
            is_due, next_in = classic.entry.is_due()
        except Exception:
            is_due, next_in = False, self.max_interval
            logger.exception("beat: cannot compute the next run of %s", classic.name)
        if is_due:
            entry = classic.entry
            try:
                self._send(entry.name, entry.task, entry.args, entry.kwargs, entry.options)
            except Exception:
                self._schedule_entry(classic, now + 1.0)  # the broker is away: try again
                raise
            classic.entry = next(entry)
            self._dirty_classic.add(classic.pk)
        if not classic.entry.model.enabled:  # one-off done, or expired
            self._drop(classic.pk)
            return
        self._schedule_entry(classic, now + max(float(next_in), 0.01))

    def _send(self, name: str, task_name: str, args, kwargs, options: dict) -> None:
        task = self.app.tasks.get(task_name)
        try:
            if task is not None:
                task.apply_async(args, kwargs, producer=self.producer, **options)
            else:
                self.app.send_task(task_name, args, kwargs, producer=self.producer, **options)
            self.stats["sent"] += 1
        except Exception as error:
            if self._broker_unreachable(error):
                raise  # tick() says so once, and stops this tick's batch
            logger.exception("beat: could not send %s", name)

    def _broker_unreachable(self, error: BaseException) -> bool:
        """A connection error of the broker's transport, or kombu's wrapping of one, anywhere
        in the chain (a failed publish inside a batch surfaces through the batch's exit)."""
        connection = getattr(self.producer, "connection", None)
        kinds = (OperationalError, ConnectionError, TimeoutError,
                 *getattr(connection, "connection_errors", ()))
        while error is not None:
            if isinstance(error, kinds):
                return True
            error = error.__cause__ or error.__context__
        return False

    def _compact_heap(self) -> None:
        self._heap = [item for item in self._heap if item[3] == item[2].generation]
        heapq.heapify(self._heap)

    # --- persisting ------------------------------------------------------------------------

    def sync(self) -> None:
        """Write last_run_at of what was sent, now: on close (SIGTERM included) and in tests.
        While beat runs, tick() has the same written by a thread of its own."""
        if self._pending_write is not None:
            self._pending_write.result()  # a write still running lands first
        self._write_run_state(*self._take_run_state())

    def _sync_in_background(self) -> None:
        # The UPDATEs take tens of milliseconds at 100k monitors; the database wait does not
        # hold the GIL, so a thread of its own keeps them out of the dispatch loop.
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="beat-sync")
        self._pending_write = self._writer.submit(
            self._write_run_state_in_thread, *self._take_run_state()
        )

    def _take_run_state(self) -> tuple[list[int], list[ModelEntry], datetime]:
        self._last_sync_at = time.monotonic()
        while not self._failed_writes.empty():
            self._dirty_grid.update(self._failed_writes.get())
        grid, self._dirty_grid = self._dirty_grid, set()
        classic, self._dirty_classic = self._dirty_classic, set()
        classic_entries = [
            entry.entry for pk in classic
            if isinstance(entry := self._entries.get(pk), ClassicEntry)
        ]
        # Each entry's last run is at or before now and after its latest slot, so one
        # timestamp for the batch says the same as each one's own: "this slot was sent".
        stamp = datetime.fromtimestamp(self.clock(), tz=UTC)
        if not settings.USE_TZ:
            stamp = stamp.replace(tzinfo=None)
        return sorted(grid), classic_entries, stamp

    def _write_run_state_in_thread(self, ids: list[int], classic: list[ModelEntry],
                                   stamp: datetime) -> None:
        try:
            self._write_run_state(ids, classic, stamp)
        finally:
            connection.close()  # this thread's own connection (or back to the pool)

    def _write_run_state(self, ids: list[int], classic: list[ModelEntry],
                         stamp: datetime) -> None:
        if not ids and not classic:
            return
        try:
            close_old_connections()
            with transaction.atomic():
                for start in range(0, len(ids), SYNC_BATCH):
                    # update(), not save(): no date_changed bump, so beat's own writes are
                    # not read back as edits, and no change marker.
                    PeriodicTask.objects.filter(pk__in=ids[start:start + SYNC_BATCH]).update(
                        last_run_at=stamp
                    )
            for entry in classic:
                entry.save()
        except (DatabaseError, InterfaceError):
            logger.exception("beat: could not save run state; will retry")
            self._failed_writes.put(ids)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        super().close()
        self._lock.release()

    def should_sync(self) -> bool:
        # Called by celery's Service after every sleep; tick() decides itself.
        return False

    @property
    def info(self) -> str:
        # Celery prints this from a scheduler made lazily, before anything is loaded; the
        # count of tasks comes in the log line of the load.
        return "    . grid scheduler (monitors/scheduler.py)"
