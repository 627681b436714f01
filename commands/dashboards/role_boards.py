"""One board per role that serves /metrics: its health, its lag and the questions of its own work."""
from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models.dashboard import Panel

from commands.dashboards.boards import RATE, _audit, _board, _dead_letters, _freshness_p95, _health, _incidents, _lag
from commands.dashboards.panels import FULL, HALF, graph


def _of(role: str) -> str:
    return f'{{role="{role}"}}'


def _records(selector: str, by: str) -> Builder[Panel]:
    return graph("Records by outcome", f"sum by ({by}) (rate(govbus_records_total{selector}[{RATE}]))",
                 "{{" + "}} {{".join(part.strip() for part in by.split(",")) + "}}", "cps")


def process() -> Dashboard:
    s = _of("process")
    return _board("govbus-role-process", "govbus: process (stream processor)", [
        ("Health", _health(s)), ("Consumer lag", _lag(s)),
        ("Work", [
            _records(s, "stage, dataset, outcome"),
            graph("Deliveries by recipient and agreement",
                  f"sum by (recipient, agreement) (rate(govbus_deliveries_total{s}[{RATE}]))",
                  "{{recipient}} {{agreement}}", "cps"),
            graph("Freshness p95 at delivery", _freshness_p95("delivered"), "{{dataset}}", "s"),
            graph("Identifiers found in untagged fields",
                  f"sum by (dataset, field, kind) (rate(govbus_pii_found_in_untagged_field_total{s}[{RATE}]))",
                  "{{dataset}}.{{field}} {{kind}}", "cps"),
        ]),
        ("Dead letters", _dead_letters(s)),
    ])


def detect() -> Dashboard:
    s = _of("detect")
    return _board("govbus-role-detect", "govbus: detect (emergency detector)", [
        ("Health", _health(s)), ("Consumer lag", _lag(s)), ("Incidents", _incidents()),
    ])


def sink() -> Dashboard:
    s = _of("sink")
    return _board("govbus-role-sink", "govbus: sink (pool sinks)", [
        ("Health", _health(s)), ("Consumer lag", _lag(s)),
        ("Work", [
            _records(s, "dataset, outcome"),
            graph("Freshness p95 to the pool", _freshness_p95("stored"), "{{dataset}}", "s"),
        ]),
        ("Dead letters (records a pool refused)", _dead_letters('{stage="sink"}')),
    ])


def audit_sink() -> Dashboard:
    s = _of("audit-sink")
    return _board("govbus-role-audit-sink", "govbus: audit-sink (audit chain)", [
        ("Health", _health(s)), ("Consumer lag", _lag(s)), ("Audit chain", _audit()),
    ])


def feed() -> Dashboard:
    s = _of("feed")
    return _board("govbus-role-feed", "govbus: feed (emergency feed)", [
        ("Health", _health(s)), ("Incidents", _incidents()),
    ])


def ingest() -> Dashboard:
    s = _of("ingest")
    return _board("govbus-role-ingest", "govbus: ingest (HTTP ingest)", [
        ("Health", _health(s)),
        ("Requests", [
            graph("Requests by status", f"sum by (status) (rate(govbus_ingest_requests_total{s}[{RATE}]))",
                  "{{status}}", "reqps"),
            graph("Requests by department and dataset",
                  f"sum by (department, dataset) (rate(govbus_ingest_requests_total{s}[{RATE}]))",
                  "{{department}} {{dataset}}", "reqps"),
            graph("Refused requests (4xx, 5xx) by department",
                  "sum by (department, status) "
                  f'(rate(govbus_ingest_requests_total{{role="ingest",status=~"[45].."}}[{RATE}]))',
                  "{{department}} {{status}}", "reqps", width=FULL),
        ]),
    ])


ROLE_BOARDS = {"process": process, "detect": detect, "sink": sink, "audit-sink": audit_sink, "feed": feed,
               "ingest": ingest}
__all__ = ["HALF", "ROLE_BOARDS"]
