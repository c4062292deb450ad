"""One phase of a bench run: one scheduler, N monitors, warm-up, a measured window, shutdown."""

import importlib
import json
import os
import re
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import redis

from uptime.stack import stack_commands

from . import analysis, dataset
from .procs import Child, Children, machine_cpu_seconds, tree_cpu_seconds, tree_memory

ROOT = Path(__file__).resolve().parent.parent
SCHEDULERS = {
    "stock": "django_celery_beat.schedulers:DatabaseScheduler",
    "ours": "monitors.scheduler:MonitorScheduler",
}
# An arrival this much before an ideal slot counts as early for that slot, not late for the
# previous one (see analysis.lags_on_grid). Small: a check message expires after one interval,
# so a real lag lies in [0, interval) and a larger tolerance would fold the lag of a check
# that waited almost an interval into a small negative one.
EARLY_TOLERANCE_SECONDS = 0.05
# How long after an edit a dispatch gap is blamed on it: beat notices a change within a tick
# (django-celery-beat's default max interval is 5 s), then reloads.
EDIT_SPAN_SECONDS = 10.0
QUEUE_KEYS = ["checks", "checks\x06\x163", "checks\x06\x166", "checks\x06\x169"]


class PhaseFailed(Exception):
    pass


@dataclass
class Settings:
    monitors: int
    interval: int
    seconds: float
    warmup: float
    timeout: int
    mix: dict[str, float]
    beat_only: bool
    database_url: str
    redis_url: str
    seed: int
    beat_stop_timeout: float
    in_flight_checks: int


class Fleet:
    def __init__(self, url: str) -> None:
        self.url = url

    def _get(self, path: str) -> dict:
        with urllib.request.urlopen(f"{self.url}/_bench/{path}", timeout=30) as response:
            return json.load(response)

    def take_arrivals(self) -> dict[int, list[float]]:
        return {int(key): times for key, times in self._get("arrivals")["arrivals"].items()}

    def in_flight(self) -> dict[str, int]:
        return self._get("inflight")["in_flight"]


def ideal_grid_for(label: str):
    """monitors.scheduler.ideal_slot for our scheduler when it has one, else None."""
    if label != "ours":
        return None
    try:
        return importlib.import_module("monitors.scheduler").ideal_slot
    except (ImportError, AttributeError):
        return None


