"""An HTTP target whose answers follow a script: request n gets pattern[n % len(pattern)].

    server = PatternServer("ddu").start()   # down, down, up, down, down, up, ...
    server.pattern = "uuu"                  # from the next request on
"""

from .stalling import _SocketServer

ANSWERS = {
    "u": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
    "d": b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n"
         b"\r\nfail",
}


class PatternServer(_SocketServer):
    def __init__(self, pattern: str) -> None:
        super().__init__()
        self.pattern = pattern
        self.answered: list[str] = []

    def serve(self, connection) -> None:
        if not self.read_request(connection):
            return
        with self._lock:
            answer = self.pattern[len(self.answered) % len(self.pattern)]
            self.answered.append(answer)
        connection.sendall(ANSWERS[answer])
        connection.close()
