"""Side (f) of the processor benchmark: the floor of govbus's runtime.

`govbus process`'s own Faust app, built by the same ``build_app`` (lean monitor, raw bytes,
batches of ``BATCH_SIZE`` through ``noack_take``, one confluent-kafka producer, the flush that
holds each batch's acknowledgement while the next is processed, the event loop
GOVBUS_PROCESSOR_EVENT_LOOP names, the heap settled at the first batch, Faust's fetch and
buffer sizes), with a pipeline that forwards each input's bytes unchanged to one
output: no decode, no cleaning, routing, masking, encoding or signing. Its rate is the most
`govbus process` could reach while Faust's consumer stays its runtime (issue 18): what govbus
does per record can only add to this side's CPU per input.

Run as: python -m bench.faust_floor <raw topic> <out topic> <group id>
(endpoints and identity from GOVBUS_BOOTSTRAP_SERVERS / GOVBUS_KAFKA_*, as the other sides).
"""
from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from confluent_kafka import Producer

from govbus.core.deadletter import Origin
from govbus.core.metrics import Metrics, new_metrics
from govbus.core.outage import Service
from govbus.core.probes import start_role_health
from govbus.core.settings import GovbusSettings, kafka_config
from stream_processors.app import build_app
from stream_processors.faust_fix import QuietWorker
from stream_processors.faust_group import worker_state_dir
from stream_processors.faust_lean import use_event_loop
from stream_processors.output import OUTAGE_CONFIG, OutputProducer
from stream_processors.pipeline import OutMessage, Pipeline


@dataclass
class ForwardPipeline:
    """What the agent asks of a ``Pipeline``, doing nothing but forwarding the input's bytes."""

    out_topic: str
    metrics: Metrics = field(default_factory=new_metrics)

    def process(self, origin: Origin) -> list[OutMessage]:
        return [OutMessage(self.out_topic, origin.key, origin.value)]

    def sign(self, outs: list[OutMessage]) -> list[OutMessage]:
        return outs

    def flush_metrics(self) -> None:
        """Nothing counted: the floor has no per-record metrics."""

    def reload_agreements(self) -> bool:
        return False

    def refresh_agreement_gauges(self, now: datetime) -> None:
        return None


def main(raw_topic: str, out_topic: str, group: str) -> None:
    settings = GovbusSettings(processor_group=group, state_dir=Path(tempfile.gettempdir()) / group)  # type: ignore[call-arg]
    worker_state_dir(settings, "processor").mkdir(parents=True, exist_ok=True)  # Faust makes only the last level
    use_event_loop(settings.processor_event_loop)
    pipeline = ForwardPipeline(out_topic)
    health = start_role_health(settings, "processor", pipeline.metrics.registry, (Service.BROKER,))
    output = OutputProducer(Producer(kafka_config(settings, "producer", **OUTAGE_CONFIG)))
    lag: dict[str, Any] = {"lag_known": False}
    app = build_app(settings, cast(Pipeline, pipeline), [raw_topic], output, health, lag)
    QuietWorker(app, loglevel="WARNING", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main(*sys.argv[1:4])