def child_env(settings: Settings, scheduler: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "UPTIME_ALLOW_PRIVATE_TARGETS": "1",
        "UPTIME_BEAT_SCHEDULER": scheduler,
        # What production runs with; DEBUG keeps every query in memory.
        "DEBUG": "0",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def wait_for_log(child: Child, text: str, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in child.log_path.read_text(errors="replace"):
            return
        if not child.alive():
            break
        time.sleep(0.2)
    raise PhaseFailed(f"{child.name} did not say {text!r}:\n{tail(child)}")


def wait_for_worker(child: Child, *, timeout: float) -> None:
    """Until the worker answers a ping over the broker (its log level may hide "ready")."""
    from config.celery_app import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.alive():
        if app.control.ping(timeout=1.0):
            return
    raise PhaseFailed(f"{child.name} did not answer a ping:\n{tail(child)}")


def tail(child: Child, chars: int = 3000) -> str:
    return child.log_path.read_text(errors="replace")[-chars:]


def sleep_until(moment: float, watched: list[Child], every=None) -> None:
    """Sleep, checking twice a second that the watched processes live (and calling `every`)."""
    while (left := moment - time.time()) > 0:
        for child in watched:
            if not child.alive():
                raise PhaseFailed(f"{child.name} exited with {child.process.returncode}:\n"
                                  f"{tail(child)}")
        if every is not None:
            every()
        time.sleep(min(left, 0.5))


def queue_length(client: redis.Redis) -> int:
    return sum(client.llen(key) for key in QUEUE_KEYS)


def snapshot(beat: Child, consumer: Child, client: redis.Redis) -> dict:
    """The counters whose growth over the window makes the figures."""
    return {
        "beat_cpu": tree_cpu_seconds(beat.pid),
        "consumer_cpu": tree_cpu_seconds(consumer.pid),
        "checks": dataset.check_result_count(),
        "bytes": dataset.check_result_bytes(),
        "queue": queue_length(client),
        "machine_cpu": machine_cpu_seconds(),
    }


def run_phase(label: str, monitors_count: int, settings: Settings, fleet: Fleet,
              children: Children, logs: Path) -> dict:
    scheduler = SCHEDULERS[label]
    # Only the checks worker and beat are started; the web address is not used.
    commands = stack_commands(host="127.0.0.1", port=0)
    env = child_env(settings, scheduler)
    client = redis.Redis.from_url(settings.redis_url)
    print(f"[{label}] fresh database, {monitors_count} monitors", flush=True)
    dataset.reset_database(settings.database_url)
    client.flushdb()
    kinds = dataset.assign_kinds(monitors_count, settings.mix, settings.seed)
    started = time.monotonic()
    monitors = dataset.create_monitors(
        kinds, fleet.url, interval=settings.interval, timeout=settings.timeout
    )
    created_seconds = time.monotonic() - started
    ideal_slot = ideal_grid_for(label)
    if ideal_slot is not None:
        dataset.last_runs_on_grid(monitors, ideal_slot, interval=settings.interval)
    else:
        dataset.spread_last_runs(interval=settings.interval, seed=settings.seed)
    task_names = {index: monitor.periodic_task.name for index, monitor in enumerate(monitors)}
    fleet.take_arrivals()

    if settings.beat_only:
        drain_out = logs / f"{label}-drain.json"
        consumer = children.start(
            "drain", [sys.executable, "-m", "bench.drain", "--redis-url", settings.redis_url,
                      "--out", str(drain_out)],
            env=env, cwd=ROOT, log=logs / f"{label}-drain.log",
        )
        wait_for_log(consumer, "draining", timeout=30)
    else:
        consumer = children.start("checks", commands["checks"], env=env, cwd=ROOT,
                                  log=logs / f"{label}-checks.log")
        wait_for_worker(consumer, timeout=90)
    print(f"[{label}] beat ({scheduler}); warm-up {settings.warmup:.0f} s, "
          f"then {settings.seconds:.0f} s measured", flush=True)
    beat = children.start("beat", commands["beat"], env=env, cwd=ROOT,
                          log=logs / f"{label}-beat.log")
    watched = [beat, consumer]
    sleep_until(time.time() + settings.warmup, watched)

    start = time.time()
    before = snapshot(beat, consumer, client)
    queue_lengths = [before["queue"]]

    def sample_queue() -> None:
        queue_lengths.append(queue_length(client))

    sleep_until(start + settings.seconds / 2, watched, sample_queue)
    edited_index = kinds.index("instant") if "instant" in kinds else 0
    edit_at, edit_save_seconds = edit_one(monitors[edited_index])
    sleep_until(start + settings.seconds, watched, sample_queue)
    end = time.time()
    after = snapshot(beat, consumer, client) | {"max_queue": max(queue_lengths)}
    print(f"[{label}] SIGTERM to beat", flush=True)
    beat_exit_seconds, beat_killed = children.stop(beat, timeout=settings.beat_stop_timeout)
    beat_log = beat.log_path.read_text(errors="replace")

    memory = None
    if settings.beat_only:
        children.stop(consumer, timeout=30)
        drained = json.loads(drain_out.read_text())["arrivals"]
        index_of = {name: index for index, name in task_names.items()}
        arrivals = {index_of[name]: times for name, times in drained.items() if name in index_of}
    else:
        hanging = [m for m, kind in zip(monitors, kinds, strict=True) if kind == "hang"]
        if hanging:
            print(f"[{label}] memory with hanging checks in flight", flush=True)
            memory = in_flight_memory(consumer, fleet, client, hanging[:settings.in_flight_checks],
                                      settings.timeout)
        children.stop(consumer, timeout=30)
        arrivals = fleet.take_arrivals()

    # The raw material, for a second look at the figures.
    (logs / f"{label}-arrivals.json").write_text(json.dumps({
        "window": [start, end], "edit_at": edit_at, "edited_index": edited_index,
        "interval": settings.interval, "kinds": kinds, "task_names": task_names,
        "arrivals": arrivals,
    }))
    window = analysis.Window(start, end)
    return figures(
        label=label, scheduler=scheduler, settings=settings, monitors_count=monitors_count,
        window=window, arrivals=arrivals, task_names=task_names, edited_index=edited_index,
        edit_at=edit_at, before=before, after=after,
        extra={
            "created_seconds": created_seconds,
            "edit_save_seconds": edit_save_seconds,
            "beat_exit_seconds": beat_exit_seconds,
            "beat_killed_after_timeout": beat_killed,
            "beat_tracebacks": beat_log.count("Traceback"),
            "edit_refresh_ms": edit_refresh_ms(beat_log, edit_at),
            "commands": {
                name: " ".join(["python", *command[1:]]) for name, command in commands.items()
                if name == "beat" or (name == "checks" and not settings.beat_only)
            },
            "memory": memory,
        },
    )


REFRESH_LINE = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/\w+\] "
    r"beat: schedule refreshed in ([\d.]+) ms", re.MULTILINE,
)


