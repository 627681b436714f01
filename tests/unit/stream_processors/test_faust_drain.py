"""The lean ``wait_first`` of Faust's consumer (stream_processors/faust_drain.py): a callback that
finishes in its first step makes no task; one that suspends goes on under Faust's own wait_first,
which still drops it when the flow is suspended; errors and cancellations reach it as before."""
from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from faust.transport.consumer import Consumer
from mode import Service
from mode.utils.locks import Event

from stream_processors.faust_drain import _lean, lean_drain


class FetchLoop(Service):
    """What the patched wait_first reads of a consumer: its suspend-flow event, stopped, crashed."""

    def __init__(self) -> None:
        super().__init__()
        self.suspend_flow = Event()

    wait_first = _lean(Service.wait_first)


def _run(test: Any) -> Any:
    async def counted() -> Any:
        made: list[Any] = []
        loop = asyncio.get_running_loop()
        loop.set_task_factory(lambda lp, coro, **kw: made.append(coro) or asyncio.Task(coro, loop=lp, **kw))
        return await test(FetchLoop()), len(made)
    return asyncio.run(counted())


def test_a_callback_finishing_at_once_is_done_without_a_task() -> None:
    async def callback() -> str:
        return "delivered"

    async def test(service: FetchLoop) -> Any:
        flow = service.suspend_flow.wait()
        result = await service.wait_first(callback(), flow)
        assert inspect.getcoroutinestate(flow) == inspect.CORO_CLOSED  # no "never awaited" warning
        return result

    result, tasks = _run(test)
    assert (result.done[0].__class__.__name__, result.results, result.stopped) == ("coroutine", ["delivered"], False)
    assert tasks == 0


def test_a_callback_that_waits_goes_on_from_where_it_stopped() -> None:
    async def test(service: FetchLoop) -> Any:
        room = asyncio.get_running_loop().create_future()
        steps: list[str] = []

        async def callback() -> int:
            steps.append("first step")
            value = await room  # a full queue: the first step suspends here
            steps.append("after the wait")
            return value + 1

        asyncio.get_running_loop().call_later(0.01, room.set_result, 41)
        result = await service.wait_first(callback(), service.suspend_flow.wait())
        return result.results, steps

    (results, steps), tasks = _run(test)
    assert results == [42] and steps == ["first step", "after the wait"]
    assert tasks == 4  # Faust's own wait_first: callback, suspend-flow, stopped, crashed


def test_a_waiting_callback_is_dropped_when_the_flow_is_suspended() -> None:
    async def test(service: FetchLoop) -> Any:
        seen: list[str] = []

        async def callback() -> None:
            try:
                await asyncio.Event().wait()  # never set
            except asyncio.CancelledError:
                seen.append("cancelled")
                raise

        asyncio.get_running_loop().call_later(0.01, service.suspend_flow.set)
        result = await service.wait_first(callback(), service.suspend_flow.wait())
        await asyncio.sleep(0)
        return len(result.done), seen

    (winners, seen), _ = _run(test)
    assert winners == 1 and seen == ["cancelled"]  # the suspend-flow wait won; the record is dropped


def test_with_the_flow_suspended_the_callback_runs_as_faust_ran_it() -> None:
    async def callback() -> str:
        return "delivered"

    async def test(service: FetchLoop) -> Any:
        service.suspend_flow.set()
        return await service.wait_first(callback(), service.suspend_flow.wait())

    result, tasks = _run(test)
    assert tasks == 4 and result.stopped is False


def test_an_error_in_the_first_step_reaches_the_fetch_loop() -> None:
    async def callback() -> None:
        raise ValueError("a broken record")

    async def test(service: FetchLoop) -> Any:
        flow = service.suspend_flow.wait()
        with pytest.raises(ValueError, match="a broken record"):
            await service.wait_first(callback(), flow)
        return inspect.getcoroutinestate(flow)

    state, tasks = _run(test)
    assert state == inspect.CORO_CLOSED and tasks == 0


def test_the_patch_is_made_once() -> None:
    lean_drain()
    patched = Consumer.wait_first
    lean_drain()
    assert Consumer.wait_first is patched and patched._govbus_lean_drain is True
    assert Service.wait_first is not patched  # other services keep mode's own
