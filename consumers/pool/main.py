"""Wiring for ``govbus sink``: settings in, a pool sink running until SIGTERM or idle, with
/metrics, /healthz and /readyz on the metrics port (govbus.core.health_server)."""
from __future__ import annotations

import signal
import threading

from consumers.pool.sink import PoolSink, SinkSummary
from govbus.core.metrics import new_metrics
from govbus.core.outage import Service
from govbus.core.outage_watch import Stopped, ride_out
from govbus.core.probes import start_role_health, wait_for_broker
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings


def run_pool_sink(settings: GovbusSettings, recipient: str | None,
                  idle_exit_seconds: float | None = None) -> SinkSummary:
    """Sink ``recipient``'s shared topics (every recipient's when None) into the pools."""
    metrics = new_metrics()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # finish the batch in hand, then exit
    holder: list[PoolSink] = []
    health = start_role_health(settings, "sink", metrics.registry,
                               (Service.BROKER, Service.REGISTRY, Service.DATABASE), settings.pool_url,
                               lag_known=lambda: bool(holder) and holder[0].lag_known, instance=recipient)
    try:  # the broker or the pool database may be down at start: wait for them like for any outage
        wait_for_broker(settings, health, stop.is_set)  # a refused login stops here, with its line
        sink = ride_out(health.watch, lambda: PoolSink(settings, recipient, Serde.from_settings(settings),
                                                       metrics, health=health), stop.is_set, on_wait=health.beat)
    except Stopped:
        return SinkSummary()
    holder.append(sink)
    health.mark_started()
    return sink.run(stop, idle_exit_seconds=idle_exit_seconds)
