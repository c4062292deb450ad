"""A stand-in for Apple's push service on 127.0.0.1: HTTP/2 over TLS, with a certificate
from a test CA, that records every request and answers per device token as told.

    apns = ApnsServer(tls_ca).start()
    apns.address                              # "127.0.0.1:<port>", for UPTIME_APNS_SERVER
    apns.answer(token, 410)                   # the next request for token: 410 Unregistered
    apns.answer(token, 400, "DeviceTokenNotForTopic")
    apns.answer(token, None)                  # the next request for token: no answer at all
    apns.requests                             # [ApnsRequest(token, headers, payload), ...]
    apns.stop()                               # connections are now refused

A token with no answer queued gets 200 and the request's apns-id back, as from Apple.
"""

import asyncio
import json
import ssl
import threading
import time
import uuid
from dataclasses import dataclass

import trustme
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import ConnectionTerminated, DataReceived, RequestReceived, StreamEnded

# The reason APNs gives with each status unless a test names another.
REASONS = {
    400: "BadDeviceToken",
    403: "InvalidProviderToken",
    410: "Unregistered",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
}


@dataclass(frozen=True)
class ApnsRequest:
    token: str
    headers: dict[str, str]
    payload: dict

    @property
    def bearer_token(self) -> str:
        return self.headers["authorization"].removeprefix("bearer ")


@dataclass(frozen=True)
class _Answer:
    status: int | None
    reason: str
    timestamp: int | None


class ApnsServer:
    def __init__(self, ca: trustme.CA) -> None:
        self.port = 0
        self.requests: list[ApnsRequest] = []
        self.connections_made = 0
        self._answers: dict[str, list[_Answer]] = {}
        self._open: set[_ApnsConnection] = set()
        self._lock = threading.Lock()
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(self._tls)
        self._tls.set_alpn_protocols(["h2"])
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._open)

    def answer(self, token: str, status: int | None, reason: str | None = None, *,
               timestamp: int | None = None) -> None:
        """Queue the answer to the next request for `token`; a 410 carries `timestamp` (ms
        since the epoch, by default the moment it answers), as APNs' does."""
        with self._lock:
            self._answers.setdefault(token, []).append(
                _Answer(status, reason or REASONS.get(status or 0, ""), timestamp)
            )

    def tokens(self) -> list[str]:
        with self._lock:
            return [request.token for request in self.requests]

    def start(self) -> "ApnsServer":
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server = self._call(self._loop.create_server(
            lambda: _ApnsConnection(self), "127.0.0.1", self.port, ssl=self._tls
        ))
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        self._call(self._shut_down())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()
        self._loop = None

    async def _shut_down(self) -> None:
        self._server.close()
        for connection in list(self._open):
            connection.transport.abort()
        await self._server.wait_closed()

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=5)

    def _record(self, request: ApnsRequest) -> _Answer:
        with self._lock:
            self.requests.append(request)
            queued = self._answers.get(request.token)
            return queued.pop(0) if queued else _Answer(200, "", None)


class _ApnsConnection(asyncio.Protocol):
    """One client connection; its requests arrive as HTTP/2 streams, answered as they end."""

    def __init__(self, server: ApnsServer) -> None:
        self.server = server
        self.h2 = H2Connection(H2Configuration(client_side=False, header_encoding="utf-8"))
        self.streams: dict[int, tuple[dict[str, str], bytearray]] = {}
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        with self.server._lock:
            self.server.connections_made += 1
            self.server._open.add(self)
        self.h2.initiate_connection()
        transport.write(self.h2.data_to_send())

    def connection_lost(self, exc: Exception | None) -> None:
        with self.server._lock:
            self.server._open.discard(self)

    def data_received(self, data: bytes) -> None:
        for event in self.h2.receive_data(data):
            if isinstance(event, RequestReceived):
                self.streams[event.stream_id] = (dict(event.headers), bytearray())
            elif isinstance(event, DataReceived):
                self.streams[event.stream_id][1].extend(event.data)
                self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, StreamEnded):
                self._respond(event.stream_id)
            elif isinstance(event, ConnectionTerminated):
                self.transport.close()
        self.transport.write(self.h2.data_to_send())

    def _respond(self, stream_id: int) -> None:
        headers, body = self.streams.pop(stream_id)
        token = headers[":path"].removeprefix("/3/device/")
        answer = self.server._record(ApnsRequest(token, headers, json.loads(body or b"{}")))
        if answer.status is None:
            return
        # aioapns, like any client, matches an answer to its request by the echoed apns-id.
        reply = [(":status", str(answer.status)),
                 ("apns-id", headers.get("apns-id") or str(uuid.uuid4()))]
        if answer.status == 200:
            self.h2.send_headers(stream_id, reply, end_stream=True)
            return
        error = {"reason": answer.reason}
        if answer.status == 410:
            error["timestamp"] = answer.timestamp or int(time.time() * 1000)
        data = json.dumps(error).encode()
        reply += [("content-type", "application/json"), ("content-length", str(len(data)))]
        self.h2.send_headers(stream_id, reply)
        self.h2.send_data(stream_id, data, end_stream=True)
