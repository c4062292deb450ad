"""/ws/status/: one websocket per open dashboard, admin changelist or app screen."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from monitors.models import Monitor
from uptime.api.scoping import visible_to

from . import live
from .ws_auth import TOKEN_SUBPROTOCOL

REVOKED_CLOSE_CODE = 4001


class StatusConsumer(AsyncJsonWebsocketConsumer):
    """Sends a snapshot of every monitor the user may see, then every live event about them.

    Staff join the operators' group, which gets every event (and so not their own group as
    well, or they would get their own monitors' events twice); everyone else joins only their
    own group, so another user's events never reach them.
    """

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()  # before accept(): the handshake is refused with HTTP 403
            return
        self.status_group = live.OPERATORS_GROUP if user.is_staff else live.owner_group(user.pk)
        self.revocation_group = self.group_that_revokes(self.scope)
        # Joined before the snapshot is read: a change that commits in between arrives as an
        # event after the snapshot, so nothing is lost between page load and subscription.
        await self.channel_layer.group_add(self.status_group, self.channel_name)
        if self.revocation_group:
            await self.channel_layer.group_add(self.revocation_group, self.channel_name)
        offered = self.scope.get("subprotocols") or []
        # A client that offers subprotocols must get one back, or browsers drop the socket.
        await self.accept(subprotocol=TOKEN_SUBPROTOCOL if TOKEN_SUBPROTOCOL in offered else None)
        await self.send_json(await self.snapshot(user))

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "status_group"):
            await self.channel_layer.group_discard(self.status_group, self.channel_name)
        if getattr(self, "revocation_group", None):
            await self.channel_layer.group_discard(self.revocation_group, self.channel_name)

    async def status_event(self, message: dict) -> None:
        await self.send_json(message["event"])

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
    def snapshot(self, user) -> dict:
        return live.snapshot(visible_to(Monitor.objects.all(), user))
