"""One thread per process that calls functions at their deadlines, for the probe's cut-offs.

A timer thread per check (threading.Timer) would cost a thread start per check; this keeps
one heap. Cancelling only marks the entry, so the common case (a check that finishes well
before its deadline) costs a push and a flag.
"""

import heapq
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Alarm:
    __slots__ = ("when", "callback")

    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when, self.callback = when, callback

    def cancel(self) -> None:
        self.callback = None


class Watchdog:
    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        # Also what a forked child does: its copy has no thread, and maybe a held lock.
        self._condition = threading.Condition()
        self._heap: list[tuple[float, int, Alarm]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def call_at(self, when: float, callback: Callable[[], None]) -> Alarm:
        """Call `callback` (in the watchdog's thread) at time.monotonic() `when`, unless the
        returned alarm is cancelled first. Callbacks must be quick and must not raise."""
        alarm = Alarm(when, callback)
        with self._condition:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
                self._thread.start()
            heapq.heappush(self._heap, (when, next(self._order), alarm))
            if self._heap[0][2] is alarm:
                self._condition.notify()
        return alarm

    def _run(self) -> None:
        condition = self._condition
        with condition:
            while True:
                while self._heap and self._heap[0][2].callback is None:
                    heapq.heappop(self._heap)
                if not self._heap:
                    condition.wait()
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay > 0:
                    condition.wait(delay)
                    continue
                _, _, alarm = heapq.heappop(self._heap)
                callback, alarm.callback = alarm.callback, None
                condition.release()
                try:
                    callback()
                except Exception:  # one bad callback must not stop every later one
                    logger.exception("watchdog callback failed")
                finally:
                    condition.acquire()


watchdog = Watchdog()
