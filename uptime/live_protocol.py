"""What /ws/status/ says, whatever the fleet's size: subscriptions, pages and batches.

A socket receives the monitors it shows, not the fleet. A client subscribes to a list of
monitors (a page's rows), one monitor, or a summary (counts per state and open incidents, of
every monitor it may see or of those a search matches); see the README's "Live status" and
uptime/static/uptime/live-protocol.schema.json. Without a subscription a user's socket gets
their own monitors, one message per event, as before subscriptions existed; a staff socket
gets the summary, never the fleet (10,000 monitors are a 2.3 MB snapshot).

Every message stays under PAGE_BYTES (the websocket server refuses messages over 1 MiB and
closes the socket with 1011): a snapshot too large for one message is sent in pages, and a
batch of events too. Events of a subscribing socket are coalesced: sent at most once per
WINDOW_SECONDS, a monitor's superseded `check` dropped (its next one carries its whole state),
every other event kept in order.

Nothing here touches the channel layer or the socket: uptime/consumers.py does.
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from django.db.models import Count, Q

from . import live

PAGE_BYTES = 192 * 1024
WINDOW_SECONDS = 0.6
# An event after a quiet spell waits this long for the rest of its check's events (a check
# that opens an incident publishes three), so they travel in one message.
GATHER_SECONDS = 0.05
# Each subscribed monitor is a channel-layer group the socket joins; a page shows 100.
MAX_SUBSCRIBED_MONITORS = 1000
MAX_QUERY_LENGTH = 200
STATUSES = ("up", "degraded", "pending", "down", "unknown", "paused")


class ProtocolError(ValueError):
    """A client message this protocol does not understand; answered with an error message."""


@dataclass
class Request:
    """One subscribe or unsubscribe message, parsed."""

    kind: str  # "subscribe" or "unsubscribe"
    monitor_ids: list[int] = field(default_factory=list)
    summary: bool = False
    query: str = ""
    everything: bool = False  # an unsubscribe that names nothing


def parse_request(content) -> Request:
    if not isinstance(content, dict) or content.get("type") not in ("subscribe", "unsubscribe"):
        raise ProtocolError('expected {"type": "subscribe" | "unsubscribe", ...}')
    request = Request(kind=content["type"])
    ids = content.get("monitors", [])
    if "monitor" in content:
        ids = [content["monitor"]]
    if not isinstance(ids, list) or not all(
        isinstance(pk, int) and not isinstance(pk, bool) for pk in ids
    ):
        raise ProtocolError('"monitors" must be a list of monitor ids')
    if len(ids) > MAX_SUBSCRIBED_MONITORS:
        raise ProtocolError(f"at most {MAX_SUBSCRIBED_MONITORS} monitors per socket")
    request.monitor_ids = list(dict.fromkeys(ids))
    summary = content.get("summary", False)
    if isinstance(summary, dict):
        query = summary.get("query", "")
        if not isinstance(query, str) or len(query) > MAX_QUERY_LENGTH or "\x00" in query:
            raise ProtocolError(f'"summary.query" must be text of at most {MAX_QUERY_LENGTH}')
        request.summary, request.query = True, query
    elif isinstance(summary, bool):
        request.summary = summary
    else:
        raise ProtocolError('"summary" must be true, false or {"query": "..."}')
    request.everything = request.kind == "unsubscribe" and not (ids or summary)
    if request.kind == "subscribe" and not (request.monitor_ids or request.summary):
        raise ProtocolError('subscribe to "monitors", "monitor" or "summary"')
    return request


def encode(message: dict) -> str:
    return json.dumps(message, separators=(",", ":"))


def pages(kind: str, key: str, items: list[dict], *, extra_last: dict | None = None,
          page_bytes: int = PAGE_BYTES) -> list[str]:
    """`items` as messages {"type": kind, key: [...], "page": n, "pages": total} of at most
    page_bytes each (an item larger than that on its own is a page by itself). `extra_last`
    goes into the last page. Always at least one page."""
    encoded = [encode(item) for item in items]
    groups: list[list[str]] = [[]]
    size = 0
    # Room for the envelope, the page numbers and extra_last.
    budget = page_bytes - 200 - len(encode(extra_last or {}))
    for text in encoded:
        if groups[-1] and size + len(text) + 1 > budget:
            groups.append([])
            size = 0
        groups[-1].append(text)
        size += len(text) + 1
    total = len(groups)
    messages = []
    for number, group in enumerate(groups, start=1):
        head = {"type": kind, "page": number, "pages": total}
        if number == total and extra_last:
            head.update(extra_last)
        messages.append(encode(head)[:-1] + f',"{key}":[' + ",".join(group) + "]}")
    return messages


def summary(user, query: str = "") -> dict:
    """Counts per state of the monitors `user` may see (those whose name or URL contains
    `query`, any case, when given) and their open incidents: the dashboard's chips."""
    from incidents.models import Incident
    from monitors.models import Monitor
    from uptime.api.scoping import visible_to

    monitors = visible_to(Monitor.objects.all(), user)
    if query:
        monitors = monitors.filter(Q(name__icontains=query) | Q(url__icontains=query))
    counts = monitors.order_by().aggregate(
        total=Count("pk"), **{status: Count("pk", filter=Q(status=status)) for status in STATUSES}
    )
    open_incidents = visible_to(Incident.objects.open(), user, "monitor__owner").count()
    return {
        "type": "summary",
        "query": query,
        "total": counts.pop("total"),
        "counts": counts,
        "open_incidents": open_incidents,
    }


