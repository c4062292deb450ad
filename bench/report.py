"""The run's figures as JSON, a Markdown table (stock, ours, ratio) and a PNG of lag over time."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024
GRIDS = {
    "ideal_slot": "monitors.scheduler.ideal_slot (each monitor's own jittered grid)",
    "anchored": "a grid anchored at each monitor's last arrival before the window (else its "
    "first in it)",
}


def _number(value, digits: int = 1, scale: float = 1.0) -> str:
    if value is None:
        return "-"
    return f"{value * scale:,.{digits}f}"


def _ratio(stock, ours, *, higher_is_better: bool = False) -> str:
    """How ours compares, in words: "12× lower" or "3.1× higher"."""
    if stock is None or ours is None or stock <= 0 or ours <= 0:
        return "-"
    if abs(stock - ours) / max(stock, ours) < 0.05:
        return "same"
    factor = max(stock, ours) / min(stock, ours)
    word = "higher" if ours > stock else "lower"
    better = (ours > stock) == higher_is_better
    return f"{factor:,.1f}× {word}" + ("" if better else " (worse)")


def _lag(phase: dict, key: str):
    return (phase.get("lag") or {}).get(key)


def _memory(phase: dict, key: str):
    return (phase.get("memory") or {}).get(key)


@dataclass(frozen=True)
class Row:
    label: str
    value: Callable[[dict], float | None]
    digits: int = 0
    scale: float = 1.0
    higher_is_better: bool = False
    # "unit": a figure per dispatch, check or second of lag, comparable at different N;
    # "total": grows with N, so no ratio when the phases ran different N; "none": no ratio.
    ratio: str = "unit"


ROWS = [
    Row("monitors", lambda p: p["monitors"], ratio="none"),
    Row("needed checks/s (N / interval)", lambda p: p["needed_per_second"], 1, ratio="none"),
    Row("sustained checks/s (arrivals at the fleet, or drain)",
        lambda p: p["achieved_per_second"], 1, higher_is_better=True, ratio="total"),
    Row("schedule lag p50 (s)", lambda p: _lag(p, "p50"), 3),
    Row("schedule lag p95 (s)", lambda p: _lag(p, "p95"), 3),
    Row("schedule lag p99 (s)", lambda p: _lag(p, "p99"), 3),
    Row("schedule lag max (s)", lambda p: _lag(p, "max"), 3),
    Row("monitors not checked in the last 2 intervals", lambda p: p["unchecked"],
        ratio="total"),
    Row("checks queue, longest (messages)", lambda p: p["max_queue_length"], ratio="total"),
    Row("beat CPU per dispatch (ms)", lambda p: p["beat_cpu_per_dispatch"], 3, 1000),
    Row("beat CPU (% of a core)", lambda p: p["beat_core_share"], 0, 100, ratio="total"),
    Row("one edit: longest dispatch gap within 10 s after it (ms)",
        lambda p: p["edit"]["edit_gap"], 0, 1000),
    Row("one edit: beat's refresh that applied it (ms)", lambda p: p.get("edit_refresh_ms"),
        1, ratio="none"),
    Row("longest dispatch gap elsewhere (ms)", lambda p: p["edit"]["longest_gap_elsewhere"],
        0, 1000),
    Row("typical longest gap per 10 s (ms)", lambda p: p["edit"]["typical_longest_gap"],
        0, 1000),
    Row("worker CPU per check (ms)", lambda p: p["worker_cpu_per_check"], 2, 1000),
    Row("worker CPU (% of a core)", lambda p: p["worker_core_share"], 0, 100, ratio="total"),
    Row("checks in flight on hanging targets", lambda p: _memory(p, "in_flight"),
        higher_is_better=True),
    Row("RSS per in-flight check (MB, loaded - idle)",
        lambda p: _memory(p, "rss_per_in_flight"), 2, 1 / MB),
    Row("worker RSS / checks in flight (MB)",
        lambda p: _memory(p, "whole_rss_per_in_flight"), 1, 1 / MB),
    Row("database bytes per check", lambda p: p["db_bytes_per_check"]),
    Row("beat exit after SIGTERM (s)", lambda p: p["beat_exit_seconds"], 2),
    Row("machine CPU busy, all processes (% of all cores)",
        lambda p: p["machine_busy_share"], 0, 100, ratio="none"),
]


def markdown(result: dict) -> str:
    phases = result["phases"]
    labels = [label for label in ("stock", "ours") if label in phases]
    meta = result["meta"]
    lines = [
        f"`{meta['command']}` on {meta['cpus']} cores, {meta['started']} "
        f"(load average at start {meta['load_average']}); "
        f"{'beat only, a drain empties the checks queue' if meta['beat_only'] else 'end to end'}"
        f", interval {meta['interval']} s, {meta['seconds']:.0f} s measured after "
        f"{meta['warmup']:.0f} s warm-up, targets {meta['mix_text']}.",
        "",
        "| figure | " + " | ".join(labels) + (" | ours vs stock |" if len(labels) == 2 else " |"),
        "|---|" + "---|" * len(labels) + ("---|" if len(labels) == 2 else ""),
    ]
    ok = {label: phases[label] for label in labels if "error" not in phases[label]}
    same_n = len({phase["monitors"] for phase in ok.values()}) == 1
    for row in ROWS:
        values = {label: row.value(phase) for label, phase in ok.items()}
        if all(value is None for value in values.values()):
            continue  # not measured in this mode (worker figures with --beat-only)
        cells = [
            _number(values[label], row.digits, row.scale) if label in ok else "failed"
            for label in labels
        ]
        line = f"| {row.label} | " + " | ".join(cells) + " |"
        if len(labels) == 2:
            # No ratio of figures that round to zero: it would be a ratio of noise.
            shown = all(cell.strip("0.,-") for cell in cells)
            comparable = row.ratio == "unit" or (row.ratio == "total" and same_n)
            ratio = (
                _ratio(values.get("stock"), values.get("ours"),
                       higher_is_better=row.higher_is_better)
                if shown and comparable else "-" if row.ratio != "none" else ""
            )
            line += f" {ratio} |"
        lines.append(line)
    lines.append("")
    for label in labels:
        phase = phases[label]
        if "error" in phase:
            lines.append(f"- {label}: failed: {phase['error'].splitlines()[0]}")
            continue
        killed = " (did not exit: killed)" if phase["beat_killed_after_timeout"] else ""
        grid = GRIDS.get(phase["lag_grid"], phase["lag_grid"])
        lines.append(
            f"- {label}: `{phase['scheduler']}`; lag against {grid}"
            f"; {phase['dispatches']:,} dispatches, {phase['checks_recorded']:,} checks recorded"
            f"; {phase['beat_tracebacks']} tracebacks in beat's log{killed}."
        )
        if not phase["dispatches_exact"]:
            lines.append(
                f"  The checks queue reached {phase['max_queue_length']:,} messages: some "
                "waited a whole interval and expired unseen, so dispatches are a lower bound "
                "and beat CPU per dispatch an upper bound (--beat-only counts them exactly)."
            )
    commands = {
        command for phase in phases.values() for command in phase.get("commands", {}).values()
    }
    for command in sorted(commands):
        lines.append(f"- ran: `{command}`")
    for note in meta["notes"]:
        lines.append(f"- {note}")
    return "\n".join(lines) + "\n"


def plot(result: dict, path: Path) -> bool:
    """Lag (p50, p99 per 5 s) and arrivals per second over the window; False without
    matplotlib (`pip install -e '.[bench]'`)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, (lag_axes, rate_axes) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    colours = {"stock": "tab:red", "ours": "tab:blue"}
    for label, phase in result["phases"].items():
        if "error" in phase:
            continue
        colour = colours.get(label, "black")
        lag = phase["series"]["lag"]
        if lag:
            times = [row[0] for row in lag]
            lag_axes.plot(times, [row[1] for row in lag], color=colour, label=f"{label} p50")
            lag_axes.plot(times, [row[2] for row in lag], color=colour, linestyle="--",
                          label=f"{label} p99")
        rate = phase["series"]["rate"]
        rate_axes.plot([row[0] for row in rate], [row[1] for row in rate], color=colour,
                       linewidth=0.8, label=f"{label} ({phase['monitors']:,} monitors)")
        rate_axes.axhline(phase["needed_per_second"], color=colour, linestyle=":", linewidth=0.8)
        lag_axes.axvline(phase["edit"]["at"] - phase["window"]["start"], color=colour,
                         linestyle=":", linewidth=0.8)
    lag_axes.set_ylabel("schedule lag (s), per 5 s")
    lag_axes.set_title("Schedule lag over the measured window (dotted: the edit)")
    lag_axes.legend(loc="upper left", fontsize="small")
    rate_axes.set_ylabel("arrivals per second")
    rate_axes.set_xlabel("seconds since the window started")
    rate_axes.set_title("Checks (dispatches in beat-only mode) per second; dotted: needed")
    rate_axes.legend(loc="upper left", fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def write(result: dict, stem: Path, *, text: str | None = None) -> dict[str, Path]:
    """The result as JSON, Markdown (`text`, or the phases' report) and a plot."""
    paths = {"json": stem.with_suffix(".json"), "md": stem.with_suffix(".md")}
    paths["json"].write_text(json.dumps(result, indent=1))
    paths["md"].write_text(text if text is not None else markdown(result))
    if plot(result, stem.with_suffix(".png")):
        paths["png"] = stem.with_suffix(".png")
    return paths
