"""A real webhook receiver on 127.0.0.1 that records every POST and answers as told.

    receiver.statuses = [503]                      # the next request gets a 503 "ok"
    receiver.answers = [Answer(429, {"ok": False})] # ...or a full answer: status, JSON or text
    receiver.answer = Answer(200, {"id": "1"})     # what every other request gets

Answers queued in `answers` go first, then `statuses`, then `answer` (by default 200 "ok").
`requests` records every request, whatever it was answered, with its raw body; `received` and
`headers` keep the parsed JSON and headers of the requests that were answered with success.
"""

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Answer:
    status: int = 200
    # A dict or list is sent as JSON; a str or bytes as plain text.
    body: dict | list | str | bytes = "ok"

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, dict | list):
            return json.dumps(self.body).encode(), "application/json"
        body = self.body.encode() if isinstance(self.body, str) else self.body
        return body, "text/plain; charset=utf-8"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int = 200

    def json(self):
        return json.loads(self.body)


class WebhookReceiver:
    def __init__(self) -> None:
        self.received: list[dict] = []
        self.headers: list[dict] = []
        self.requests: list[RecordedRequest] = []
        # Statuses to answer, in order; once used up, every request gets `answer`.
        self.statuses: list[int] = []
        self.answers: list[Answer] = []
        self.answer = Answer()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    answer = receiver._next_answer()
                    target = urlsplit(self.path)
                    receiver.requests.append(
                        RecordedRequest(
                            method=self.command,
                            path=target.path,
                            query=parse_qs(target.query),
                            headers=dict(self.headers),
                            body=body,
                            status=answer.status,
                        )
                    )
                    if answer.status < 300:
                        receiver.received.append(json.loads(body or b"null"))
                        receiver.headers.append(dict(self.headers))
                content, content_type = answer.encoded()
                self.send_response(answer.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def _next_answer(self) -> Answer:
        if self.answers:
            return self.answers.pop(0)
        if self.statuses:
            return Answer(self.statuses.pop(0))
        return self.answer

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return f"{self.base_url}/hook"

    def events(self) -> list[str]:
        with self._lock:
            return [payload["event"] for payload in self.received]

    def start(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