def snapshot_states(monitors) -> list[dict]:
    return live.snapshot(monitors)["monitors"]


class Coalescer:
    """One socket's pending events between two sends.

    A `check` replaces the monitor's pending `check` (the newer carries the whole state);
    every other event is kept, in order. due() says when to send: GATHER_SECONDS after the
    first event of a quiet spell, and never sooner than WINDOW_SECONDS after the last send.
    """

    def __init__(self, *, window: float = WINDOW_SECONDS, gather: float = GATHER_SECONDS,
                 clock=time.monotonic) -> None:
        self.window, self.gather, self.clock = window, gather, clock
        self.events: list[dict | None] = []
        self.pending_check: dict[int, int] = {}
        self.last_sent = float("-inf")
        # When the latest event that changes the summary arrived (None: none since the last
        # send): a summary computed after that instant includes it.
        self.summary_due: float | None = None

    def add(self, event: dict) -> None:
        monitor_id = event.get("monitor", {}).get("id")
        if event["type"] == "check" and monitor_id is not None:
            earlier = self.pending_check.get(monitor_id)
            if earlier is not None:
                self.events[earlier] = None
            self.pending_check[monitor_id] = len(self.events)
        self.events.append(event)

    def summary_changed(self) -> None:
        self.summary_due = self.clock()

    def __bool__(self) -> bool:
        return bool(self.events) or self.summary_due is not None

    def due(self) -> float:
        """Seconds from now until the pending events should be sent."""
        now = self.clock()
        return max(self.gather, self.last_sent + self.window - now)

    def take(self) -> list[dict]:
        events = [event for event in self.events if event is not None]
        self.events, self.pending_check = [], {}
        self.summary_due = None
        self.last_sent = self.clock()
        return events


class SharedSummaries:
    """Summaries computed once for every socket of this process that needs the same one.

    Every staff dashboard counts the same fleet: after a flip, 200 of them would each run the
    same count in the same second. A socket asks for the summary of (scope, query) as of an
    instant (when its latest change arrived); a computation started after that instant, done
    or in flight, answers it: it began after the change was committed and published.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.entries: dict[tuple, tuple[float, asyncio.Future]] = {}

    async def get(self, key: tuple, since: float,
                  compute: Callable[[], Awaitable[dict]]) -> dict:
        loop = asyncio.get_running_loop()
        entry = self.entries.get(key)
        if entry is not None:
            started, future = entry
            failed = future.done() and (future.cancelled() or future.exception() is not None)
            if started >= since and future.get_loop() is loop and not failed:
                return await asyncio.shield(future)
        if len(self.entries) >= 1000:  # one per scope and search: forget the finished ones
            self.entries = {key: entry for key, entry in self.entries.items()
                            if not entry[1].done()}
        future = asyncio.ensure_future(compute())
        self.entries[key] = (self.clock(), future)
        return await asyncio.shield(future)
