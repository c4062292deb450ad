"""/ws/status/: one websocket per open dashboard, admin changelist or app screen; and
/ws/status/<slug>/: one per open public status page."""

import asyncio
import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from monitors.models import Monitor
from uptime.api.scoping import visible_to

from . import live, live_protocol, live_redis, public_pages
from .accounts import totp
from .ws_auth import TOKEN_SUBPROTOCOL

REVOKED_CLOSE_CODE = 4001
SUMMARIES = live_protocol.SharedSummaries()


class StatusConsumer(AsyncJsonWebsocketConsumer):
    """Sends the monitors a client shows, then their live events (uptime/live_protocol.py).

    Until the client subscribes, a user's socket follows their own monitors (the owner's
    group: a snapshot, then one message per event) and a staff socket the fleet's summary. A
    client that connects to /ws/status/?subscription=explicit gets nothing until it says what
    it shows; live.js does, so a page load costs no snapshot it would not use.

    Each subscribed monitor is a group of the channel layer the socket joins, and a summary is
    the group of the events that change counts, so a worker's event reaches only the sockets
    that show it; a socket's events are coalesced into batches (live_protocol.Coalescer).
    """

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()  # before accept(): the handshake is refused with HTTP 403
            return
        if await database_sync_to_async(totp.must_enrol)(user):
            # Staff without the second factor UPTIME_STAFF_REQUIRE_2FA asks for: the web and
            # the API let them reach nothing but enrolment, nor does the live view.
            await self.close()
            return
        self.user = user
        self.groups_joined: set[str] = set()
        self.monitor_ids: set[int] = set()
        self.summary_query: str | None = None
        self.last_summary: dict | None = None
        self.coalescer = live_protocol.Coalescer()
        self.flush_task: asyncio.Task | None = None
        explicit = b"subscription=explicit" in self.scope.get("query_string", b"").split(b"&")
        self.default = None if explicit else ("summary" if user.is_staff else "own")
        # Events come in batches to a socket that subscribed (and to staff, whose default is
        # new); a user's socket that never subscribes gets them one by one, as it always did.
        self.batched = self.default != "own"
        revocation_group = self.group_that_revokes(self.scope)
        if revocation_group:
            await self.join(revocation_group)
        # Joined before the snapshot is read: a change that commits in between arrives as an
        # event after the snapshot, so nothing is lost between page load and subscription.
        if self.default == "own":
            await self.join(live.owner_group(user.pk))
        elif self.default == "summary":
            await self.join(self.summary_group())
            self.summary_query = ""
        offered = self.scope.get("subprotocols") or []
        # A client that offers subprotocols must get one back, or browsers drop the socket.
        await self.accept(subprotocol=TOKEN_SUBPROTOCOL if TOKEN_SUBPROTOCOL in offered else None)
        if self.default == "own":
            for page in await self.snapshot_pages(None):
                await self.send(text_data=page)
        elif self.default == "summary":
            await self.send_summary()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "flush_task", None):
            self.flush_task.cancel()
        await self.leave(*getattr(self, "groups_joined", ()))

    async def join(self, *groups: str) -> None:
        groups = [group for group in groups if group not in self.groups_joined]
        await live_redis.change_groups(self.channel_layer, self.channel_name, add=groups)
        self.groups_joined.update(groups)

    async def leave(self, *groups: str) -> None:
        groups = [group for group in groups if group in self.groups_joined]
        self.groups_joined.difference_update(groups)
        await live_redis.change_groups(self.channel_layer, self.channel_name, discard=groups)

    def summary_group(self) -> str:
        return (live.FLEET_SUMMARY_GROUP if self.user.is_staff
                else live.owner_summary_group(self.user.pk))

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        try:
            content = json.loads(text_data if text_data is not None else bytes_data or b"")
        except ValueError:
            content = None
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs) -> None:
        try:
            request = live_protocol.parse_request(content)
        except live_protocol.ProtocolError as error:
            await self.send_json({"type": "error", "error": str(error)})
            return
        if self.default is not None:
            # The first subscription replaces what the socket followed without one.
            self.default = None
            await self.leave(live.owner_group(self.user.pk))
            await self.leave(self.summary_group())
            self.summary_query = None
        self.batched = True
        if request.kind == "unsubscribe":
            await self.unsubscribe(request)
        else:
            await self.subscribe(request)

    async def subscribe(self, request: live_protocol.Request) -> None:
        wanted = [pk for pk in request.monitor_ids if pk not in self.monitor_ids]
        if len(self.monitor_ids) + len(wanted) > live_protocol.MAX_SUBSCRIBED_MONITORS:
            await self.send_json({"type": "error", "error": (
                f"at most {live_protocol.MAX_SUBSCRIBED_MONITORS} monitors per socket")})
            return
        visible = await self.visible_ids(wanted) if wanted else []
        # Every group joined before anything is read, as on connect.
        await self.join(*(live.monitor_group(pk) for pk in visible))
        self.monitor_ids.update(visible)
        if request.summary:
            await self.join(self.summary_group())
            self.summary_query = request.query
        if request.monitor_ids:
            missing = [pk for pk in wanted if pk not in visible]
            for page in await self.snapshot_pages(
                [pk for pk in request.monitor_ids if pk in self.monitor_ids], missing
            ):
                await self.send(text_data=page)
        if request.summary:
            await self.send_summary()

    async def unsubscribe(self, request: live_protocol.Request) -> None:
        ids = set(self.monitor_ids) if request.everything else set(request.monitor_ids)
        await self.leave(*(live.monitor_group(pk) for pk in ids & self.monitor_ids))
        self.monitor_ids -= ids
        if request.everything or request.summary:
            await self.leave(self.summary_group())
            self.summary_query = None

    async def status_event(self, message: dict) -> None:
        event = message["event"]
        if not self.batched:
            await self.send_json(event)
            return
        if event.get("monitor", {}).get("id") not in self.monitor_ids:
            return  # unsubscribed while this was on its way
        self.coalescer.add(event)
        self.schedule_flush()

    async def status_summary_event(self, message: dict) -> None:
        if self.summary_query is None:
            return
        event = message["event"]
        self.coalescer.summary_changed()
        # A summary's page lists incidents and may add rows: those events come with it,
        # unless the socket gets them anyway as a subscriber of the monitor.
        monitor_id = event.get("monitor", {}).get("id")
        forwarded = event["type"].startswith("incident.") or event["type"] in (
            "monitor.created", "monitor.updated", "monitor.deleted")
        if forwarded and monitor_id not in self.monitor_ids:
            self.coalescer.add(event)
        self.schedule_flush()

    def schedule_flush(self) -> None:
        if self.flush_task is None:
            self.flush_task = asyncio.create_task(self.flush_after(self.coalescer.due()))

    async def flush_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self.flush_task = None
        summary_due = self.coalescer.summary_due
        events = self.coalescer.take()
        if summary_due is not None and self.summary_query is not None:
            summary = await SUMMARIES.get(
                ("fleet" if self.user.is_staff else self.user.pk, self.summary_query),
                summary_due, self.read_summary)
            if summary != self.last_summary:
                self.last_summary = summary
                events.append(summary)
        if events:
            for page in live_protocol.pages("batch", "events", events):
                await self.send(text_data=page)

    async def send_summary(self) -> None:
        self.last_summary = await self.read_summary()
        await self.send_json(self.last_summary)

    async def auth_revoked(self, message: dict) -> None:
        # 4001: an application close code (4000-4999); the client should sign in again.
        await self.close(code=REVOKED_CLOSE_CODE)

    @staticmethod
    def group_that_revokes(scope: dict) -> str | None:
        if scope.get("token_key"):
            return live.revocation_group(token_key=scope["token_key"])
        session = scope.get("session")
        if session is not None and session.session_key:
            return live.revocation_group(session_key=session.session_key)
        return None

    @database_sync_to_async
    def visible_ids(self, ids: list[int]) -> list[int]:
        found = set(visible_to(Monitor.objects.filter(pk__in=ids), self.user)
                    .values_list("pk", flat=True))
        return [pk for pk in ids if pk in found]

    @database_sync_to_async
    def snapshot_pages(self, ids: list[int] | None, missing: list[int] = ()) -> list[str]:
        """The snapshot of these monitors (None: every monitor the user may see), paged."""
        monitors = visible_to(Monitor.objects.all(), self.user)
        if ids is not None:
            monitors = monitors.filter(pk__in=ids)
        states = live_protocol.snapshot_states(monitors)
        return live_protocol.pages("snapshot", "monitors", states,
                                   extra_last={"missing": list(missing)} if missing else None)

    @database_sync_to_async
    def read_summary(self) -> dict:
        return live_protocol.summary(self.user, self.summary_query or "")


class PublicStatusPageConsumer(AsyncJsonWebsocketConsumer):
    """A public status page's viewers: no login, no Origin check (the page may be on its own
    domain, and it is public), and nothing but {"type": "status_page.changed"} once the page's
    cached copy has changed, which the page then refetches (uptime/public_pages.py). What a
    viewer sends is ignored: the socket is read-only."""

    async def connect(self) -> None:
        slug = self.scope["url_route"]["kwargs"]["slug"]
        page_id = await database_sync_to_async(public_pages.page_id_for_slug)(slug)
        if page_id is None:
            await self.close()
            return
        self.page_group = public_pages.page_group(page_id)
        await self.channel_layer.group_add(self.page_group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "page_group"):
            await self.channel_layer.group_discard(self.page_group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        return None

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        # Not even parsed: a viewer has nothing to say, and bad JSON must not close anything.
        return None

    async def status_event(self, message: dict) -> None:
        await self.send_json(message["event"])
