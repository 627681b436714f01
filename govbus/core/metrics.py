"""Prometheus metrics: one registry per process, served on /metrics, names in base units.

The families are THE METRICS CONTRACT of issue 17 (docs/architecture.md#metrics): the alert
rules and dashboards under deploy/monitoring query them by these exact names and labels.
prometheus_client appends ``_total`` to counters. Labels never hold personal data: datasets,
departments, recipients, agreement ids, reason codes, field *names*, topics.
"""
from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

# Event time → stage: from well under a second (a live bus) to hours (a backlog, a batch import).
FRESHNESS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600, 21600, 86400)

# The ``role`` label of each role (and the name of its service-discovery file), by the name the
# role gives its outage watch (govbus.core.probes.start_role_health).
ROLE_LABELS = {"processor": "process", "process": "process", "detector": "detect", "detect": "detect",
               "sink": "sink", "audit sink": "audit-sink", "audit-sink": "audit-sink", "feed": "feed",
               "ingest": "ingest", "import": "import", "sql producer": "sql-producer",
               "sql-producer": "sql-producer"}


def role_label(role: str) -> str:
    """The contract's ``role`` label value of a role named ``role`` in its log lines."""
    return ROLE_LABELS.get(role, role.replace(" ", "-"))


@dataclass(frozen=True)
class Metrics:
    registry: CollectorRegistry
    records: Counter
    dlq_records: Counter
    deliveries: Counter
    freshness: Histogram
    consumer_lag: Gauge
    consumer_lag_seconds: Gauge
    agreements_active: Gauge
    agreement_expiry: Gauge
    pii_untagged: Counter


def new_metrics() -> Metrics:
    """A fresh registry with govbus's shared families (docs/architecture.md#metrics). Families of
    one role only (audit chain, incidents, ingest requests) are registered by that role; role
    readiness and outages by govbus.core.health_server's collector."""
    reg = CollectorRegistry()
    return Metrics(
        registry=reg,
        records=Counter("govbus_records", "Records handled, by stage, dataset, department and outcome.",
                        ["stage", "dataset", "department", "outcome"], registry=reg),
        dlq_records=Counter("govbus_dlq_records", "Records sent to a dead-letter topic, by the stage that "
                            "refused them, dataset, owning department and reason code.",
                            ["stage", "dataset", "department", "reason"], registry=reg),
        deliveries=Counter("govbus_deliveries", "Masked copies delivered to a recipient.",
                           ["recipient", "dataset", "agreement"], registry=reg),
        freshness=Histogram("govbus_freshness_seconds", "Event time to this stage: delivered (the "
                            "processor wrote the recipient's copy) or stored (a pool sink committed it).",
                            ["stage", "dataset", "recipient"], buckets=FRESHNESS_BUCKETS, registry=reg),
        consumer_lag=Gauge("govbus_consumer_lag_records", "High watermark minus the consumer's committed "
                           "(or stored) offset, per partition it owns.",
                           ["role", "group", "topic", "partition"], registry=reg),
        consumer_lag_seconds=Gauge("govbus_consumer_lag_seconds", "Age of the oldest record not processed "
                                   "yet, an upper bound (0 when caught up); see docs/architecture.md#metrics.",
                                   ["role", "group", "topic"], registry=reg),
        agreements_active=Gauge("govbus_agreements_active", "Sharing agreements in force now (active "
                                "status, within validity, valid file).", registry=reg),
        agreement_expiry=Gauge("govbus_agreement_expiry_seconds", "Seconds until the agreement's validity "
                               "ends (negative once past).", ["agreement", "recipient"], registry=reg),
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
