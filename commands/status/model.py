"""The view model of `govbus status`, built by pure functions from parsed inputs: the file_sd
targets, each role's /metrics text, the broker's group offsets, dead-letter counts and the
agreements. Nothing here opens a socket or reads the clock (``now`` is passed in).
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime

from prometheus_client.parser import text_string_to_metric_families

from govbus.core.result import Fault, Ok, Result

Labels = tuple[tuple[str, str], ...]
Samples = dict[str, list[tuple[dict[str, str], float]]]  # series name → (labels, value)


@dataclass(frozen=True)
class Target:
    """One scrape target of a file_sd file: ``[{"targets": ["127.0.0.1:9401"], "labels": {…}}]``."""

    role: str
    instance_name: str
    address: str


def parse_targets(text: str, source: str) -> Result[list[Target]]:
    """The targets of one file_sd JSON file, or a Fault naming the file and what is wrong."""
    try:
        groups = json.loads(text)
        if not isinstance(groups, list):
            raise TypeError("not a list of target groups")
        return Ok([Target(str(group.get("labels", {}).get("role", "?")),
                          str(group.get("labels", {}).get("instance_name", address)), str(address))
                   for group in groups for address in group["targets"]])
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return Fault("bad_targets_file", "file_sd", f"{source}: {exc}")


def parse_metrics(text: str) -> Result[Samples]:
    """Prometheus text exposition → samples by series name (``_total``, ``_bucket`` … kept)."""
    samples: Samples = defaultdict(list)
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples[sample.name].append((dict(sample.labels), float(sample.value)))
    except ValueError as exc:
        return Fault("bad_exposition", "prometheus text format", str(exc))
    return Ok(dict(samples))


@dataclass(frozen=True)
class Scrape:
    """What one target said: its samples, or why it could not be read (``error``)."""

    target: Target
    samples: Samples = field(default_factory=dict)
    error: str = ""
    ready_answer: bool | None = None  # /readyz (200 → True), for a role without govbus_role_ready


def values(samples: Samples, name: str, **wanted: str) -> list[tuple[dict[str, str], float]]:
    return [(labels, value) for labels, value in samples.get(name, [])
            if all(labels.get(k) == v for k, v in wanted.items())]


def total(samples: Samples, name: str, **wanted: str) -> float:
    return sum(value for _labels, value in values(samples, name, **wanted))


@dataclass(frozen=True)
class RoleRow:
    role: str
    instance: str
    address: str
    up: bool
    ready: bool | None  # None: unknown (down, or neither the gauge nor /readyz answered)
    outages: tuple[str, ...]  # dependencies it is waiting for
    lag_records: float | None
    lag_seconds: float | None
    error: str = ""


def role_row(scrape: Scrape) -> RoleRow:
    t, s = scrape.target, scrape.samples
    if scrape.error:
        return RoleRow(t.role, t.instance_name, t.address, False, None, (), None, None, scrape.error)
    gauge = values(s, "govbus_role_ready")
    ready = all(v == 1 for _l, v in gauge) if gauge else scrape.ready_answer
    outages = tuple(sorted(labels.get("dependency", "?") for labels, v in values(s, "govbus_outage") if v))
    lag = values(s, "govbus_consumer_lag_records")
    age = values(s, "govbus_consumer_lag_seconds")
    return RoleRow(t.role, t.instance_name, t.address, True, ready, outages,
                   sum(v for _l, v in lag) if lag else None, max(v for _l, v in age) if age else None)


def counter_totals(scrapes: list[Scrape], name: str, by: str) -> dict[str, float]:
    """A counter summed over every instance, by one label."""
    sums: dict[str, float] = defaultdict(float)
    for scrape in scrapes:
        for labels, value in values(scrape.samples, name):
            sums[labels.get(by, "")] += value
    return dict(sums)


def rates(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Per second between two totals; a counter that went down (a restarted role) counts from 0."""
    if seconds <= 0:
        return {}
    return {key: round((now - before.get(key, 0.0) if now >= before.get(key, 0.0) else now) / seconds, 3)
            for key, now in sorted(after.items())}


def incidents_by_grade(scrapes: list[Scrape]) -> dict[str, int]:
    """Open incidents by grade: each role's instances added up, then the larger of the detector's
    and the feed's view (both may export govbus_incidents_open)."""
    per_role: dict[tuple[str, str], float] = defaultdict(float)
    for scrape in scrapes:
        for labels, value in values(scrape.samples, "govbus_incidents_open"):
            per_role[(scrape.target.role, labels.get("grade", "?"))] += value
    grades: dict[str, int] = {}
    for (_role, grade), value in per_role.items():
        grades[grade] = max(grades.get(grade, 0), int(value))
    return dict(sorted(grades.items()))


