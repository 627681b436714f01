"""The Grafana boards of the bus: one overview and one per role (issue 17, docs/operations.md#dashboards).

Every query names only series of THE METRICS CONTRACT (govbus/core/metric_names.py) and the
``role`` / ``instance_name`` labels the file_sd targets give every series of a role;
tests/unit/commands/dashboards checks both and that deploy/monitoring/dashboards/ is this
module's render.
"""
from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard, DatasourceVariable, Row
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models.dashboard import Panel

from commands.dashboards.panels import FULL, HALF, QUARTER, THIRD, count, graph, listing, up_down

RATE = "$__rate_interval"
THIRTY_DAYS = 30 * 86400


def _board(uid: str, title: str, rows: list[tuple[str, list[Builder[Panel]]]]) -> Dashboard:
    board = (Dashboard(title).uid(uid).tags(["govbus"]).refresh("30s").time("now-6h", "now")
             .timezone("utc").editable()
             .with_variable(DatasourceVariable("datasource").label("Prometheus").type("prometheus")))
    panel_id = 0
    for row_title, panels in rows:  # ids unique within the board, in reading order
        panel_id += 1
        board = board.with_row(Row(row_title).id(panel_id))
        for panel in panels:
            panel_id += 1
            board = board.with_panel(panel.id(panel_id))  # type: ignore[attr-defined]
    return board


def _health(selector: str) -> list[Builder[Panel]]:
    """Is each instance scraped, ready, waiting out an outage, failing its dependencies."""
    return [
        up_down("Scraped (up)", f"min by (role, instance_name) (up{selector})", "{{role}} {{instance_name}}",
                width=QUARTER, description="0: Prometheus cannot reach the role's /metrics (GovbusRoleDown)."),
        up_down("Ready (/readyz)", f"min by (role, instance_name) (govbus_role_ready{selector})",
                "{{role}} {{instance_name}}", width=QUARTER,
                description="What /readyz says: every service the role needs answers and its lag is known."),
        count("Waiting out an outage", f"max by (role, dependency) (govbus_outage{selector})",
              "{{role}} {{dependency}}", width=QUARTER),
        graph("Dependency errors",
              f"sum by (role, dependency) (rate(govbus_dependency_errors_total{selector}[{RATE}]))",
              "{{role}} {{dependency}}", "cps", width=QUARTER),
    ]


def _lag(selector: str) -> list[Builder[Panel]]:
    return [
        graph("Consumer lag (records)", f"sum by (role, group, topic) (govbus_consumer_lag_records{selector})",
              "{{role}} {{topic}}", "short"),
        graph("Consumer lag (age of the oldest unprocessed record)",
              f"max by (role, group, topic) (govbus_consumer_lag_seconds{selector})", "{{role}} {{topic}}", "s"),
    ]


def _freshness_p95(stage: str = "") -> str:
    selector = f'{{stage="{stage}"}}' if stage else ""
    return ("histogram_quantile(0.95, sum by (le, dataset, stage) "
            f"(rate(govbus_freshness_seconds_bucket{selector}[{RATE}])))")


def _dead_letters(selector: str) -> list[Builder[Panel]]:
    return [
        graph("Dead letters by department and reason",
              f"sum by (department, reason) (rate(govbus_dlq_records_total{selector}[{RATE}]))",
              "{{department}} {{reason}}", "cps"),
        listing("Dead letters in the last hour",
                f"sum by (department, stage, reason) (increase(govbus_dlq_records_total{selector}[1h])) > 0", "short"),
    ]


def _incidents() -> list[Builder[Panel]]:
    return [
        # The detector and the feed may both export it: add a role's instances, then take either view.
        count("Open incidents by grade", "max by (grade) (sum by (role, grade) (govbus_incidents_open))",
              "{{grade}}", red_from=None, width=HALF),
        count("Oldest unacknowledged incident", "max by (grade) (govbus_incident_unacknowledged_age_seconds)",
              "{{grade}}", unit="s", red_from=300, width=HALF,
              description="Red from 5 minutes (GovbusIncidentUnacknowledged fires for grades I and II)."),
    ]


def _audit() -> list[Builder[Panel]]:
    return [
        up_down("Audit chain verifies", "min by (pool) (govbus_audit_verify_ok)", "{{pool}}", width=QUARTER),
        count("Events in the chain", "max by (pool) (govbus_audit_chain_length)", "{{pool}}", red_from=None),
        count("Since the last verification", "time() - max by (pool) (govbus_audit_verify_timestamp_seconds)",
              "{{pool}}", unit="s", red_from=3600),
        count("Since the last anchored checkpoint",
              "time() - max by (pool) (govbus_audit_checkpoint_timestamp_seconds)", "{{pool}}", unit="s",
              red_from=3600),
    ]


def _agreements() -> list[Builder[Panel]]:
    return [
        count("Agreements in force", "max(govbus_agreements_active)", "", red_from=None, width=THIRD),
        listing("Agreements expiring within 30 days",
                f"min by (agreement, recipient) (govbus_agreement_expiry_seconds) < {THIRTY_DAYS}", "s",
                width=2 * THIRD),
    ]


def overview() -> Dashboard:
    """Health of every role, lag, freshness, deliveries, dead letters, incidents, agreements, audit."""
    return _board("govbus-overview", "govbus: overview", [
        ("Roles", _health('{role!=""}')),
        ("Consumer lag", _lag("")),
        ("Freshness and traffic", [
            graph("Freshness p95 by dataset and stage", _freshness_p95(), "{{dataset}} {{stage}}", "s", width=FULL,
                  description="Event time to the recipient's copy (delivered) and to its pool (stored)."),
            graph("Deliveries by recipient", f"sum by (recipient) (rate(govbus_deliveries_total[{RATE}]))",
                  "{{recipient}}", "cps"),
            graph("Records by stage and outcome", f"sum by (stage, outcome) (rate(govbus_records_total[{RATE}]))",
                  "{{stage}} {{outcome}}", "cps"),
        ]),
        ("Dead letters", _dead_letters("")),
        ("Incidents and agreements", _incidents() + _agreements()),
        ("Audit chain", _audit()),
    ])
