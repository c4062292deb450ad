"""History at scale: what a check costs on disk, how long rolling up takes, and how long the
30-day and 365-day figures take, read from raw results and from rollups side by side on the
same rows (monitors/rollups.py).

    python -m bench.history [--monitors 10000] [--days 30] [--user-monitors 100]

The rows are generated in bulk by PostgreSQL (generate_series), in the database of `make bench`
(dropped and recreated): one user's monitors get a check every `--interval` seconds for
`--days` days; the other monitors get checks for the last `--raw-hours` hours and, for the
days before, hourly rollup rows as the roll-up would have written them (so that the rollup
table has the size of `--days` days of every monitor without inserting every raw row first).
Then the real roll-up runs over all of it, and each figure is timed (median of `--repeat`).
"""

import argparse
import statistics
import time
from datetime import timedelta

from .__main__ import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, setup_django


def generate(*, monitors: int, user_monitors: int, days: int, raw_hours: int,
             interval: int, database_url: str) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from monitors.bulk import create_monitors
    from monitors.models import CheckResult, Monitor

    from . import dataset

    dataset.reset_database(database_url)
    users = get_user_model().objects
    user, others = users.create(username="bench-user"), users.create(username="bench-others")
    create_monitors([
        Monitor(owner=user if index < user_monitors else others, name=f"bench {index}",
                url=f"http://127.0.0.1:9/{index}", interval_seconds=interval, timeout_seconds=5)
        for index in range(monitors)
    ])
    user_ids = list(Monitor.objects.filter(owner=user).values_list("pk", flat=True))
    now = timezone.now()
    checks = CheckResult._meta.db_table
    started = time.monotonic()
    # About 1 % failures; response times spread like a real fleet's (20 ms to a few seconds).
    insert_checks = f"""
        INSERT INTO {checks} (monitor_id, checked_at, outcome, status_code, response_ms, error,
                              region)
        SELECT m.id, t,
               CASE WHEN random() < 0.01 THEN 'timeout' ELSE 'ok' END,
               200, (20 + 400 * random() ^ 3)::int, '', ''
        FROM monitors_monitor AS m,
             generate_series(%s::timestamptz, %s::timestamptz, make_interval(secs => %s)) AS t
        WHERE m.owner_id = %s
        ORDER BY t, m.id  -- in time order, as workers store them (the BRIN index needs it)
    """
    with connection.cursor() as cursor:
        cursor.execute(insert_checks, [now - timedelta(days=days), now, interval, user.pk])
        cursor.execute(insert_checks, [now - timedelta(hours=raw_hours), now, interval,
                                       others.pk])
        # As autovacuum would by now: the BRIN index summarizes the new block ranges.
        cursor.execute(f"VACUUM ANALYZE {checks}")
    generated = time.monotonic() - started
    return {"user_ids": user_ids, "others": others.pk, "now": now,
            "generated_seconds": generated, "checks": CheckResult.objects.count()}


