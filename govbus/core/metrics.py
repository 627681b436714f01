"""Prometheus metrics: one registry per process, served on /metrics, names in base units."""
from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    records: Counter
    dlq_records: Counter
    deliveries: Counter
    stage_latency: Histogram
    consumer_lag: Gauge
    agreements_active: Gauge
    pii_untagged: Counter


def new_metrics() -> Metrics:
    """A fresh registry with govbus's families (docs/architecture.md#metrics)."""
    reg = CollectorRegistry()
    return Metrics(
        registry=reg,
        records=Counter("govbus_records", "Records handled, by stage, dataset, department and outcome.",
                        ["stage", "dataset", "department", "outcome"], registry=reg),
        dlq_records=Counter("govbus_dlq_records", "Records sent to a dead-letter topic.",
                            ["dataset", "reason"], registry=reg),
        deliveries=Counter("govbus_deliveries", "Masked copies delivered to a recipient.",
                           ["recipient", "dataset", "agreement"], registry=reg),
        stage_latency=Histogram("govbus_stage_latency_seconds", "Event time to this stage.",
                                ["stage", "dataset"], buckets=LATENCY_BUCKETS, registry=reg),
        consumer_lag=Gauge("govbus_consumer_lag_records", "End offset minus committed offset.",
                           ["group", "topic", "partition"], registry=reg),
        agreements_active=Gauge("govbus_agreements_active", "Sharing agreements in force.", registry=reg),
        # Labels are schema field names and detector kinds, never values (no personal data).
        pii_untagged=Counter("govbus_pii_found_in_untagged_field",
                             "Identifiers found (and masked) in a field delivered in clear whose "
                             "PII tag is not their kind, e.g. a phone typed into address.",
                             ["dataset", "field", "kind"], registry=reg),
    )


def serve_metrics(metrics: Metrics, host: str, port: int) -> int | None:
    """Serve /metrics; port 0 picks a free one, -1 serves nothing. Returns the bound port."""
    if port < 0:
        return None
    server, _thread = start_http_server(port, addr=host, registry=metrics.registry)
    return server.server_port
