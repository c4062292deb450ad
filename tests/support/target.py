"""A real HTTP(S) server on a loopback address, for tests that need something to check.

    target = TargetServer().start()
    target.mode = "error"                 # every request now gets a 500
    target.mode_for_path["/ok"] = "up"    # ...except this path
    target.mode_for_peer["127.0.0.3"] = "error"   # and this client gets 500 on every path
    target.take_down()                    # connections are now refused, for real
    target.bring_up()                     # same port again
    target.stop()

Modes (see MODES): "up" answers 200 "ok"; "error" 500; "slow" waits `slow_seconds` before
answering 200; "trickle" sends headers, then one body byte every half second; "big" sends a
body larger than 1 MiB with a Content-Length, "big_chunked" the same without one (chunked);
"redirect_private" answers 302 to `redirect_to`, by default this server's own 127.0.0.1 URL
for the same path (a private address, and a redirect loop); "json" answers 200 with JSON_BODY
as application/json (for the http assertions).

Every request is recorded in `requests_seen` as (method, path, headers) with header names
lower-cased, before the mode decides the answer.
"""

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import trustme

MODES = ("up", "error", "slow", "trickle", "big", "big_chunked", "redirect_private", "json")
JSON_BODY = b'{"status": "ok", "checks": [{"name": "db", "up": true}], "version": 3}'
BIG_BODY_BYTES = 1024 * 1024 + 64 * 1024
TRICKLE_BODY_BYTES = 120
TRICKLE_INTERVAL_SECONDS = 0.5
WRITE_CHUNK_BYTES = 64 * 1024


class TargetServer:
    def __init__(self, *, tls: trustme.CA | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.mode = "up"
        self.mode_for_path: dict[str, str] = {}
        # By the client's address: a region's workers connect from their own
        # (UPTIME_SOURCE_ADDRESS), so a target can be down for one region only.
        self.mode_for_peer: dict[str, str] = {}
        self.slow_seconds = 5.0
        self.redirect_to: str | None = None
        self.requests_seen: list[tuple[str, str, dict[str, str]]] = []
        self.scheme = "https" if tls else "http"
        self._tls_context = _server_tls_context(tls, host) if tls else None
        self._server: _Server | None = None
        # Lets handlers that are still sleeping or trickling give up when the server stops.
        self.stopped = threading.Event()

    def url(self, path: str = "/", *, host: str | None = None) -> str:
        """This server's URL; pass host="localhost" for a second name for the same server."""
        return f"{self.scheme}://{host or self.host}:{self.port}{path}"

    def start(self) -> "TargetServer":
        self.stopped.clear()
        self.bring_up()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.take_down()

    def take_down(self) -> None:
        """Close the listening socket: new connections are refused until bring_up()."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def bring_up(self) -> None:
        """Listen again, on the same port as before."""
        if self._server is not None:
            return
        server = _Server((self.host, self.port), _Handler)
        server.target = self
        if self._tls_context is not None:
            # The handshake then happens in the handler's thread, so a client that rejects
            # the certificate does not stall the accept loop.
            server.socket = self._tls_context.wrap_socket(
                server.socket, server_side=True, do_handshake_on_connect=False
            )
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()


def _server_tls_context(ca: trustme.CA, host: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(*dict.fromkeys([host, "127.0.0.1", "localhost"])).configure_cert(context)
    return context


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    target: TargetServer

    def handle_error(self, request, client_address) -> None:
        # Clients hang up mid-body and reject certificates on purpose in these tests.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30

    def do_GET(self) -> None:
        target = self.server.target
        path = self.path.split("?", 1)[0]
        headers = {name.lower(): value for name, value in self.headers.items()}
        target.requests_seen.append((self.command, path, headers))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        mode = target.mode_for_peer.get(self.client_address[0],
                                        target.mode_for_path.get(path, target.mode))
        try:
            self._answer(mode, target, path)
        except OSError:
            pass  # The client went away, as a probe does once it has seen enough.

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _answer(self, mode: str, target: TargetServer, path: str) -> None:
        if mode == "up":
            self._send(200, b"ok")
        elif mode == "error":
            self._send(500, b"error")
        elif mode == "slow":
            if not target.stopped.wait(target.slow_seconds):
                self._send(200, b"ok, eventually")
        elif mode == "trickle":
            self._start(200, {"Content-Length": str(TRICKLE_BODY_BYTES)})
            for _ in range(TRICKLE_BODY_BYTES):
                if target.stopped.wait(TRICKLE_INTERVAL_SECONDS):
                    return
                self._write(b"x")
        elif mode == "big":
            self._start(200, {"Content-Length": str(BIG_BODY_BYTES)})
            for chunk in _big_body():
                self._write(chunk)
        elif mode == "big_chunked":
            self._start(200, {"Transfer-Encoding": "chunked"})
            for chunk in _big_body():
                self._write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self._write(b"0\r\n\r\n")
        elif mode == "json":
            self._send(200, JSON_BODY, {"Content-Type": "application/json"})
        elif mode == "redirect_private":
            location = target.redirect_to or f"http://127.0.0.1:{target.port}{path}"
            self._send(302, b"", {"Location": location})
        else:
            raise ValueError(f"unknown mode {mode!r}; choose from {MODES}")

    def _start(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        # One request per connection keeps take_down() simple: nothing lingers open.
        self.send_header("Connection", "close")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.flush()

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self._start(status, {"Content-Length": str(len(body)), **(headers or {})})
        if self.command != "HEAD":
            self._write(body)

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def log_message(self, format, *args) -> None:
        pass


def _big_body():
    sent = 0
    while sent < BIG_BODY_BYTES:
        chunk = b"x" * min(WRITE_CHUNK_BYTES, BIG_BODY_BYTES - sent)
        sent += len(chunk)
        yield chunk
