"""uptime.live_protocol's pages and coalescing, on their own."""

import asyncio
import json

import pytest

from uptime.live_protocol import Coalescer, SharedSummaries, pages


def test_pages_keep_every_item_in_order_and_each_under_the_limit():
    items = [{"id": n, "name": "x" * (n % 300)} for n in range(5000)]

    messages = pages("snapshot", "monitors", items, extra_last={"missing": [1, 2]},
                     page_bytes=20_000)

    decoded = [json.loads(message) for message in messages]
    assert all(len(message.encode()) <= 20_000 for message in messages)
    assert [item for page in decoded for item in page["monitors"]] == items
    assert [(page["page"], page["pages"]) for page in decoded] == [
        (n, len(messages)) for n in range(1, len(messages) + 1)]
    assert decoded[-1]["missing"] == [1, 2] and "missing" not in decoded[0]


def test_nothing_is_still_one_page():
    (message,) = pages("snapshot", "monitors", [])

    assert json.loads(message) == {"type": "snapshot", "page": 1, "pages": 1, "monitors": []}


def test_a_newer_check_replaces_the_pending_one_and_other_events_stay():
    coalescer = Coalescer()
    coalescer.add({"type": "check", "monitor": {"id": 1}, "check": {"id": 1}})
    coalescer.add({"type": "monitor.down", "monitor": {"id": 1}})
    coalescer.add({"type": "check", "monitor": {"id": 2}, "check": {"id": 2}})
    coalescer.add({"type": "check", "monitor": {"id": 1}, "check": {"id": 3}})

    assert [(event["type"], event.get("check")) for event in coalescer.take()] == [
        ("monitor.down", None), ("check", {"id": 2}), ("check", {"id": 3})]
    assert not coalescer


def test_sends_are_a_window_apart_and_the_first_after_a_quiet_spell_waits_a_moment():
    now = [100.0]
    coalescer = Coalescer(window=1.0, gather=0.05, clock=lambda: now[0])

    assert coalescer.due() == 0.05
    coalescer.take()
    now[0] += 0.25
    assert coalescer.due() == 0.75
    now[0] += 5
    assert coalescer.due() == 0.05


@pytest.mark.asyncio
async def test_a_summary_is_computed_once_for_every_socket_that_needs_the_same_one():
    now = [10.0]
    summaries = SharedSummaries(clock=lambda: now[0])
    computed = []

    async def compute() -> dict:
        computed.append(now[0])
        await asyncio.sleep(0.01)
        return {"total": len(computed)}

    # Two sockets whose change arrived at 9.5 share one count started at 10.
    first, second = await asyncio.gather(
        summaries.get(("fleet", ""), 9.5, compute), summaries.get(("fleet", ""), 9.5, compute))
    assert first == second == {"total": 1}
    # A change that arrived after that count started needs a new one; another search too.
    now[0] = 11.0
    assert await summaries.get(("fleet", ""), 10.5, compute) == {"total": 2}
    assert await summaries.get(("fleet", "api"), 10.5, compute) == {"total": 3}
    assert await summaries.get(("fleet", ""), 10.5, compute) == {"total": 2}
