"""What Faust does per consumed record that the processor does not use, taken out
(docs/capacity.md §6; measured with py-spy on `govbus process`, 20,000 work orders).

- ``RawBytes``: the raw topics' schema. Faust's default schema sends each key and value through
  its serializer registry (codec lookup, the ``raw`` codec, model checks) only to hand back the
  same bytes; the agent reads ``event.message`` anyway. Its compiled decode makes the event
  straight from the message: Faust's reads the app's ``Event`` setting per record (~1 µs through
  the settings registry).
- ``lean_producer_ebb``: before each record, Faust's conductor waits for its own producer's
  buffer to ebb, asking the buffer's size through the settings registry (~0.7 µs). The
  processor sends nothing through Faust's producer (stream_processors/output.py): the buffer is
  asked only when it holds something.
- ``LeanMonitor``: Faust always installs a Monitor sensor, which per record counts by topic,
  stream and task (building a dict per event), stamps times on the message and appends to a
  deque: statistics for Faust's web views, which the processor turns off (its metrics are
  govbus's own). Kept: ``stream_inbound_time``, which the aiokafka driver reads to warn of a
  stalled stream, and everything not per record (commits, assignments, send statistics).
- ``use_event_loop``: Faust's per-message work is mostly small tasks, futures and callbacks on
  the event loop; uvloop runs them in C (``mode.loop.use``, the way Faust's own ``-L uvloop``
  does it). It must be chosen before any loop exists: first thing in ``run_processor``.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable
from time import monotonic
from typing import Any, Callable, Optional, cast

import faust
import mode.loop
from faust.sensors import Monitor
from faust.types import TP, AppT, EventT, Message, StreamT

log = logging.getLogger(__name__)


class RawBytes(faust.Schema):
    """Keys and values as the broker gave them (what ``raw`` serializers return, without the registry)."""

    def __init__(self) -> None:
        super().__init__(key_serializer="raw", value_serializer="raw")

    def loads_key(self, app: AppT, message: Message, *, loads: Optional[Callable] = None,
                  serializer: Any = None) -> Any:
        return message.key

    def loads_value(self, app: AppT, message: Message, *, loads: Optional[Callable] = None,
                    serializer: Any = None) -> Any:
        return message.value

    def compile(self, app: AppT, **_handlers: Any) -> Callable[..., Awaitable[EventT]]:
        """Faust's ``Schema.compile`` for raw bytes: no decode error is possible, so no handler
        is called; the event class is read from the app's settings once, not per record."""
        # The setting is typed as a special form; its value is the event class.
        make_event: Callable[..., EventT] = functools.partial(cast(Callable[..., EventT], app.conf.Event), app)

        async def decode(message: Message, *, propagate: bool = False) -> EventT:
            return make_event(message.key, message.value, message.headers, message)
        return decode


class LeanMonitor(Monitor):
    """Faust's Monitor without its per-record statistics (see the module's docstring)."""

    def on_message_in(self, tp: TP, offset: int, message: Message) -> None:
        return None

    def on_stream_event_in(self, tp: TP, offset: int, stream: StreamT, event: EventT) -> Optional[dict]:
        self.stream_inbound_time[tp] = monotonic()  # read by the driver's stalled-stream warning
        return None

    def on_stream_event_out(self, tp: TP, offset: int, stream: StreamT, event: EventT,
                            state: Optional[dict] = None) -> None:
        return None

    def on_message_out(self, tp: TP, offset: int, message: Message) -> None:
        return None


def lean_producer_ebb(app: AppT) -> None:
    """The conductor's wait for Faust's producer buffer, asked only when the buffer holds
    something (the buffer's own ``size`` reads the settings per call)."""
    if app.conf.producer_threaded:  # the size is then another queue's: leave Faust's check as it is
        return
    buffer = app.producer.buffer
    pending, wait_until_ebb = buffer.pending, buffer.wait_until_ebb

    async def lean_wait_until_ebb() -> None:
        if pending.qsize():
            await wait_until_ebb()
    buffer.wait_until_ebb = lean_wait_until_ebb  # type: ignore[method-assign]


def use_event_loop(kind: str) -> None:
    """Make ``kind`` ("uvloop" or "asyncio") the loop every later ``asyncio`` loop is made with;
    without uvloop installed (an environment not reinstalled since it became a dependency), the
    standard loop, with one line saying so."""
    if kind != "uvloop":
        return
    try:
        mode.loop.use("uvloop")
    except ImportError:
        log.warning("uvloop is not installed: the processor runs on asyncio's own loop (slower); "
                    "pip install the project again, or set GOVBUS_PROCESSOR_EVENT_LOOP=asyncio",
                    extra={"event": "event_loop_fallback"})
