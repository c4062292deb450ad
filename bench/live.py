"""Live status at fleet size: what /ws/status/ sends at 10,000 monitors, and what publishing
costs a check (issue 15; uptime/live_protocol.py).

    python -m bench.live [--monitors 10000] [--sockets 200] [--seconds 20]

In the database of `make bench` (dropped and recreated) and its Redis: N monitors are created
in bulk, then the real ASGI application serves websockets in this process (channels'
WebsocketCommunicator, the real consumers, the real channels-redis layer on Redis; no daphne):

- first message: a staff socket connects (no subscription: the summary), then a user's socket
  who owns every monitor (the default: all of them, in pages), and a staff socket subscribed to
  1,000 monitors; the time to the first message and the largest message of each;
- an event stream: a thread publishes the checks of N monitors at --interval (N / interval
  checks a second, 1 % of them flips) through uptime.live.publish_events, as workers do, while
  --sockets sockets are open, each subscribed to a page of 100 monitors and a summary (a
  dashboard); messages a second per socket, and the delay from publish to arrival (p50, p99)
  of the events of subscribed monitors;
- publish cost per check: CPU and wall time of a check's publish (one `check` event) through
  uptime.live (one pipeline per step, a plain Redis client) and through the stock
  async_to_sync(layer.group_send), two groups per check, as before subscriptions.
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import threading
import time

from .__main__ import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, setup_django

PAGE = 100


def generate(options) -> dict:
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken

    from monitors.bulk import create_monitors
    from monitors.models import Monitor

    from . import dataset

    dataset.reset_database(options.database_url)
    users = get_user_model().objects
    staff = users.create(username="bench-staff", is_staff=True)
    owner = users.create(username="bench-owner")
    monitors = create_monitors([
        Monitor(owner=owner, name=f"customer api {index:05}",
                url=f"https://service-{index}.customers.example.com/health/ready?probe=uptime",
                interval_seconds=options.interval,
                status=Monitor.Status.UP if index % 20 else Monitor.Status.DOWN)
        for index in range(options.monitors)
    ])
    return {
        "ids": [monitor.pk for monitor in monitors],
        "owner": owner.pk,
        "staff_token": AuthToken.objects.create(user=staff, expiry=None)[1],
        "owner_token": AuthToken.objects.create(user=owner, expiry=None)[1],
    }


def socket(token: str, *, explicit: bool = False):
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    path = "/ws/status/?subscription=explicit" if explicit else "/ws/status/"
    return WebsocketCommunicator(application, path,
                                 headers=[(b"authorization", f"Token {token}".encode())])


async def first_messages(data: dict) -> dict:
    """Connect, and time the first message and measure every message until the snapshot or
    summary is complete."""

    async def measure(label: str, token: str, subscribe: dict | None = None) -> dict:
        client = socket(token, explicit=subscribe is not None)
        started = time.monotonic()
        await client.connect(timeout=30)
        if subscribe:
            await client.send_json_to(subscribe)
        sizes, first = [], None
        while True:
            text = await client.receive_from(timeout=60)
            first = first or time.monotonic() - started
            sizes.append(len(text.encode()))
            message = json.loads(text)
            if message["type"] == "summary" or message.get("page") == message.get("pages"):
                break
        complete = time.monotonic() - started
        await client.disconnect()
        return {"label": label, "first": first, "complete": complete, "messages": len(sizes),
                "largest": max(sizes), "total": sum(sizes)}

    return {"sockets": [
        await measure("staff, no subscription (summary)", data["staff_token"]),
        await measure("staff, subscribed to 1,000 monitors", data["staff_token"],
                      {"type": "subscribe", "monitors": data["ids"][:1000]}),
        await measure(f"a user owning all {len(data['ids']):,}, no subscription (paged "
                      "snapshot)", data["owner_token"]),
    ]}


def publisher(data: dict, *, rate: float, seconds: float, stop: threading.Event) -> dict:
    """Publishes `rate` checks a second as workers would, each stamped with when it was sent."""
    from uptime import live

    owner = data["owner"]
    # Every monitor once an interval, in no particular order (beat spreads them over it).
    ids = list(data["ids"])
    random.seed(9)
    random.shuffle(ids)
    sent = 0
    started = time.monotonic()
    while not stop.is_set() and time.monotonic() - started < seconds:
        time.sleep(max(0.0, started + sent / rate - time.monotonic()))
        monitor_id = ids[sent % len(ids)]
        state = {"id": monitor_id, "status": "up", "sent_at": time.time()}
        events = [{"type": "check", "monitor": state, "check": {"id": sent}}]
        if random.random() < 0.01:
            events.append({"type": "monitor.down", "monitor": state})
        live.publish_events(owner, events)
        sent += 1
    return {"sent": sent, "seconds": time.monotonic() - started}


async def event_stream(data: dict, options) -> dict:
    rate = len(data["ids"]) / options.interval
    clients = []
    for number in range(options.sockets):
        client = socket(data["staff_token"], explicit=True)
        await client.connect(timeout=30)
        start = (number * PAGE) % max(1, len(data["ids"]) - PAGE)
        await client.send_json_to({"type": "subscribe", "monitors": data["ids"][start:start + PAGE],
                                   "summary": True})
        clients.append(client)
    for client in clients:  # the snapshot and the summary
        await client.receive_from(timeout=60)
        await client.receive_from(timeout=60)
    counts = [0] * len(clients)
    largest = [0]
    delays: list[float] = []
    stop = threading.Event()

    async def read(index: int, client) -> None:
        # No timeout: a communicator's receive that times out cancels the consumer.
        while True:
            text = await client.receive_from(timeout=3600)
            arrived = time.time()
            counts[index] += 1
            largest[0] = max(largest[0], len(text.encode()))
            for event in json.loads(text).get("events", []):
                sent_at = event.get("monitor", {}).get("sent_at")
                if sent_at:
                    delays.append(arrived - sent_at)

    readers = [asyncio.create_task(read(index, client)) for index, client in enumerate(clients)]
    published = await asyncio.to_thread(publisher, data, rate=rate, seconds=options.seconds,
                                        stop=stop)
    await asyncio.sleep(1.5)
    stop.set()
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    for client in clients:
        await client.disconnect()
    delays.sort()
    per_socket = [count / published["seconds"] for count in counts]
    return {
        "rate": published["sent"] / published["seconds"], "sockets": len(clients),
        "messages_per_second": statistics.mean(per_socket), "max_per_second": max(per_socket),
        "largest": largest[0], "events": len(delays),
        "p50": delays[len(delays) // 2] if delays else None,
        "p99": delays[int(len(delays) * 0.99)] if delays else None,
    }


def publish_cost(data: dict, repeat: int) -> dict:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from uptime import live

    layer = get_channel_layer()
    owner = data["owner"]
    event = {"type": "check", "monitor": {"id": data["ids"][0], "status": "up"},
             "check": {"id": 1, "outcome": "ok"}}

    def ours() -> None:
        live.publish_events(owner, [event])

    def stock() -> None:
        async def send() -> None:
            for group in (live.owner_group(owner), "status.operators"):
                await layer.group_send(group, {"type": "status.event", "event": event})

        async_to_sync(send)()

    figures = {}
    # Process CPU time: async_to_sync runs its event loop in a thread of its own.
    for label, call in (("ours", ours), ("stock", stock)):
        call()  # connections made
        cpu, wall = time.process_time(), time.monotonic()
        for _ in range(repeat):
            call()
        figures[label] = {"cpu_ms": 1000 * (time.process_time() - cpu) / repeat,
                          "wall_ms": 1000 * (time.monotonic() - wall) / repeat}
    return figures


def measure(options) -> dict:
    load = os.getloadavg()
    data = generate(options)
    result = asyncio.run(first_messages(data))
    result["stream"] = asyncio.run(event_stream(data, options))
    result["publish"] = publish_cost(data, options.repeat)
    result["monitors"] = len(data["ids"])
    result["load"] = load
    return result


def report(options, result: dict) -> str:
    load = ", ".join(f"{figure:.2f}" for figure in result["load"])
    lines = [f"live status: {result['monitors']:,} monitors (in-process ASGI app, "
             f"channels-redis on Redis, PostgreSQL; {os.cpu_count()} cores, load average at "
             f"start {load})", "",
             "| socket | first message | complete | messages | largest message |",
             "| --- | --- | --- | --- | --- |"]
    for row in result["sockets"]:
        lines.append(f"| {row['label']} | {1000 * row['first']:,.0f} ms | "
                     f"{1000 * row['complete']:,.0f} ms | {row['messages']} | "
                     f"{row['largest'] / 1024:,.1f} KB |")
    stream = result["stream"]
    p50 = f"{stream['p50']:.2f} s" if stream["p50"] is not None else "n/a"
    p99 = f"{stream['p99']:.2f} s" if stream["p99"] is not None else "n/a"
    lines += [
        "",
        f"- event stream: {stream['rate']:.1f} checks/s for {options.seconds:.0f} s, "
        f"{stream['sockets']} sockets each on a page of {PAGE} monitors and the summary: "
        f"{stream['messages_per_second']:.2f} messages/s per socket (at most "
        f"{stream['max_per_second']:.2f}), largest {stream['largest'] / 1024:.1f} KB; "
        f"{stream['events']:,} events delivered, delay p50 {p50}, p99 {p99}",
    ]
    ours, stock = result["publish"]["ours"], result["publish"]["stock"]
    lines.append(
        f"- publish per check: {ours['cpu_ms']:.3f} ms CPU ({ours['wall_ms']:.3f} ms wall) "
        f"through uptime.live; stock async_to_sync(group_send) to two groups: "
        f"{stock['cpu_ms']:.3f} ms CPU ({stock['wall_ms']:.3f} ms wall), "
        f"{stock['cpu_ms'] / ours['cpu_ms']:.1f}x the CPU")
    return "\n".join(lines)


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.live",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=10_000)
    parser.add_argument("--interval", type=int, default=60)
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--repeat", type=int, default=2000, help="publishes timed per figure")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    options = parse(argv)
    setup_django(options)
    print(report(options, measure(options)), flush=True)


if __name__ == "__main__":
    main()
