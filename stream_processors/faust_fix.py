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
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable

import faust
from faust.tables.recovery import Recovery

from govbus.core.logs import use_format

_PATCHED = "_govbus_seek_before_resume"


def _stop_flow_first(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def wrapper(self: Recovery, *args: Any, **kwargs: Any) -> Any:
        self.app.flow_control.suspend()
        self.app.consumer.stop_flow()
        return await method(self, *args, **kwargs)

    setattr(wrapper, _PATCHED, True)
    return wrapper


def seek_before_resume() -> None:
    """Patch Recovery once per process (idempotent)."""
    for name in ("_resume_streams", "on_recovery_completed"):
        method = getattr(Recovery, name)
        if not getattr(method, _PATCHED, False):
            setattr(Recovery, name, _stop_flow_first(method))


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