def edit_refresh_ms(beat_log: str, edit_at: float) -> float | None:
    """How long our beat's dispatch loop stood still to apply the edit: the longest refresh
    it logged from the edit on (its own clock; the stock scheduler logs none)."""
    durations = [
        float(ms) for stamp, ms in REFRESH_LINE.findall(beat_log)
        if datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").astimezone().timestamp()
        >= edit_at - 1
    ]
    return max(durations, default=None)


def edit_one(monitor) -> tuple[float, float]:
    """Change one monitor's interval through Monitor.save(), as the API or admin would."""
    monitor.refresh_from_db()
    monitor.interval_seconds += 1
    edit_at = time.time()
    started = time.monotonic()
    monitor.save()
    return edit_at, time.monotonic() - started


def in_flight_memory(worker: Child, fleet: Fleet, client: redis.Redis, hanging, timeout: int
                     ) -> dict:
    """Worker memory with many checks waiting on hanging targets, against idle."""
    from monitors.tasks import check_now

    client.delete(*QUEUE_KEYS)
    deadline = time.monotonic() + 3 * timeout + 30
    quiet_since = None
    while time.monotonic() < deadline:
        if sum(fleet.in_flight().values()) == 0:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= 1.0:
                break
        else:
            quiet_since = None
        time.sleep(0.25)
    idle = tree_memory(worker.pid)
    for monitor in hanging:
        check_now(monitor)
    samples = []
    sample_until = time.monotonic() + max(1.0, timeout * 0.8)
    while time.monotonic() < sample_until:
        in_flight = fleet.in_flight().get("hang", 0)
        samples.append((in_flight, tree_memory(worker.pid)))
        time.sleep(0.25)
    peak_in_flight = max(count for count, _ in samples)
    # The last sample at the peak: by then the memory of those checks has been touched.
    loaded = [memory for count, memory in samples if count == peak_in_flight][-1]
    client.delete(*QUEUE_KEYS)
    return {
        "queued": len(hanging),
        "in_flight": peak_in_flight,
        "idle_rss": idle["rss"],
        "loaded_rss": loaded["rss"],
        "idle_pss": idle["pss"],
        "loaded_pss": loaded["pss"],
        "rss_per_in_flight": (
            (loaded["rss"] - idle["rss"]) / peak_in_flight if peak_in_flight else None
        ),
        "pss_per_in_flight": (
            (loaded["pss"] - idle["pss"]) / peak_in_flight if peak_in_flight else None
        ),
        "whole_rss_per_in_flight": loaded["rss"] / peak_in_flight if peak_in_flight else None,
    }


