"""Bytes per record, for the capacity model (docs/capacity.md).

``avro``: per dataset with a synthetic generator, the mean framed Avro value (5-byte frame +
body, envelope included) and key of ``--records`` clean generated records, as the SDK would
send them; no broker needed.

``disk``: per topic whose name starts with ``--prefix``, the messages it holds and the bytes
of its log segments in the broker's log directory (``--log-dir``; the local stack keeps them in
<stack dir>/kafka-data): bytes per message as stored, after the producers' lz4 compression and
with Kafka's batch and record headers. Run it on the prefix of a benchmark's topics.

    python -m bench.record_sizes avro [--records 2000]
    python -m bench.record_sizes disk --prefix bench_1234abcd --log-dir /tmp/dev/stack/kafka-data
"""
from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from confluent_kafka import Consumer, TopicPartition

from bench import entry
from commands.endpoints import with_endpoints
from govbus.core import identities
from govbus.core.records import coerce_record
from govbus.core.result import Fault
from govbus.core.serde import AvroBody
from govbus.core.settings import GovbusSettings, kafka_config
from producers.sdk import Source, envelope_for
from producers.synthetic.generate import GENERATORS, project_schemas, records


def avro_sizes(count: int) -> None:
    schemas = project_schemas()
    print(f"{'dataset':32} {'value B':>8} {'key B':>6}  (mean of {count} clean synthetic records, framed)")
    for dataset in sorted(GENERATORS):
        schema = schemas[dataset]
        body = AvroBody.of(schema.schema, 1)
        source = Source(dataset.split(".")[0], "city", "350100", "sizes")
        values, keys = [], []
        for record in records(dataset, count, seed=3, dirty=0.0):
            record = {k: v for k, v in record.items() if not k.startswith("_")}
            full = coerce_record(schema, record | {"envelope": envelope_for(schema, record, source)})
            if isinstance(full, Fault):
                continue
            values.append(len(body.framed(full.value)))
            keys.append(len(str(full.value.get(schema.key_field, "")).encode()))
        print(f"{dataset:32} {statistics.mean(values):8.0f} {statistics.mean(keys):6.0f}")


def disk_sizes(prefix: str, log_dir: Path) -> None:
    settings = with_endpoints(GovbusSettings(), identity=identities.ADMIN, start_stack=False)
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": "record-sizes"}))
    print(f"{'topic':72} {'messages':>9} {'bytes':>11} {'B/msg':>7}")
    try:
        topics = sorted(t for t in consumer.list_topics(timeout=10).topics if t.startswith(prefix))
        for topic in topics:
            meta = consumer.list_topics(topic, timeout=10).topics[topic]
            messages = 0
            for p in meta.partitions:
                low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                messages += high - low
            stored = sum(f.stat().st_size for p in meta.partitions
                         for f in (log_dir / f"{topic}-{p}").glob("*.log"))
            per = stored / messages if messages else 0
            print(f"{topic:72} {messages:9,} {stored:11,} {per:7.0f}")
    finally:
        consumer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["avro", "disk"])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--prefix", default="bench_")
    parser.add_argument("--log-dir", type=Path, default=None)
    args = parser.parse_args()
    if args.mode == "avro":
        avro_sizes(args.records)
    else:
        if args.log_dir is None:
            parser.error("disk needs --log-dir")
        disk_sizes(args.prefix, args.log_dir)


if __name__ == "__main__":
    entry.run(main)
