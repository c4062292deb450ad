"""Beat's cost of regions: N monitors without regions, then the same N with R regions each,
side by side in one run (one PeriodicTask per monitor either way; ours sends one message per
region at each slot).

    python -m bench.regions [--monitors 10000] [--regions 3] [--interval 60]

Beat's scheduler runs in this process on a stepped clock (a simulated interval takes
seconds), against the real PostgreSQL and Redis of `make bench` (the same database, dropped
and recreated, and Redis database). One interval loads and spreads the monitors on their
grids; the next is measured: this process's CPU time in tick() (and beat's background syncs),
per message sent, and what that would be as a share of a core in real time.
"""

import argparse
import time

from .__main__ import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, setup_django

STEP = 0.25  # seconds of beat time per tick, as a busy real beat ticks


def measure(*, monitors: int, regions: int, interval: int, database_url: str,
            redis_url: str) -> dict:
    import redis
    from django.contrib.auth import get_user_model

    from config.celery_app import app
    from monitors.bulk import create_monitors
    from monitors.models import Monitor
    from monitors.scheduler import MonitorScheduler

    from . import dataset

    dataset.reset_database(database_url)
    owner = get_user_model().objects.create(username="bench-regions")
    names = [f"r{n}" for n in range(regions)]
    create_monitors([
        Monitor(owner=owner, name=f"bench {index}", url=f"http://127.0.0.1:9/{index}",
                interval_seconds=interval, timeout_seconds=5, regions=names)
        for index in range(monitors)
    ])
    client = redis.Redis.from_url(redis_url)
    queues = ["checks", *(f"checks.{name}" for name in names)]
    client.delete(*queues)
    now = [time.time()]

    class SteppedScheduler(MonitorScheduler):
        clock = staticmethod(lambda: now[0])

    scheduler = SteppedScheduler(app=app)
    try:
        def run(seconds: float) -> tuple[int, float]:
            sent_before, cpu = scheduler.stats["sent"], 0.0
            for _ in range(round(seconds / STEP)):
                now[0] += STEP
                started = time.process_time()
                scheduler.tick()
                cpu += time.process_time() - started
                client.delete(*queues)  # the workers' part, not beat's
            return scheduler.stats["sent"] - sent_before, cpu

        run(interval)  # load, and the first slot of every monitor
        sent, cpu = run(interval)
    finally:
        scheduler.close()
        client.delete(*queues)
    return {"regions": regions, "messages": sent, "cpu_seconds": cpu,
            "ms_per_message": 1000 * cpu / sent if sent else None,
            "core_share": cpu / interval}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.regions",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=10_000)
    parser.add_argument("--regions", type=int, default=3)
    parser.add_argument("--interval", type=int, default=60)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    options = parser.parse_args(argv)
    setup_django(options)
    rows = [measure(monitors=options.monitors, regions=count, interval=options.interval,
                    database_url=options.database_url, redis_url=options.redis_url)
            for count in (0, options.regions)]
    print(f"beat, {options.monitors:,} monitors at {options.interval} s, one measured interval")
    print("| regions per monitor | messages | beat CPU (s) | per message (ms) | share of a core |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row['regions'] or 'none'} | {row['messages']:,} | {row['cpu_seconds']:.2f} | "
              f"{row['ms_per_message']:.3f} | {100 * row['core_share']:.1f} % |")
    base, regional = rows
    print(f"ratio, {options.regions} regions : none: messages "
          f"{regional['messages'] / base['messages']:.2f}, beat CPU "
          f"{regional['cpu_seconds'] / base['cpu_seconds']:.2f}")


if __name__ == "__main__":
    main()
