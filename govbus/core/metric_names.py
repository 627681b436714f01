"""THE METRICS CONTRACT of issue 17 as data: the series names the roles export, which the
dashboards (commands/dashboards), the alert rules (deploy/monitoring/alerts.yml) and `govbus
status` may use, and a reader of the metric names in a PromQL expression to check them against.

Names are as Prometheus stores them: prometheus_client appends ``_total`` to a counter, and a
histogram is stored as ``_bucket``, ``_sum`` and ``_count`` series. Labels are in the comments;
they never hold personal data. Changing a name here is changing the contract: the dashboards'
check (tests/unit/commands/dashboards) fails until every query follows.
"""
from __future__ import annotations

import re

# One entry per family, as the series name Prometheus sees (counters with their _total).
CONTRACT_METRICS: tuple[str, ...] = (
    "govbus_records_total",                        # {stage,dataset,department,outcome}
    "govbus_dlq_records_total",                    # {stage,dataset,department,reason}
    "govbus_deliveries_total",                     # {recipient,dataset,agreement}
    "govbus_freshness_seconds",                    # histogram {stage,dataset,recipient}
    "govbus_consumer_lag_records",                 # {role,group,topic,partition}
    "govbus_consumer_lag_seconds",                 # {role,group,topic}
    "govbus_role_ready",                           # {role}
    "govbus_outage",                               # {role,dependency}
    "govbus_dependency_errors_total",              # {role,dependency}
    "govbus_agreements_active",                    # no labels
    "govbus_agreement_expiry_seconds",             # {agreement,recipient}
    "govbus_audit_chain_length",                   # {pool}
    "govbus_audit_verify_ok",                      # {pool}
    "govbus_audit_verify_timestamp_seconds",       # {pool}
    "govbus_audit_checkpoint_timestamp_seconds",   # {pool}
    "govbus_incidents_open",                       # {grade,state}
    "govbus_incident_unacknowledged_age_seconds",  # {grade}
    "govbus_ingest_requests_total",                # {dataset,department,status}
    "govbus_ingest_refused_records_total",         # {dataset,department,reason}: 422, not dead-lettered
    "govbus_pii_found_in_untagged_field_total",    # {dataset,field,kind}
    # quality-score lane (issue 19, stream_processors/quality/metrics.py)
    "govbus_quality_validity_ratio",               # {department,dataset}: latest closed event-time hour
    "govbus_quality_completeness_ratio",           # {department,dataset}: latest closed event-time hour
    "govbus_quality_scorecards_total",             # {department,dataset,granularity}
    "govbus_quality_records_total",                # {dataset,outcome}
    # console-places (issue 20): the feed's webhook notifications (consumers/feed/webhooks.py).
    "govbus_webhook_deliveries_total",             # {webhook,outcome=delivered|failed|refused}
    "govbus_webhook_retries_total",                # {webhook}
)

HISTOGRAMS: tuple[str, ...] = ("govbus_freshness_seconds",)

# Series Prometheus makes itself for every scrape target (not exported by a role).
PROMETHEUS_SERIES: tuple[str, ...] = ("up", "scrape_duration_seconds", "ALERTS")

# The broker's own metrics, where an exporter publishes them (the under-replicated partitions
# alert): names of the exporter (Strimzi's JMX exporter rules, commands/render/monitoring.py),
# not of govbus. The local stack exports none.
BROKER_SERIES: tuple[str, ...] = ("kafka_server_replicamanager_underreplicatedpartitions",)

# Series the rules of deploy/monitoring/alerts.yml record themselves (`record:`), from the above:
# the p95 freshness and the per-dataset freshness thresholds of GovbusFreshnessSlow.
RECORDED_SERIES: tuple[str, ...] = ("govbus:freshness_seconds:p95_10m", "govbus:freshness_threshold_seconds")

# The alerts of deploy/monitoring/alerts.yml; each has a section `### <name>` in
# docs/operations.md, linked as docs/operations.md#<name lowercased>.
ALERTS: tuple[str, ...] = (
    "GovbusRoleDown", "GovbusRoleNotReady", "GovbusConsumerLagGrowing", "GovbusFreshnessSlow",
    "GovbusDeadLettersAboveUsual", "GovbusSinkDeadLetter", "GovbusAuditVerifyFailed",
    "GovbusAuditCheckpointStale", "GovbusAgreementExpiringSoon", "GovbusIncidentUnacknowledged",
    "GovbusUnderReplicatedPartitions", "GovbusRegistryUnreachable",
    "GovbusQualityValidityDropped",
    "GovbusWebhookFailing",
)

# The `role` label (file_sd targets) and the roles that serve /metrics.
ROLES: tuple[str, ...] = ("process", "detect", "sink", "audit-sink", "feed", "ingest", "import", "sql-producer",
                          "quality")


def contract_series() -> frozenset[str]:
    """Every series name a query may use: the families, a histogram's three series (a
    histogram's bare name is not a series), Prometheus's own, the broker's and the recorded ones."""
    names = set(CONTRACT_METRICS) - set(HISTOGRAMS)
    for histogram in HISTOGRAMS:
        names.update(f"{histogram}{suffix}" for suffix in ("_bucket", "_sum", "_count"))
    return frozenset(names | set(PROMETHEUS_SERIES) | set(BROKER_SERIES) | set(RECORDED_SERIES))


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+")
_IDENTIFIER = re.compile(r"(?<![\w.:])([A-Za-z_:][\w:]*)(\s*\()?")
_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and",
                       "or", "unless", "offset", "atan2", "inf", "nan"})


def metric_names_in(expr: str) -> frozenset[str]:
    """The metric (series) names a PromQL expression selects: identifiers that are not a
    function call, a keyword, a label inside ``{…}`` or a grouping clause, a number or a
    duration. Grafana variables (``$__rate_interval``, ``${role}``) are dropped first."""
    text = _VARIABLE.sub(" ", _STRING.sub('""', expr))
    while True:  # matchers first (they may hold `by` in a value), then groupings
        stripped = _GROUPING.sub(" ", _RANGE.sub(" ", _MATCHERS.sub(" ", text)))
        if stripped == text:
            break
        text = stripped
    names = set()
    for match in _IDENTIFIER.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in _KEYWORDS:
            continue
        names.add(name)
    return frozenset(names)


def unknown_names(expr: str) -> frozenset[str]:
    """The names ``expr`` selects that the contract does not have."""
    return metric_names_in(expr) - contract_series()
