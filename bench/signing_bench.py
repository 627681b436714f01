"""What signing deliveries costs the processor's pipeline, in one process, in CPU time.

The processor's own work for each input record (decode, clean, route, mask for three agreements,
encode three deliveries and three audit events) with signing off, with batch signing (one
Ed25519 signature per shared topic per batch of 500 over a Merkle tree: what `govbus process`
does), and with one signature per delivery (the first design). Rounds alternate the three;
medians of CPU seconds (``time.process_time``) are reported as records per CPU-second and as a
ratio to signing off. Faust and librdkafka are not in it, so the ratio is a floor: in the whole
processor the same signing cost is a smaller share (`bench.processor_bench --compare-signing`
measures that, on the wall clock).

    python -m bench.signing_bench [--records 5000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import statistics
import time

from confluent_kafka.schema_registry import SchemaRegistryClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench import entry
from bench.processor_bench import DATASET, bench_records
from govbus.core.agreements import AGREEMENTS_DIR
from govbus.core.catalogue import load_catalogue
from govbus.core.deadletter import Origin, load_bus_schema, load_dead_letter_schema
from govbus.core.metrics import new_metrics
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings
from govbus.core.signing import Signable, SigningKey, sign_deliveries
from govbus.core.topics import TopicNames, value_subject
from stream_processors.agreement_book import AgreementBook
from stream_processors.clean.dedup import SeenEvents
from stream_processors.pipeline import Pipeline
from stream_processors.route.logic import audit_key

BATCH = 500  # stream_processors/app.py BATCH_SIZE
MODES = ("off", "batch", "per-delivery")


def new_pipeline(settings: GovbusSettings) -> Pipeline:
    schemas = load_schemas(settings.schemas_dir)
    book = AgreementBook(settings.catalogue_dir / AGREEMENTS_DIR, load_catalogue(settings.catalogue_dir),
                         schemas, b"bench-key")
    pipeline = Pipeline(Serde(SchemaRegistryClient.new_client({"url": f"mock://{id(object())}"})), TopicNames(""),
                        schemas, book, new_metrics(), load_dead_letter_schema(settings.schemas_dir),
                        load_bus_schema(settings.schemas_dir, "govbus.bus.AuditDelivery"), audit_key(b"bench-key"),
                        SeenEvents(600, 1_000_000))
    pipeline.prepare()
    return pipeline


def one_round(pipeline: Pipeline, origins: list[Origin], mode: str, key: SigningKey) -> float:
    """CPU seconds to process every origin, batch by batch, as the agent does."""
    pipeline.signing_key = None if mode == "off" else key
    pipeline.seen = SeenEvents(600, 1_000_000)  # every round sees the records as new
    started = time.process_time()
    for start in range(0, len(origins), BATCH):
        outs = [out for origin in origins[start:start + BATCH] for out in pipeline.process(origin)]
        pipeline.flush_metrics()
        if mode == "batch":
            pipeline.sign(outs)
        elif mode == "per-delivery":
            for out in outs:
                if out.sign_as is not None:
                    sign_deliveries(key, [Signable(out.topic, out.key, out.value, *out.sign_as)])
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    pipeline = new_pipeline(GovbusSettings())
    raw = pipeline.topics.raw(DATASET)
    records = bench_records(pipeline.schemas[DATASET], args.records)
    origins = [Origin(raw, 0, n, r["order_no"].encode(), pipeline.serde.encode(value_subject(raw), r))
               for n, r in enumerate(records)]
    key = SigningKey.of(Ed25519PrivateKey.generate())
    seconds: dict[str, list[float]] = {mode: [] for mode in MODES}
    for n in range(args.repeat):
        order = MODES if n % 2 == 0 else tuple(reversed(MODES))
        for mode in order:
            seconds[mode].append(one_round(pipeline, origins, mode, key))
        print("round: " + "  ".join(f"{m} {args.records / seconds[m][-1]:,.0f}/CPU-s" for m in MODES), flush=True)
    off = args.records / statistics.median(seconds["off"])
    for mode in MODES:
        rate = args.records / statistics.median(seconds[mode])
        print(f"{mode:13} median {rate:,.0f} input records per CPU-second  ratio to off {rate / off:.2f}  "
              f"{[round(args.records / s) for s in seconds[mode]]}")


if __name__ == "__main__":
    entry.run(main)
