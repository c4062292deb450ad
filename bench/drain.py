"""Beat-only mode's consumer: empties the checks queue as fast as it can, recording when each
dispatch arrived, per PeriodicTask name. No task runs, so lag here is beat's dispatch lag.

It pops kombu's messages straight off the Redis lists (no Celery worker, no acks) and reads
the `periodic_task_name` header that django-celery-beat's entries put on every message.

    python -m bench.drain --redis-url redis://127.0.0.1:6379/5 --out arrivals.json

On SIGTERM it writes {"arrivals": {name: [times]}, "unnamed": n} to --out and exits.
"""

import argparse
import json
import signal
import time

import redis
from kombu import Connection, Exchange, Queue

BATCH = 1000
# kombu's Redis transport keeps priority 0 in the plain list and others in suffixed lists.
PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def declare(broker_url: str, queue: str) -> None:
    """Bind the queue as a worker would: without a binding kombu drops what beat publishes."""
    with Connection(broker_url) as connection:
        Queue(queue, Exchange(queue), routing_key=queue)(connection.default_channel).declare()


def task_name(raw: bytes) -> str | None:
    headers = json.loads(raw).get("headers") or {}
    return headers.get("periodic_task_name")


def drain(client: redis.Redis, keys: list[str], stop: list[bool]) -> tuple[dict, int]:
    arrivals: dict[str, list[float]] = {}
    unnamed = 0
    while not stop[0]:
        pipe = client.pipeline(transaction=False)
        for key in keys:
            # RPOP: kombu pushes on the left and consumes from the right (first in, first out).
            pipe.rpop(key, BATCH)
        batches = [batch for batch in pipe.execute() if batch]
        if not batches:
            popped = client.brpop(keys, timeout=0.1)
            batches = [[popped[1]]] if popped else []
        now = time.time()
        for batch in batches:
            for raw in batch:
                name = task_name(raw)
                if name is None:
                    unnamed += 1
                else:
                    arrivals.setdefault(name, []).append(now)
    return arrivals, unnamed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--queue", default="checks")
    parser.add_argument("--out", required=True)
    options = parser.parse_args(argv)
    stop = [False]

    def stopping(signum, frame) -> None:
        stop[0] = True

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    declare(options.redis_url, options.queue)
    client = redis.Redis.from_url(options.redis_url)
    print("draining", flush=True)
    arrivals, unnamed = drain(client, [options.queue + s for s in PRIORITY_SUFFIXES], stop)
    with open(options.out, "w") as out:
        json.dump({"arrivals": arrivals, "unnamed": unnamed}, out)


if __name__ == "__main__":
    main()
