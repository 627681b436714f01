"""The detector's Prometheus families, registered on the process registry
(``govbus.core.metrics.new_metrics().registry``) next to the shared ones."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge

from govbus.core.rules import Grade


@dataclass(frozen=True)
class DetectMetrics:
    incidents_open: Gauge
    evaluations: Counter
    late: Counter
    versions: Counter
    observations: Counter
    operator: Counter
    bad_messages: Counter

    def count_open(self, incidents: Iterable[dict[str, Any] | None]) -> None:
        """Set the open gauge from the incidents held in this worker's state."""
        counts = {g.value: 0 for g in Grade}
        for incident in incidents:
            if incident is not None and incident["state"] != "resolved":
                counts[incident["grade"]] += 1
        for grade, n in counts.items():
            self.incidents_open.labels(grade).set(n)


def detect_metrics(registry: CollectorRegistry) -> DetectMetrics:
    return DetectMetrics(
        incidents_open=Gauge("govbus_incidents_open",
                             "Incidents not yet resolved, by grade (this worker's partitions).",
                             ["grade"], registry=registry),
        evaluations=Counter("govbus_rule_evaluations", "Rule evaluations after a record, by rule and result "
                            "(hit, clear, duplicate).", ["rule", "result"], registry=registry),
        late=Counter("govbus_late_records", "Records later than the rule's allowed lateness: counted, not applied.",
                     ["rule", "dataset"], registry=registry),
        versions=Counter("govbus_incident_versions", "Incident versions published, by rule and state.",
                         ["rule", "state"], registry=registry),
        observations=Counter("govbus_rule_observations", "Records offered to a rule, by outcome (observed, "
                             "filtered, unkeyed, no_time, no_value, no_match).", ["rule", "outcome"],
                             registry=registry),
        operator=Counter("govbus_operator_commands", "Operators' ack/resolve commands, by outcome.",
                         ["action", "outcome"], registry=registry),
        bad_messages=Counter("govbus_detect_bad_messages", "Undecodable messages on the internal "
                             "observations topic (a bug: the topic is the detector's own).", registry=registry),
    )
