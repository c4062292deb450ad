"""Child processes in their own process groups, and what /proc says about them."""

import os
import signal
import subprocess
import time
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Child:
    """One command in its own session (so Ctrl-C reaches only the bench, which then stops
    every child in order), with its output in a log file."""

    def __init__(self, name: str, command: list[str], *, env: dict, cwd: Path, log: Path,
                 stdout=None) -> None:
        self.name = name
        self.command = command
        self.log_path = log
        self._log = open(log, "wb")
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, start_new_session=True,
            stdout=stdout if stdout is not None else self._log, stderr=self._log,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def terminate(self, *, timeout: float) -> tuple[float, bool]:
        """SIGTERM this process (not its group: the way runstack stops it), wait for it to
        exit; after `timeout` kill the whole group. Returns (seconds to exit, killed)."""
        started = time.monotonic()
        killed = False
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                killed = True
        elapsed = time.monotonic() - started
        self.kill_group()
        return elapsed, killed

    def kill_group(self) -> None:
        """SIGKILL whatever is left of the group (pool children included) and reap."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()


class Children:
    """Everything the bench started, stopped in reverse order whatever happens."""

    def __init__(self) -> None:
        self.started: list[Child] = []

    def start(self, *args, **kwargs) -> Child:
        child = Child(*args, **kwargs)
        self.started.append(child)
        return child

    def stop(self, child: Child, *, timeout: float = 20) -> tuple[float, bool]:
        result = child.terminate(timeout=timeout)
        if child in self.started:
            self.started.remove(child)
        return result

    def stop_all(self) -> None:
        while self.started:
            self.stop(self.started[-1], timeout=10)


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    return raw[raw.rindex(")") + 2:].split()


def descendants(root: int) -> list[int]:
    """root and every process below it."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, ()))
    return found


def tree_cpu_seconds(root: int) -> float:
    """utime + stime of root and its live descendants, plus what reaped children left in
    their parents' cutime + cstime."""
    ticks = 0
    for pid in descendants(root):
        fields = _stat_fields(pid)
        if fields is not None:
            # After the ')' split: utime, stime, cutime, cstime are fields 14-17 of stat.
            ticks += sum(int(value) for value in fields[11:15])
    return ticks / CLOCK_TICKS


def tree_memory(root: int) -> dict[str, int]:
    """Resident bytes of root and its descendants: RSS (pages shared by forked children are
    counted in each) and PSS (shared pages divided among their sharers)."""
    totals = {"rss": 0, "pss": 0}
    for pid in descendants(root):
        try:
            lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        for line in lines:
            key, _, value = line.partition(":")
            if key in ("Rss", "Pss"):
                totals[key.lower()] += int(value.split()[0]) * 1024
    return totals


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, every core and process."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is already in user).
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS
