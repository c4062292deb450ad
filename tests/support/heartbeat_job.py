"""A stand-in for a cron job that reports to its heartbeat's ping URL over real HTTP.

    job = HeartbeatJob(server.url(f"/ping/{token}"), every=0.5)
    job.resume_pinging()   # the job runs: pings at once, then every `every` seconds
    job.stop_pinging()     # it stops running: the heartbeat's deadline will pass
    job.pings_answered     # pings answered 200
    job.failures           # what went wrong with the others, for a failure message
    job.close()
"""

import threading
import urllib.error
import urllib.request


class HeartbeatJob:
    def __init__(self, ping_url: str, *, every: float) -> None:
        self.ping_url = ping_url
        self.every = every
        self.pings_answered = 0
        self.failures: list[str] = []
        self._pinging = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop_pinging(self) -> None:
        self._pinging.clear()

    def resume_pinging(self) -> None:
        self._pinging.set()

    def close(self) -> None:
        self._closed.set()
        self._pinging.set()  # wake the loop so that it sees the close
        self._thread.join(5)

    def _run(self) -> None:
        while not self._closed.is_set():
            self._pinging.wait()
            if self._closed.is_set():
                return
            self._ping()
            self._closed.wait(self.every)

    def _ping(self) -> None:
        try:
            with urllib.request.urlopen(self.ping_url, timeout=5) as response:
                if response.status == 200:
                    self.pings_answered += 1
                else:
                    self.failures.append(f"{response.status} {response.read()[:200]!r}")
        except urllib.error.HTTPError as error:
            self.failures.append(f"{error.code} {error.read()[:200]!r}")
        except OSError as error:
            self.failures.append(repr(error))
