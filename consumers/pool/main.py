"""Wiring for ``govbus sink``: settings in, a pool sink running until SIGTERM or idle."""
from __future__ import annotations

import signal
import threading

from consumers.pool.sink import PoolSink, SinkSummary
from govbus.core.metrics import new_metrics, serve_metrics
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings


def run_pool_sink(settings: GovbusSettings, recipient: str | None,
                  idle_exit_seconds: float | None = None) -> SinkSummary:
    """Sink ``recipient``'s shared topics (every recipient's when None) into the pools."""
    metrics = new_metrics()
    serve_metrics(metrics, settings.metrics_host, settings.metrics_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # finish the batch in hand, then exit
    sink = PoolSink(settings, recipient, Serde.from_settings(settings), metrics)
    return sink.run(stop, idle_exit_seconds=idle_exit_seconds)