@dataclass(frozen=True)
class AuditPool:
    pool: str
    chain_length: int | None
    verify_ok: bool | None
    verified_seconds_ago: float | None
    checkpoint_seconds_ago: float | None


def audit_pools(scrapes: list[Scrape], now: float) -> list[AuditPool]:
    """The audit chain of each pool, from the audit sink's gauges (the newest of its instances)."""
    seen: dict[str, dict[str, float]] = defaultdict(dict)
    names = {"govbus_audit_chain_length": "length", "govbus_audit_verify_ok": "ok",
             "govbus_audit_verify_timestamp_seconds": "verified",
             "govbus_audit_checkpoint_timestamp_seconds": "checkpoint"}
    for scrape in scrapes:
        for name, key in names.items():
            for labels, value in values(scrape.samples, name):
                pool = seen[labels.get("pool", "")]
                pool[key] = max(pool.get(key, value), value) if key != "ok" else min(pool.get(key, value), value)
    return [AuditPool(pool, int(v["length"]) if "length" in v else None,
                      bool(v["ok"]) if "ok" in v else None,
                      _ago(now, v.get("verified")), _ago(now, v.get("checkpoint")))
            for pool, v in sorted(seen.items())]


def _ago(now: float, stamp: float | None) -> float | None:
    return None if not stamp else round(max(0.0, now - stamp), 1)


@dataclass(frozen=True)
class Expiring:
    agreement: str
    recipient: str
    dataset: str
    valid_to: str
    days_left: float


def expiring_agreements(agreements: list[tuple[str, str, str, datetime, bool]], now: datetime,
                        within_days: int = 30) -> list[Expiring]:
    """(id, recipient, dataset, valid_to, active) → those in force whose validity ends within
    ``within_days``, soonest first."""
    found = []
    for agreement, recipient, dataset, valid_to, active in agreements:
        left = (valid_to - now).total_seconds() / 86400
        if active and 0 <= left <= within_days:
            found.append(Expiring(agreement, recipient, dataset, valid_to.isoformat(), round(left, 1)))
    return sorted(found, key=lambda e: (e.days_left, e.agreement))


@dataclass(frozen=True)
class GroupLag:
    group: str
    topic: str
    lag: int
    partitions: int


def group_lags(committed: dict[str, dict[tuple[str, int], int]], ends: dict[tuple[str, int], int]) -> list[GroupLag]:
    """Group → (topic, partition) → committed offset, and each partition's end offset → the lag
    of each group on each topic (end − committed; a partition never committed counts whole)."""
    rows: dict[tuple[str, str], list[int]] = defaultdict(list)
    for group, offsets in committed.items():
        for (topic, partition), offset in offsets.items():
            end = ends.get((topic, partition))
            if end is not None:
                rows[(group, topic)].append(max(0, end - max(offset, 0)))
    return [GroupLag(group, topic, sum(lags), len(lags)) for (group, topic), lags in sorted(rows.items())]


def dead_letters_by_department(counts: dict[str, int], departments: dict[str, str]) -> dict[str, int]:
    """Dead letters per dataset (last hour) → per owning department (the dataset's provider)."""
    found: dict[str, int] = defaultdict(int)
    for dataset, n in counts.items():
        if n:
            found[departments.get(dataset, "?")] += n
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class StatusView:
    """Everything `govbus status` shows; ``as_json`` is the --json output."""

    taken_at: str
    roles: list[RoleRow]
    group_lags: list[GroupLag]
    deliveries_per_second: dict[str, float] | None  # by recipient; None: one sample only
    records_per_second: dict[str, float] | None     # by outcome
    deliveries_total: dict[str, float]
    dead_letters_last_hour: dict[str, int] | None   # by department; None: not read
    incidents_open: dict[str, int]
    agreements_expiring: list[Expiring]
    audit: list[AuditPool]
    problems: list[str] = field(default_factory=list)  # what could not be read, one line each

    def as_json(self) -> dict:
        return asdict(self)


def needs_attention(view: StatusView) -> bool:
    """A role down or not ready, a chain that failed verification, or something unreadable."""
    return (any(not row.up or row.ready is False for row in view.roles)
            or any(pool.verify_ok is False for pool in view.audit) or bool(view.problems))
