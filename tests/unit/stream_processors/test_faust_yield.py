"""Faust's stream yields to the loop once in ``EVERY`` events (stream_processors/faust_yield.py):
other tasks still get their turn within that many events, and a sleep with a delay or a result
is asyncio's. The worker's whole path through the patched iterator: tests/integration and e2e."""
from __future__ import annotations

import asyncio

from faust._cython import streams

from stream_processors.faust_yield import lean_stream_yield, sparse_sleep


def _turns_of_other_task(sleep_calls: int, every: int) -> int:
    """How many times a second task ran while one task awaited ``sleep(0)`` ``sleep_calls`` times."""
    sleep = sparse_sleep(every)
    turns = 0

    async def other() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    async def stream() -> None:
        for _ in range(sleep_calls):
            await sleep(0)

    async def both() -> None:
        runner = asyncio.ensure_future(other())
        await asyncio.sleep(0)  # let it start: one turn
        await stream()
        runner.cancel()
    asyncio.run(both())
    return turns - 1


def test_the_loop_gets_a_turn_once_in_every_so_many_calls() -> None:
    assert _turns_of_other_task(sleep_calls=640, every=64) == 10
    assert _turns_of_other_task(sleep_calls=63, every=64) == 0
    assert _turns_of_other_task(sleep_calls=10, every=1) == 10  # every=1: asyncio's own behaviour


def test_a_sleep_with_a_delay_or_a_result_is_asyncios() -> None:
    sleep = sparse_sleep(64)

    async def timed() -> tuple[float, str]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        result = await sleep(0.02, "woke")
        return loop.time() - started, result
    waited, result = asyncio.run(timed())
    assert waited >= 0.015 and result == "woke"
    assert asyncio.run(_zero_with_result(sleep)) == "kept"


async def _zero_with_result(sleep: object) -> str:
    return await sleep(0, "kept")  # type: ignore[operator]


def test_patching_is_idempotent_and_reaches_the_cython_iterator() -> None:
    original = streams.sleep
    try:
        assert lean_stream_yield()
        patched = streams.sleep
        assert patched is not original
        assert lean_stream_yield() and streams.sleep is patched
    finally:
        streams.sleep = original


def test_faust_s_cython_iterator_still_sleeps_through_the_module_global_patched_here() -> None:
    """The patch point: faust/_cython/streams.pyx imports ``sleep`` from asyncio and awaits
    ``sleep(0)`` per event; a Faust release that drops that global would leave the patch idle."""
    assert streams.sleep is asyncio.sleep or getattr(streams.sleep, "_govbus_lean_yield", False)
    assert hasattr(streams, "StreamIterator")
