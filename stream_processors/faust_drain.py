"""Faust's consumer hands each fetched record on without four asyncio tasks per record
(docs/capacity.md §6, issue 18).

faust-streaming 0.15.3's fetch loop (``Consumer._drain_messages``) delivers every record with
``await self.wait_first(callback(message), self.suspend_flow.wait())``: the callback (the
conductor's ``on_message``: decode, put on the stream's queue) must finish, unless the flow is
suspended first (a rebalance), in which case the record is dropped and fetched again after the
seek. ``Service.wait_first`` makes a task of each waitable and of the service's stopped and
crashed events, waits for the first, and cancels the other three: ~20-26 µs a record with uvloop,
for a callback that nearly always finishes without ever suspending (the queue has room, the flow
runs). That was about a fifth of the processor's floor (bench/faust_floor.py).

The lean ``wait_first`` keeps that contract and skips the tasks when nothing can win against the
callback: while the flow runs and the consumer is neither stopping nor crashed, it runs the
callback's first step inline. A callback that finishes there is done, exactly as if its task had
finished first (no other waitable could be done: none was set, and nothing else ran meanwhile).
One that suspends (a full queue, flow control) goes on from where it stopped under Faust's own
``wait_first``, with the same waitables, so a rebalance still drops it as before.
"""
from __future__ import annotations

import asyncio
import functools
from collections.abc import Coroutine, Generator
from typing import Any, Callable

from faust.transport.consumer import Consumer
from mode.services import WaitResults

_PATCHED = "_govbus_lean_drain"


class _Started:
    """A coroutine run to its first suspension, awaited from where it stopped: the awaiting task
    waits on the future it yielded, and sends (or throws, a cancellation) into it from there."""

    def __init__(self, coro: Coroutine[Any, Any, Any], yielded: Any) -> None:
        self.coro, self.yielded = coro, yielded

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, yielded = self.coro, self.yielded
        while True:
            try:
                sent = yield yielded
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # noqa: BLE001 - a cancellation goes on into the callback
                step: Callable[[], Any] = functools.partial(coro.throw, exc)
            else:
                step = functools.partial(coro.send, sent)
            try:
                yielded = step()
            except StopIteration as finished:
                return finished.value


async def _go_on(coro: Coroutine[Any, Any, Any], yielded: Any) -> Any:
    return await _Started(coro, yielded)


def _may_run_inline(consumer: Consumer, waitables: tuple[Any, ...]) -> bool:
    """Only the fetch loop's form (a callback, then the suspend-flow wait), and only while
    none of what ``wait_first`` also waits for is set."""
    return (len(waitables) == 2 and asyncio.iscoroutine(waitables[0]) and asyncio.iscoroutine(waitables[1])
            and not consumer.suspend_flow.is_set()
            and not consumer._stopped.is_set() and not consumer._crashed.is_set())


def _lean(wait_first: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(wait_first)
    async def lean_wait_first(self: Consumer, *waitables: Any, timeout: Any = None) -> WaitResults:
        if not _may_run_inline(self, waitables):
            return await wait_first(self, *waitables, timeout=timeout)
        callback, others = waitables[0], waitables[1:]
        try:
            yielded = callback.send(None)
        except StopIteration as finished:
            for other in others:
                other.close()  # the suspend-flow wait, never started
            return WaitResults([callback], [finished.value], False)
        except BaseException:
            for other in others:
                other.close()
            raise
        return await wait_first(self, _go_on(callback, yielded), *others, timeout=timeout)

    setattr(lean_wait_first, _PATCHED, True)
    return lean_wait_first


def lean_drain() -> None:
    """Patch Faust's consumer once per process (idempotent)."""
    if not getattr(Consumer.wait_first, _PATCHED, False):
        Consumer.wait_first = _lean(Consumer.wait_first)  # type: ignore[method-assign]