def add_older_rollups(*, others: int, now, days: int, raw_hours: int, interval: int) -> None:
    """The other monitors' hours before their raw results, as the roll-up would have written
    them (one row per monitor and hour); then their days are rolled up again."""
    from django.db import connection

    from monitors import rollups
    from monitors.models import Rollup

    rollup = Rollup._meta.db_table
    per_hour = 3600 // interval
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO {rollup} (monitor_id, region, period, start, checks, up_checks,
                                  degraded_checks, timed_checks, response_ms_sum,
                                  response_ms_min, response_ms_max, histogram,
                                  downtime_seconds)
            SELECT m.id, '', 'hour', h, {per_hour}, {per_hour}, 0, {per_hour},
                   {per_hour} * 120, 20, 420, '{{"17": {per_hour // 2}, "21": {per_hour // 2}}}',
                   0
            FROM monitors_monitor AS m,
                 generate_series(%s::timestamptz, %s::timestamptz, interval '1 hour') AS h
            WHERE m.owner_id = %s
            ON CONFLICT DO NOTHING
        """, [rollups.floor_hour(now - timedelta(days=days)),
              rollups.floor_hour(now - timedelta(hours=raw_hours)) - rollups.HOUR, others])
        cursor.execute(f"ANALYZE {rollup}")


def sizes() -> dict:
    from django.db import connection

    from monitors.models import CheckResult, Rollup

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        result = {}
        for model in (CheckResult, Rollup):
            table = model._meta.db_table
            cursor.execute(f"SELECT pg_total_relation_size('{table}'), count(*) FROM {table}")
            result[table] = cursor.fetchone()
    return result


def timed(function, repeat: int) -> float:
    """Median seconds of `repeat` calls."""
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def measure(options) -> dict:
    from monitors import rollups
    from monitors.models import Monitor

    data = generate(monitors=options.monitors, user_monitors=options.user_monitors,
                    days=options.days, raw_hours=options.raw_hours, interval=options.interval,
                    database_url=options.database_url)
    now = data["now"]
    started = time.monotonic()
    written = rollups.roll_up(now=now, budget_seconds=3600)
    rolled_seconds = time.monotonic() - started
    add_older_rollups(others=data["others"], now=now, days=options.days,
                      raw_hours=options.raw_hours, interval=options.interval)
    day = rollups.floor_day(now - timedelta(days=options.days))
    while day + rollups.DAY <= rollups.rolled().days:
        rollups.roll_up_day(day)
        day += rollups.DAY
    last_hour = rollups.rolled().hours - rollups.HOUR
    hour_seconds = timed(lambda: rollups.roll_up_hour(last_hour), 1)
    sized = sizes()
    raw_only = rollups.Rolled(None, None)
    one = data["user_ids"][:1]
    figures = []
    for label, ids in (("1 monitor", one), (f"{len(data['user_ids'])} monitors (one user)",
                                           data["user_ids"])):
        for days in (30, 365):
            window = {"since": now - timedelta(days=days), "until": now}
            raw = timed(lambda ids=ids, window=window: rollups.summaries(
                ids, **window, done=raw_only), options.repeat)
            rolled = timed(lambda ids=ids, window=window: rollups.summaries(ids, **window),
                           options.repeat)
            same = (rollups.summaries(ids, **window, done=raw_only)
                    == rollups.summaries(ids, **window))
            figures.append({"who": label, "days": days, "raw": raw, "rollups": rolled,
                            "same": same})
    return {"data": data, "written": written, "rolled_seconds": rolled_seconds,
            "hour_seconds": hour_seconds, "monitors": Monitor.objects.count(),
            "sizes": sized, "figures": figures}


def report(options, result: dict) -> str:
    from django.conf import settings

    from monitors.models import CheckResult, Rollup

    checks_bytes, checks_rows = result["sizes"][CheckResult._meta.db_table]
    kept_rows = (24 * settings.UPTIME_HOURLY_ROLLUP_RETENTION_DAYS
                 + settings.UPTIME_ROLLUP_RETENTION_DAYS)  # per monitor
    rollup_bytes, rollup_rows = result["sizes"][Rollup._meta.db_table]
    lines = [
        f"history: {result['monitors']:,} monitors at {options.interval} s; "
        f"{options.user_monitors} of them (one user) with {options.days} days of raw results, "
        f"the rest {options.raw_hours} h raw and hourly rollups before; "
        f"{checks_rows:,} raw results generated in {result['data']['generated_seconds']:.0f} s",
        f"- raw results: {checks_bytes / checks_rows:.0f} bytes per check on PostgreSQL "
        f"(table and indexes, {checks_bytes / 2**20:,.0f} MiB); a day of {result['monitors']:,} "
        f"monitors at {options.interval} s: "
        f"{checks_bytes / checks_rows * result['monitors'] * 86400 / options.interval / 2**30:.1f}"
        " GiB",
        f"- rollups: {rollup_rows:,} rows, {rollup_bytes / rollup_rows:.0f} bytes each "
        f"({rollup_bytes / 2**20:,.0f} MiB); what the default retention keeps of "
        f"{result['monitors']:,} monitors ({settings.UPTIME_HOURLY_ROLLUP_RETENTION_DAYS} days "
        f"of hours, {settings.UPTIME_ROLLUP_RETENTION_DAYS} of days): "
        f"{rollup_bytes / rollup_rows * result['monitors'] * kept_rows / 2**30:.1f} GiB",
        f"- roll-up: {result['written']['hours']:,} hours and {result['written']['days']} days "
        f"caught up in {result['rolled_seconds']:.1f} s; one hour of every monitor "
        f"({result['monitors']:,} x {3600 // options.interval} checks) in "
        f"{result['hour_seconds']:.2f} s",
        "",
        "| figure | from raw results | from rollups | ratio | same figures |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in result["figures"]:
        lines.append(
            f"| {row['days']} d, {row['who']} | {1000 * row['raw']:,.1f} ms | "
            f"{1000 * row['rollups']:,.1f} ms | {row['raw'] / row['rollups']:,.1f}x | "
            f"{'yes' if row['same'] else 'NO'} |")
    return "\n".join(lines)


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.history",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=10_000)
    parser.add_argument("--user-monitors", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--raw-hours", type=int, default=6)
    parser.add_argument("--interval", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    options = parse(argv)
    setup_django(options)
    print(report(options, measure(options)), flush=True)


if __name__ == "__main__":
    main()
