"""The detector's Prometheus families, registered on the process registry
(``govbus.core.metrics.new_metrics().registry``) next to the shared ones."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge

from govbus.core.incident_age import unacknowledged_ages
from govbus.core.rules import Grade

OPEN_STATES = ("open", "acknowledged", "escalated")  # not resolved


@dataclass(frozen=True)
class DetectMetrics:
    incidents_open: Gauge
    unacknowledged_age: Gauge
    evaluations: Counter
    late: Counter
    versions: Counter
    observations: Counter
    operator: Counter
    bad_messages: Counter

    def count_open(self, incidents: Iterable[dict[str, Any] | None], now: float | None = None) -> None:
        """Set the open gauges (by grade and state) and the unacknowledged ages from the
        incidents held in this worker's state."""
        held = [i for i in incidents if i is not None]
        counts = {(g.value, state): 0 for g in Grade for state in OPEN_STATES}
        for incident in held:
            if incident["state"] in OPEN_STATES:
                counts[(incident["grade"], incident["state"])] += 1
        for (grade, state), n in counts.items():
            self.incidents_open.labels(grade, state).set(n)
        for grade, age in unacknowledged_ages(held, time.time() if now is None else now).items():
            self.unacknowledged_age.labels(grade).set(age)


def detect_metrics(registry: CollectorRegistry) -> DetectMetrics:
    return DetectMetrics(
        incidents_open=Gauge("govbus_incidents_open",
                             "Incidents not yet resolved, by grade and state (this worker's partitions).",
                             ["grade", "state"], registry=registry),
        unacknowledged_age=Gauge("govbus_incident_unacknowledged_age_seconds",
                                 "Age of the oldest open, unacknowledged incident of the grade (0: none; "
                                 "this worker's partitions).", ["grade"], registry=registry),
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
