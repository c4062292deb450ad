"""A fresh database per phase and the bench's monitors in it, all pointing at the fleet."""

import random
import time

import dj_database_url
import psycopg
from django.core.management import call_command
from django.db import connection, connections

from monitors.schedule import CHECK_TASK

# The bench drops and recreates its database: refuse any whose name does not say "bench".
REQUIRED_NAME_PART = "bench"
GRID_BATCH = 5000


def reset_database(database_url: str) -> None:
    """Drop and recreate the bench database, then migrate it."""
    config = dj_database_url.parse(database_url)
    if not config["ENGINE"].endswith("postgresql"):
        raise SystemExit("the bench measures the production topology: give it a PostgreSQL URL")
    name = config["NAME"]
    if REQUIRED_NAME_PART not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    for existing in connections.all():
        existing.close()
        # A pooled connection would outlive close() and die in the DROP below.
        if getattr(existing, "pool", None) is not None:
            existing.close_pool()
    maintenance = psycopg.connect(
        host=config["HOST"] or None, port=config["PORT"] or None, user=config["USER"] or None,
        password=config["PASSWORD"] or None, dbname="postgres", autocommit=True,
    )
    with maintenance:
        # WITH (FORCE): a process of an aborted earlier run may still hold a connection.
        maintenance.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        maintenance.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", interactive=False, verbosity=0)


def assign_kinds(count: int, mix: dict[str, float], seed: int) -> list[str]:
    """A target kind per monitor index: the mix's shares (the rest instant), shuffled."""
    kinds: list[str] = []
    for kind, share in mix.items():
        kinds += [kind] * round(count * share)
    if len(kinds) > count:
        raise SystemExit("the target mix adds up to more than 100 %")
    kinds += ["instant"] * (count - len(kinds))
    random.Random(seed).shuffle(kinds)
    return kinds


def create_monitors(kinds: list[str], fleet_url: str, *, interval: int, timeout: int):
    """One monitor per kind entry, monitor i checking <fleet>/<kind>/i; returns them saved."""
    from django.contrib.auth import get_user_model

    from monitors.bulk import create_monitors as create_in_bulk
    from monitors.models import Monitor

    owner = get_user_model().objects.create_user(username="bench")
    return create_in_bulk([
        Monitor(owner=owner, name=f"bench {index}", url=f"{fleet_url}/{kind}/{index}",
                interval_seconds=interval, timeout_seconds=timeout)
        for index, kind in enumerate(kinds)
    ])


def spread_last_runs(*, interval: int, seed: int) -> None:
    """Give each check's PeriodicTask a last_run_at spread over the past interval, as monitors
    created over time would have. Created in one go they would all share it, and
    django-celery-beat's scheduler would then run them all in the same second, every interval."""
    with connection.cursor() as cursor:
        # One statement, so that 100,000 rows take a second; setseed makes it repeatable.
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        cursor.execute(
            "UPDATE django_celery_beat_periodictask "
            "SET last_run_at = now() - random() * %s * interval '1 second' WHERE task = %s",
            [interval, CHECK_TASK],
        )


def last_runs_on_grid(monitors, ideal_slot, *, interval: int) -> None:
    """Set each check's last_run_at to its latest slot on the scheduler's own grid, as if
    that beat had been running all along. With any other last_run_at, a monitor whose latest
    slot is later counts as overdue and gets its catch-up check the moment beat starts: half
    the fleet at once, a backlog the warm-up would not absorb."""
    now = time.time()
    rows = [
        # A millisecond past the slot, so that rounding to microseconds cannot put it before.
        (monitor.periodic_task_id, ideal_slot(monitor.periodic_task.name, interval, now) + 0.001)
        for monitor in monitors
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), GRID_BATCH):
            batch = rows[start:start + GRID_BATCH]
            values = ", ".join(["(%s, to_timestamp(%s))"] * len(batch))
            cursor.execute(
                "UPDATE django_celery_beat_periodictask AS task SET last_run_at = slot.at "
                f"FROM (VALUES {values}) AS slot(id, at) WHERE task.id = slot.id",
                [value for row in batch for value in row],
            )


def check_result_count() -> int:
    from monitors.models import CheckResult

    return CheckResult.objects.count()


def check_result_bytes() -> int:
    """The check results' table with its indexes and TOAST, as PostgreSQL stores it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size('monitors_checkresult')")
        return cursor.fetchone()[0]
