"""Run several checks workers as one: `python -m uptime.checks_workers N COMMAND...`.

A threads worker runs hundreds of checks at once but is bound to one core by the GIL: at
10,000 monitors a minute it needs most of one (make bench), so on a busy machine it falls
behind. `make run` therefore starts UPTIME_CHECKS_PROCESSES workers through this launcher,
which stands for them as one process: it forwards SIGTERM and SIGINT to each, and when one
exits it stops the others and exits too, so whoever started it sees the checks worker end.
`{n}` in the command becomes 1..N, so each worker has a node name of its own.
"""

import signal
import subprocess
import sys
import time


def run(count: int, command: list[str]) -> int:
    workers = [
        subprocess.Popen([part.replace("{n}", str(number)) for part in command])
        for number in range(1, count + 1)
    ]

    def forward(signum, frame) -> None:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while all(worker.poll() is None for worker in workers):
        time.sleep(0.5)
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    return max(worker.wait() for worker in workers)


if __name__ == "__main__":
    if len(sys.argv) < 3 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
        sys.exit("usage: python -m uptime.checks_workers N COMMAND... ({n} = 1..N)")
    sys.exit(run(int(sys.argv[1]), sys.argv[2:]))