def figures(*, label, scheduler, settings: Settings, monitors_count, window, arrivals,
            task_names, edited_index, edit_at, before, after, extra) -> dict:
    interval = settings.interval
    ideal_slot = ideal_grid_for(label)
    lags: list[tuple[float, float]] = []
    all_times: list[float] = []
    for index, times in arrivals.items():
        selected = window.select(times)
        all_times += selected
        if index == edited_index:
            continue
        if ideal_slot is not None:
            name = task_names[index]
            lags += analysis.lags_on_grid(
                selected, lambda at, name=name: ideal_slot(name, interval, at),
                early_tolerance=EARLY_TOLERANCE_SECONDS,
            )
        else:
            lags += analysis.anchored_lags(times, interval, window)
    all_times.sort()
    keys = [index for index in range(monitors_count) if index != edited_index]
    left_unchecked = analysis.unchecked(keys, arrivals, window.end - 2 * interval, window.end)
    checks = after["checks"] - before["checks"]
    dispatches_exact = True
    if settings.beat_only:
        dispatches = len(all_times)
    else:
        # What beat sent that was not checked yet is still in the queue. A message that waited
        # a whole interval expired and was dropped unseen: with a queue that long the count is
        # a lower bound (and beat CPU per dispatch an upper bound).
        dispatches = max(0, len(all_times) + after["queue"] - before["queue"])
        achieved = len(all_times) / window.seconds
        dispatches_exact = after["max_queue"] < 0.9 * achieved * interval
    machine_busy = after["machine_cpu"][0] - before["machine_cpu"][0]
    machine_total = after["machine_cpu"][1] - before["machine_cpu"][1]
    beat_cpu = after["beat_cpu"] - before["beat_cpu"]
    consumer_cpu = after["consumer_cpu"] - before["consumer_cpu"]
    return {
        "label": label,
        "scheduler": scheduler,
        "monitors": monitors_count,
        "window": {"start": window.start, "end": window.end, "seconds": window.seconds},
        "lag_grid": (
            "ideal_slot" if ideal_slot is not None else "anchored"
        ),
        "needed_per_second": monitors_count / interval,
        "achieved_per_second": len(all_times) / window.seconds,
        "arrivals": len(all_times),
        "lag": analysis.summary([lag for _, lag in lags]),
        "unchecked": len(left_unchecked),
        "unchecked_share": len(left_unchecked) / len(keys) if keys else 0.0,
        "dispatches": dispatches,
        "dispatches_exact": dispatches_exact,
        "max_queue_length": after["max_queue"],
        "beat_cpu_seconds": beat_cpu,
        "beat_cpu_per_dispatch": beat_cpu / dispatches if dispatches else None,
        "beat_core_share": beat_cpu / window.seconds,
        "edit": {"at": edit_at, "span": EDIT_SPAN_SECONDS,
                 **analysis.edit_stall(all_times, window, edit_at, EDIT_SPAN_SECONDS)},
        "checks_recorded": checks,
        "worker_cpu_seconds": None if settings.beat_only else consumer_cpu,
        "worker_cpu_per_check": (
            consumer_cpu / checks if checks and not settings.beat_only else None
        ),
        "worker_core_share": None if settings.beat_only else consumer_cpu / window.seconds,
        # Everything on the machine, the bench's own processes, PostgreSQL, Redis and whatever
        # else runs here: a busy machine makes every figure worse.
        "machine_busy_share": machine_busy / machine_total if machine_total else None,
        "db_bytes_per_check": (after["bytes"] - before["bytes"]) / checks if checks else None,
        **extra,
        "series": {
            "lag": analysis.lag_series(lags, window, bucket=5.0),
            "rate": analysis.rate_series(all_times, window, bucket=1.0),
        },
    }
