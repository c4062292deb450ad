"""A TCP relay that can make its backend vanish without a word.

    relay = FreezingRelay(redis.port).bring_up()   # 127.0.0.1:<relay.port> -> the backend
    relay.freeze()   # every relayed connection goes silent for good, and stays open
    relay.thaw()     # new connections are relayed again; the frozen ones stay silent

What a client sees of a failover, a host that died or a NAT that forgot the flow: no FIN, no
RST, just no answer, so only a timeout, a keepalive or a health check can tell it the
connection is dead. A connection made while frozen is accepted and waits for thaw().
"""

import socket
import threading

from .switchable import free_port

ACCEPT_POLL_SECONDS = 0.05


class FreezingRelay:
    def __init__(self, backend_port: int) -> None:
        self.backend_port = backend_port
        self.port = free_port()
        self._generation = 0
        self._thawed = threading.Event()
        self._thawed.set()
        self._stopped = threading.Event()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []  # frozen ones must not be closed by the GC
        self._lock = threading.Lock()

    def bring_up(self) -> "FreezingRelay":
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(ACCEPT_POLL_SECONDS)
        threading.Thread(target=self._accept_loop, daemon=True).start()
        return self

    def freeze(self) -> None:
        with self._lock:
            self._generation += 1
            self._thawed.clear()

    def thaw(self) -> None:
        self._thawed.set()

    def take_down(self) -> None:
        self._stopped.set()
        self._thawed.set()
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            held, self._sockets = self._sockets, []
        for sock in held:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except (OSError, AttributeError):  # closed by take_down()
                return
            with self._lock:
                self._sockets.append(client)
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        self._thawed.wait()
        if self._stopped.is_set():
            return
        try:
            backend = socket.create_connection(("127.0.0.1", self.backend_port), timeout=5)
        except OSError:
            return
        backend.settimeout(None)
        with self._lock:
            self._sockets.append(backend)
            generation = self._generation
        for source, target in ((client, backend), (backend, client)):
            threading.Thread(target=self._pump, args=(source, target, generation),
                             daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, generation: int) -> None:
        try:
            while data := source.recv(65536):
                if generation != self._generation:
                    return  # frozen: what is sent from now on is never answered
                target.sendall(data)
        except OSError:
            return
        # One side hung up before any freeze: pass that on, as a plain relay does.
        if generation == self._generation:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
