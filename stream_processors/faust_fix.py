"""A workaround for a race in faust-streaming 0.15.3's table recovery
(recorded in docs/findings.md#faust-streaming-0153).

After recovering tables, ``Recovery._resume_streams`` and ``Recovery.on_recovery_completed``
resume the stream partitions first and seek them to their committed offsets second, while
the consumer's flow is already running (tables/recovery.py). Records fetched in between are
delivered, then fetched again after the seek; measured here on a restart with a backlog:
duplicates on every raw topic and, in about one start in three, one partition never delivered
again (its offsets stayed behind until the next restart). Duplicates the detector absorbs; a
silent stall it cannot.

The fix stops the flow before either method runs; both resume it themselves after the seek,
so nothing is fetched from a stream partition until it has been sought. Records already
buffered are dropped by the stop and fetched again from the committed offset: at-least-once,
as before.

That refetch did not happen for a partition the group has never committed (nor for one committed
at 0): ``Consumer.perform_seek`` seeks through aiokafka's ``seek_to_committed``, which seeks only
to a committed offset above 0 and leaves any other partition where its fetcher stopped. Records
fetched while the flow was stopped ("getmany called while flow not active") were then dropped
and never fetched again: seen when a detector worker was killed and the survivor took over a
partition whose first records arrived in between (tests/integration/stream_processors/detect/
test_detect_workers.py, 4 runs of 12 with one record left behind for good). The second patch
seeks such stream partitions to offset 0, i.e. their beginning, which is what the consumer's reset
policy (``earliest``, Faust's default and govbus's) gives a partition with no committed offset.
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable

import faust
from aiokafka.errors import IllegalStateError  # type: ignore[import-untyped]
from faust.tables.recovery import Recovery
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

from govbus.core.logs import use_format

log = logging.getLogger(__name__)
_PATCHED = "_govbus_seek_before_resume"


def _stop_flow_first(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def wrapper(self: Recovery, *args: Any, **kwargs: Any) -> Any:
        self.app.flow_control.suspend()
        self.app.consumer.stop_flow()
        return await method(self, *args, **kwargs)

    setattr(wrapper, _PATCHED, True)
    return wrapper


def uncommitted_streams(committed: dict[Any, int | None], changelogs: set[str]) -> list[Any]:
    """The stream partitions of ``committed`` (partition → committed offset, as aiokafka's
    ``seek_to_committed`` answers) that it did not seek: none committed, or committed at 0.
    Changelog partitions are the recovery's to seek (it never commits them)."""
    return [tp for tp, offset in committed.items() if not offset and tp.topic not in changelogs]


def _rewind_uncommitted(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def wrapper(self: AIOKafkaConsumerThread) -> Any:
        committed = await method(self)
        if self.app.conf.consumer_auto_offset_reset == "earliest":
            fresh = uncommitted_streams(committed, self.app.tables.changelog_topics)
            if fresh:
                log.info("seeking %d uncommitted stream partitions to their beginning", len(fresh))
            consumer = self._ensure_consumer()
            for tp in fresh:
                # Offset 0 (a log starting past it is reset to its beginning by the `earliest`
                # policy on the first fetch), not seek_to_beginning, which waits for an offset
                # look-up: tried first, once it held the consumer thread while the recovery had
                # the streams paused, and no changelog record arrived for the rest of the test.
                try:
                    consumer.seek(tp, 0)
                except IllegalStateError:  # revoked meanwhile: the next assignment seeks again
                    pass
        return committed

    setattr(wrapper, _PATCHED, True)
    return wrapper


def seek_before_resume() -> None:
    """Patch Recovery and the consumer's seek once per process (idempotent)."""
    for name in ("_resume_streams", "on_recovery_completed"):
        method = getattr(Recovery, name)
        if not getattr(method, _PATCHED, False):
            setattr(Recovery, name, _stop_flow_first(method))
    if not getattr(AIOKafkaConsumerThread.seek_to_committed, _PATCHED, False):
        AIOKafkaConsumerThread.seek_to_committed = _rewind_uncommitted(  # type: ignore[method-assign]
            AIOKafkaConsumerThread.seek_to_committed)


class QuietWorker(faust.Worker):
    """A Faust worker that leaves the root logger at the level asked for. faust-streaming 0.15.3
    always makes a terminal spinner, and its handler sets the root logger to DEBUG
    (``Worker._setup_spinner_handler``), so every debug line of aiokafka and Faust (two per message
    sent, with the message's repr) was built, formatted and filtered before the WARNING handler
    dropped it: a large share of the detector's CPU. Without the spinner nothing changes the level."""

    # The role's log format (govbus.core.logs), set by whoever starts the worker.
    log_format = "text"
    role = "process"

    def on_setup_root_logger(self, logger: logging.Logger, level: int) -> None:
        self.spinner = None
        super().on_setup_root_logger(logger, level)
        use_format(logger.handlers, self.log_format, self.role)
