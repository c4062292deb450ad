"""The launcher that makes several checks worker processes look like one to `make run`."""

import signal
import subprocess
import sys
import time

# A stand-in worker: says which number it got, then waits to be stopped (or exits with the
# code it is given).
# One write() of one short line, so the two workers' lines cannot interleave in the pipe.
WORKER = (
    "import os, sys, time; os.write(1, f'worker {sys.argv[1]}\\n'.encode()); "
    "time.sleep(60) if sys.argv[2] == 'wait' else sys.exit(int(sys.argv[2]))"
)


def launch(*behaviour: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "uptime.checks_workers", "2", sys.executable, "-c", WORKER,
         "{n}", *behaviour],
        stdout=subprocess.PIPE, text=True,
    )


def test_it_starts_numbered_workers_and_stops_them_all_on_sigterm():
    launcher = launch("wait")
    time.sleep(1.5)

    launcher.send_signal(signal.SIGTERM)
    output, _ = launcher.communicate(timeout=10)

    assert sorted(output.splitlines()) == ["worker 1", "worker 2"]
    assert launcher.returncode != 0  # the workers were stopped by the signal


def test_when_one_worker_exits_the_others_are_stopped_and_the_launcher_exits():
    started = time.monotonic()
    launcher = subprocess.Popen(
        [sys.executable, "-m", "uptime.checks_workers", "2", sys.executable, "-c",
         "import sys, time; time.sleep(60) if sys.argv[1] == '1' else sys.exit(3)", "{n}"],
    )

    returncode = launcher.wait(timeout=15)

    assert returncode != 0
    assert time.monotonic() - started < 15
