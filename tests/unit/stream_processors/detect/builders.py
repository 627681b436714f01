"""Builders for the detector's pure tests: rules from dicts, timed observations, a detector."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from prometheus_client import CollectorRegistry
from pydantic import TypeAdapter

from govbus.core.rules import Rule
from stream_processors.detect.extract import Observation
from stream_processors.detect.logic import Detector
from stream_processors.detect.metrics import DetectMetrics, detect_metrics
from stream_processors.detect.state import Stores

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)
MINUTE = 60_000
HOUR = 60 * MINUTE
NOW = 1_800_000_000_000  # wall clock of the tests (ms); distinct from event times


def ms(minutes: float = 0, hours: float = 0) -> int:
    """Event time T0 + offset, in ms."""
    return int((T0 + timedelta(hours=hours, minutes=minutes)).timestamp() * 1000)


BASE = {"title": "Test rule in {region}", "dataset": "fire.alarm", "category": "accident_disaster",
        "key": {"region_level": "county"}, "time_field": "alarm_at", "allowed_lateness": "5m",
        "clear_after": "30m"}


def rule(**fields: Any) -> Rule:
    return TypeAdapter(Rule).validate_python(BASE | fields)


def burst_rule(**fields: Any) -> Rule:
    """≥ 5 in 10 minutes sliding by 1, IV from 5 and III from 10."""
    return rule(id="t.burst", kind="window", aggregate="count", window={"size": "10m", "slide": "1m"},
                at_least=5, grade={"table": [{"grade": "III", "any_of": {"value": 10}},
                                             {"grade": "IV", "any_of": {"value": 5}}]}, **fields)


def obs(rule_id: str, minutes: float, n: int | str, key: str = "350102", value: float = 1.0,
        hours: float = 0, **more: Any) -> Observation:
    return Observation(rule_id, key, key.split(":")[0], ms(minutes, hours), f"ev-{n}", value, **more)


def detector(*rules: Rule, stores: Stores | None = None, idle_ms: int = 0) -> tuple[Detector, DetectMetrics]:
    metrics = detect_metrics(CollectorRegistry())
    return Detector(list(rules), stores or Stores.in_memory(), metrics, idle_ms=idle_ms), metrics


def feed(det: Detector, observations: list[Observation], scope: str = "0") -> list[dict[str, Any]]:
    """Every incident version the observations produce, in order."""
    return [v for o in observations for v in det.handle(o, scope, NOW)]


def states(versions: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    return [(v["version"], v["state"], v["grade"]) for v in versions]


def sample(metrics: DetectMetrics, family: Any, **labels: str) -> float:
    return sum(s.value for m in family.collect() for s in m.samples
               if s.name.endswith("_total") and all(s.labels.get(k) == v for k, v in labels.items()))
