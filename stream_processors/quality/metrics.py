"""The quality role's own metric families (the metrics contract: govbus/core/metric_names.py).

Labels are catalogue names (department, dataset, granularity, outcome), never record values.
"""
from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge


@dataclass(frozen=True)
class QualityMetrics:
    validity: Gauge
    completeness: Gauge
    scorecards: Counter
    records: Counter


def quality_metrics(registry: CollectorRegistry) -> QualityMetrics:
    return QualityMetrics(
        validity=Gauge("govbus_quality_validity_ratio", "Share of the records of the latest closed "
                       "event-time hour that passed cleaning (scorecard validity_ratio).",
                       ["department", "dataset"], registry=registry),
        completeness=Gauge("govbus_quality_completeness_ratio", "Share of the records of the latest "
                           "closed event-time hour with every catalogue-required field present.",
                           ["department", "dataset"], registry=registry),
        scorecards=Counter("govbus_quality_scorecards", "Scorecards published, by period length.",
                           ["department", "dataset", "granularity"], registry=registry),
        records=Counter("govbus_quality_records", "Raw records and dead letters the quality role "
                        "counted (measured) or could not (too_late: their period had closed; "
                        "unreadable: a dead letter it could not decode).",
                        ["dataset", "outcome"], registry=registry),
    )


def observe_scorecard(metrics: QualityMetrics, card: dict) -> None:
    labels = (card["department"], card["dataset"])
    metrics.scorecards.labels(*labels, card["granularity"]).inc()
    if card["granularity"] != "hour" or not card["records"]:
        return  # a silent hour says nothing about validity: the gauge keeps its last value
    metrics.validity.labels(*labels).set(card["validity_ratio"])
    if card["completeness_ratio"] is not None:
        metrics.completeness.labels(*labels).set(card["completeness_ratio"])
