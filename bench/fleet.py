"""The target fleet: one asyncio HTTP server on loopback that every bench monitor checks.

    /instant/<id>  200 at once
    /slow/<id>     200 after 0.5-2 s
    /hang/<id>     never answers; the connection stays open until the client gives up
    /fail/<id>     500 at once

It records the arrival time of every request per monitor id, so lag is measured outside the
system under test. The bench reads and resets them on /_bench/arrivals, and asks how many
requests are being held open on /_bench/inflight.

    python -m bench.fleet [--host 127.0.0.1] [--port 0]    # prints "port <n>" when listening
"""

import argparse
import asyncio
import json
import random
import signal
import sys
import time
from collections import Counter

KINDS = ("instant", "slow", "hang", "fail")
SLOW_SECONDS = (0.5, 2.0)
MAX_HEAD_BYTES = 64 * 1024
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}


class Fleet:
    def __init__(self) -> None:
        self.arrivals: dict[int, list[float]] = {}
        self.in_flight: Counter[str] = Counter()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            arrived = time.time()
            method, target = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")[:2]
            parts = target.split("?", 1)[0].strip("/").split("/")
            if parts[0] == "_bench":
                await self.control(writer, parts[1:])
                return
            kind, monitor_id = parts[0], int(parts[1])
            if kind not in KINDS:
                raise ValueError(kind)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError,
                ValueError, IndexError):
            await self.answer(writer, 400, b"bad request")
            return
        self.arrivals.setdefault(monitor_id, []).append(arrived)
        self.in_flight[kind] += 1
        try:
            if kind == "hang":
                # Read until the client closes: nothing is ever sent.
                while await reader.read(4096):
                    pass
                writer.close()
                return
            if kind == "slow":
                await asyncio.sleep(random.uniform(*SLOW_SECONDS))
            status = 500 if kind == "fail" else 200
            await self.answer(writer, status, b"" if method == "HEAD" else b"ok\n")
        except ConnectionError:
            writer.close()
        finally:
            self.in_flight[kind] -= 1

    async def control(self, writer: asyncio.StreamWriter, command: list[str]) -> None:
        if command == ["arrivals"]:
            arrivals, self.arrivals = self.arrivals, {}
            body = {"arrivals": arrivals}
        elif command == ["inflight"]:
            body = {"in_flight": dict(self.in_flight)}
        else:
            await self.answer(writer, 404, b"unknown")
            return
        await self.answer(writer, 200, json.dumps(body).encode(), "application/json")

    @staticmethod
    async def answer(writer: asyncio.StreamWriter, status: int, body: bytes,
                     content_type: str = "text/plain") -> None:
        reason = REASONS[status]
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        try:
            writer.write(head.encode() + body)
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()


async def serve(host: str, port: int) -> None:
    fleet = Fleet()
    server = await asyncio.start_server(
        fleet.handle, host, port, backlog=4096, limit=MAX_HEAD_BYTES
    )
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    await stopped.wait()
    # Not wait_closed(): hanging requests would hold it; asyncio.run cancels their handlers.
    server.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    options = parser.parse_args(argv)
    asyncio.run(serve(options.host, options.port))
    sys.exit(0)


if __name__ == "__main__":
    main()
