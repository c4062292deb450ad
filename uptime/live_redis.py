"""channels-redis's group_send, done with a plain (synchronous) Redis client.

Workers publish from ordinary threads. channels-redis only offers a coroutine, and running it
costs an event loop hand-over plus about 100 microseconds of asyncio Redis client per
command, four commands per event: most of a cheap check's CPU. This writes exactly what
RedisChannelLayer.group_send writes (the same keys, the same serialized messages, the same
Lua script, the same capacity and expiry rules), so consumers of the layer cannot tell the
difference, in fewer round trips: one pipeline reads (and prunes) the membership of every
group involved, and one pipeline per Redis shard delivers every message.

It leans on a few of RedisChannelLayer's internals (_group_key, consistent_hash,
_map_channel_keys_to_connection, hosts, expiry, group_expiry); the live tests deliver
through a real layer to a real consumer, so a channels-redis that changes them fails there.
uptime/live.py falls back to the layer's own group_send for any layer this does not handle.
"""

import os
import threading
import time
import weakref
from collections import defaultdict

import redis
from channels_redis.core import RedisChannelLayer
from redis.backoff import NoBackoff
from redis.retry import Retry

# RedisChannelLayer.group_send's script: add each message unless its channel is at capacity.
GROUP_SEND_LUA = """
    local over_capacity = 0
    local current_time = ARGV[#ARGV - 1]
    local expiry = ARGV[#ARGV]
    for i=1,#KEYS do
        if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[i + #KEYS]) then
            redis.call('ZADD', KEYS[i], current_time, ARGV[i])
            redis.call('EXPIRE', KEYS[i], expiry)
        else
            over_capacity = over_capacity + 1
        end
    end
    return over_capacity
"""

_clients: "weakref.WeakKeyDictionary[RedisChannelLayer, list[redis.Redis]]" = (
    weakref.WeakKeyDictionary()
)
_clients_lock = threading.Lock()


def _new_lock_after_fork() -> None:
    # A forked child may inherit the lock held by a thread it does not have.
    global _clients_lock
    _clients_lock = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_after_fork)


def handles(layer) -> bool:
    """True for a plain RedisChannelLayer on Redis URLs (not a sentinel, not a subclass that
    may send differently)."""
    return type(layer) is RedisChannelLayer and all("address" in host for host in layer.hosts)


def group_send_many(layer: RedisChannelLayer, sends: list[tuple[list[str], dict]], *,
                    timeout: float) -> None:
    """Send each message to each of its groups, in order. Every Redis operation (connect,
    or a pipeline's reply) may take timeout / 3, and with one Redis there are at most three
    in a row (connect, membership, delivery), so a Redis that hangs costs at most `timeout`."""
    clients = _clients_for(layer, timeout / 3)
    groups = list(dict.fromkeys(group for targets, _ in sends for group in targets))
    members = _members(layer, clients, groups)
    now = time.time()
    deliveries: dict[int, list[tuple[list[bytes], list]]] = defaultdict(list)
    for position, (targets, message) in enumerate(sends):
        # A channel's messages are a sorted set scored by time, read lowest first: messages
        # sent together need distinct, increasing scores, or they come out in random order.
        sent_at = now + position * 1e-6
        for group in targets:
            if not members[group]:
                continue
            by_connection, messages, capacities = layer._map_channel_keys_to_connection(
                members[group], message
            )
            for index, keys in by_connection.items():
                args = [messages[key] for key in keys] + [capacities[key] for key in keys]
                deliveries[index].append((keys, args + [sent_at, layer.expiry]))
    for index, scripts in deliveries.items():
        pipe = clients[index].pipeline(transaction=False)
        for keys, args in scripts:
            for key in keys:
                pipe.zremrangebyscore(key, min=0, max=int(now) - int(layer.expiry))
            pipe.eval(GROUP_SEND_LUA, len(keys), *keys, *args)
        pipe.execute()


def _members(layer: RedisChannelLayer, clients: list[redis.Redis],
             groups: list[str]) -> dict[str, list[str]]:
    """Each group's channels, dropping those past group_expiry as group_send does."""
    by_shard: dict[int, list[str]] = defaultdict(list)
    for group in groups:
        by_shard[layer.consistent_hash(group)].append(group)
    members = {}
    oldest = int(time.time()) - layer.group_expiry
    for index, shard_groups in by_shard.items():
        pipe = clients[index].pipeline(transaction=False)
        for group in shard_groups:
            key = layer._group_key(group)
            pipe.zremrangebyscore(key, min=0, max=oldest)
            pipe.zrange(key, 0, -1)
        replies = pipe.execute()
        for position, group in enumerate(shard_groups):
            members[group] = [name.decode() for name in replies[2 * position + 1]]
    return members


def _clients_for(layer: RedisChannelLayer, timeout: float) -> list[redis.Redis]:
    # One client (and connection pool) per shard, kept as long as the layer: redis-py's pool
    # is thread-safe and starts afresh in a forked child.
    with _clients_lock:
        clients = _clients.get(layer)
        if clients is None:
            clients = _clients[layer] = [
                redis.Redis.from_url(
                    host["address"],
                    **{
                        # The layer's options, but this client's own timeouts: the layer's
                        # read timeout is sized for its consumers' blocking reads (settings).
                        **{key: value for key, value in host.items() if key != "address"},
                        "socket_timeout": timeout,
                        "socket_connect_timeout": timeout,
                        # No retries: a Redis that does not answer must cost one timeout,
                        # not four.
                        "retry": Retry(NoBackoff(), 0),
                    },
                )
                for host in layer.hosts
            ]
        return clients


async def change_groups(layer, channel: str, *, add: list[str] = (),
                        discard: list[str] = ()) -> None:
    """group_add and group_discard of many groups for one channel, in one pipeline per Redis
    shard: a socket subscribing to a page of 100 monitors joins 100 groups, which one call
    each would take 200 round trips for (and a thousand at once exhaust the layer's pool).
    Writes what RedisChannelLayer's own calls write; any other layer gets those calls."""
    if not handles(layer):
        for group in add:
            await layer.group_add(group, channel)
        for group in discard:
            await layer.group_discard(group, channel)
        return
    by_shard: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for action, groups in (("add", add), ("discard", discard)):
        for group in groups:
            assert layer.require_valid_group_name(group), "Group name not valid"
            by_shard[layer.consistent_hash(group)].append((action, group))
    now = time.time()
    for index, changes in by_shard.items():
        pipe = layer.connection(index).pipeline(transaction=False)
        for action, group in changes:
            key = layer._group_key(group)
            if action == "add":
                pipe.zadd(key, {channel: now})
                pipe.expire(key, layer.group_expiry)
            else:
                pipe.zrem(key, channel)
        await pipe.execute()
