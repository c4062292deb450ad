"""`make bench`: N monitors against a local target fleet, beat and the checks worker as
`make run` starts them, the stock scheduler then ours, figures and their ratios.

    python -m bench [--monitors 10000] [--seconds 120] [--beat-only] ...

Needs PostgreSQL and Redis on this machine (--database-url, --redis-url); it drops and
recreates the database (its name must contain "bench") and empties that Redis database.
Results: bench/results/<timestamp>.json, .md and .png; the processes' logs beside them.
"""

import argparse
import os
import signal
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from .procs import Children

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/uptime_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--monitors", type=int, default=10_000, help="N (default 10,000)")
    parser.add_argument("--interval", type=int, default=60, help="seconds (default 60)")
    parser.add_argument("--seconds", type=float, default=120, help="measured window T")
    parser.add_argument("--warmup", type=float, help="seconds before the window (one interval)")
    parser.add_argument("--hang", type=float, default=0.1, help="share of hanging targets")
    parser.add_argument("--slow", type=float, default=0.05, help="share answering in 0.5-2 s")
    parser.add_argument("--fail", type=float, default=0.05, help="share answering 500")
    parser.add_argument("--timeout", type=int, default=10, help="each monitor's timeout (s)")
    parser.add_argument("--beat-only", action="store_true",
                        help="no checks worker: a drain empties the queue; lag is dispatch lag")
    parser.add_argument("--schedulers", default="stock,ours",
                        help="phases in order: stock, ours or both (default stock,ours)")
    parser.add_argument("--stock-monitors", type=int,
                        help="N for the stock phase when smaller than --monitors (stock beat "
                             "takes minutes to load 100,000)")
    parser.add_argument("--in-flight-checks", type=int, default=500,
                        help="hanging checks queued for the memory figure (default 500)")
    parser.add_argument("--beat-stop-timeout", type=float, default=30,
                        help="seconds beat gets to exit after SIGTERM before it is killed")
    parser.add_argument("--database-url",
                        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url",
                        default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--no-history", dest="history", action="store_false",
                        help="skip the history figures (bench/history.py: bytes per check, "
                             "30 d and 365 d figures from raw results and from rollups)")
    parser.add_argument("--no-live", dest="live", action="store_false",
                        help="skip the live-status figures (bench/live.py: first message and "
                             "largest message at N monitors, messages per socket under the "
                             "event stream, publish cost per check)")
    options = parser.parse_args(argv)
    options.schedulers = [s.strip() for s in options.schedulers.split(",") if s.strip()]
    if not options.schedulers or set(options.schedulers) - {"stock", "ours"}:
        parser.error("--schedulers takes stock, ours or stock,ours")
    return options


def setup_django(options: argparse.Namespace) -> None:
    # The bench process itself creates the monitors, edits one and queues checks: it talks to
    # the same database and broker as the processes under test.
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DATABASE_URL"] = options.database_url
    os.environ["REDIS_URL"] = options.redis_url
    os.environ["UPTIME_ALLOW_PRIVATE_TARGETS"] = "1"
    os.environ["DEBUG"] = "0"
    import django

    django.setup()
    import config.celery_app  # noqa: F401  (binds the tasks to the configured broker)


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    setup_django(options)
    from . import phase, report

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    logs = RESULTS / f"{stamp}-logs"
    logs.mkdir(parents=True, exist_ok=True)
    mix = {"hang": options.hang, "slow": options.slow, "fail": options.fail}
    settings = phase.Settings(
        monitors=options.monitors, interval=options.interval, seconds=options.seconds,
        warmup=options.warmup if options.warmup is not None else float(options.interval),
        timeout=options.timeout, mix=mix, beat_only=options.beat_only,
        database_url=options.database_url, redis_url=options.redis_url, seed=options.seed,
        beat_stop_timeout=options.beat_stop_timeout, in_flight_checks=options.in_flight_checks,
    )
    notes = []
    if options.stock_monitors and "stock" in options.schedulers:
        notes.append(f"the stock phase ran {options.stock_monitors:,} monitors, ours "
                     f"{options.monitors:,}: compare per-dispatch figures, not totals")
    if "ours" in options.schedulers and phase.ideal_grid_for("ours") is None:
        notes.append("monitors.scheduler.ideal_slot missing: ours is measured on anchored grids")
    result = {
        "meta": {
            "command": " ".join(["python -m bench", *(sys.argv[1:] if argv is None else argv)]),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "load_average": ", ".join(f"{value:.2f}" for value in os.getloadavg()),
            "beat_only": options.beat_only,
            "interval": options.interval,
            "seconds": settings.seconds,
            "warmup": settings.warmup,
            "timeout": options.timeout,
            "mix": mix,
            "mix_text": ", ".join(f"{share:.0%} {kind}" for kind, share in mix.items())
            + f" (timeout {options.timeout} s), the rest instant",
            "notes": notes,
            "logs": str(logs.relative_to(ROOT)),
        },
        "phases": {},
    }
    children = Children()
    interrupted_run = False
    try:
        fleet_child = children.start(
            "fleet", [sys.executable, "-m", "bench.fleet"], env=dict(os.environ), cwd=ROOT,
            log=logs / "fleet.log", stdout=-1,
        )
        port = fleet_child.process.stdout.readline().decode().split()[-1]
        fleet = phase.Fleet(f"http://127.0.0.1:{port}")
        for label in options.schedulers:
            count = options.monitors
            if label == "stock" and options.stock_monitors:
                count = options.stock_monitors
            started = time.monotonic()
            try:
                result["phases"][label] = phase.run_phase(
                    label, count, settings, fleet, children, logs
                )
            except Exception as failure:
                # The other phase's figures are still worth having.
                result["phases"][label] = {
                    "error": f"{type(failure).__name__}: {failure}",
                    "traceback": traceback.format_exc(),
                }
                print(f"[{label}] failed:\n{traceback.format_exc()}", file=sys.stderr)
                for child in list(children.started):
                    if child is not fleet_child:
                        children.stop(child)
            print(f"[{label}] done in {time.monotonic() - started:.0f} s", flush=True)
    except KeyboardInterrupt:
        interrupted_run = True
        print("interrupted: stopping everything the bench started", file=sys.stderr)
    finally:
        children.stop_all()
    if not result["phases"]:
        return 130 if interrupted_run else 1
    markdown = report.markdown(result)
    if options.history and not interrupted_run:
        from . import history

        # After the phases: it drops and refills the same database.
        markdown += "\n\n" + history.report(history.parse([]), history.measure(
            history.parse(["--database-url", options.database_url])))
    if options.live and not interrupted_run:
        from . import live

        # Last: it drops and refills the same database too.
        live_options = live.parse(["--monitors", str(options.monitors), "--database-url",
                                   options.database_url, "--redis-url", options.redis_url])
        markdown += "\n\n" + live.report(live_options, live.measure(live_options))
    paths = report.write(result, RESULTS / stamp, text=markdown)
    print()
    print(markdown)
    print("written: " + ", ".join(str(path.relative_to(ROOT)) for path in paths.values()))
    if interrupted_run:
        return 130
    return 0 if all("error" not in p for p in result["phases"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
