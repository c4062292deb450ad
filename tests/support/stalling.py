"""Loopback servers that misbehave at the socket level, for the probe's time limits.

    server = SilentServer().start()      # accepts, reads the request, never answers
    server = HeaderTrickler().start()    # answers one byte of its headers per second
    server = KeepAliveServer().start()   # answers 200 and keeps the connection open
    server = SlowServer(delay=1).start() # answers after a second; most_at_once counts overlap
    server.url("/")
    server.stop()

TargetServer (target.py) is an http.server: it always answers whole lines and closes each
connection. These speak raw sockets so that they can stall mid-line and hold connections.
"""

import socket
import threading


class _SocketServer:
    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(256)
        self.port = self._listener.getsockname()[1]
        self.stopped = threading.Event()
        self.connections_accepted = 0
        self.requests_seen: list[bytes] = []
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self):
        threading.Thread(target=self._accept_loop, daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self._listener.close()
        with self._lock:
            for connection in self._open:
                connection.close()

    def _accept_loop(self) -> None:
        while not self.stopped.is_set():
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections_accepted += 1
                self._open.append(connection)
            threading.Thread(target=self._serve_quietly, args=(connection,), daemon=True).start()

    def _serve_quietly(self, connection: socket.socket) -> None:
        try:
            self.serve(connection)
        except OSError:
            pass  # The probe hung up, which is what it is supposed to do at its deadline.

    def read_request(self, connection: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(4096)
            if not chunk:
                return b""
            data += chunk
        with self._lock:
            self.requests_seen.append(data)
        return data

    def serve(self, connection: socket.socket) -> None:
        raise NotImplementedError


class SilentServer(_SocketServer):
    """Accepts the connection and the request, then says nothing until it stops."""

    def serve(self, connection: socket.socket) -> None:
        self.read_request(connection)
        self.stopped.wait()


class HeaderTrickler(_SocketServer):
    """Sends its status line and headers one byte a second: every read gets a byte well
    within any read timeout, so only a deadline on the whole check can end it."""

    RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Padding: " + b"x" * 200 + b"\r\n\r\nok"

    def serve(self, connection: socket.socket) -> None:
        self.read_request(connection)
        for position in range(len(self.RESPONSE)):
            if self.stopped.wait(1.0):
                return
            connection.sendall(self.RESPONSE[position:position + 1])


class KeepAliveServer(_SocketServer):
    """Answers every request on a connection with 200 and a cookie, keeping the connection
    open for more, as most real servers do."""

    def serve(self, connection: socket.socket) -> None:
        while self.read_request(connection):
            connection.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=60\r\n"
                b"Set-Cookie: session=from-the-target; Path=/\r\n\r\nok"
            )


class SlowServer(_SocketServer):
    """Answers 200 after `delay` seconds, and counts how many requests it held at once."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.in_progress = 0
        self.most_at_once = 0

    def serve(self, connection: socket.socket) -> None:
        if not self.read_request(connection):
            return
        with self._lock:
            self.in_progress += 1
            self.most_at_once = max(self.most_at_once, self.in_progress)
        try:
            if not self.stopped.wait(self.delay):
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                )
        finally:
            with self._lock:
                self.in_progress -= 1
