"""The detector: observations, operator commands and ticks in, incident versions out. Pure.

Event time is the only clock. Each rule keeps one clock per partition (``scope``): the newest
event time it has seen there. A record older than the clock minus the rule's allowed lateness
is late: counted (``govbus_late_records_total``), never applied and never silently dropped.
Records within the lateness land in their own event-time buckets, in whatever order they come.

When a rule's clock passes the next sweep point, every live key of the rule in that scope is
swept: incidents clear for ``clear_after`` are resolved and state no record can still change
is forgotten. Optionally (``idle_ms``) a source silent for that long lets its clock run on with
wall time, so that incidents resolve even when the records stop altogether; off by default,
because a replay of old data with pauses would see its clock jump to the present.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from govbus.core.rules import Rule
from stream_processors.detect.evaluate import Applied, apply, expire, is_known
from stream_processors.detect.extract import Observation
from stream_processors.detect.lifecycle import Who, is_idle, on_hit, operator_action, resolve_if_clear
from stream_processors.detect.messages import Command, Message, Tick
from stream_processors.detect.metrics import DetectMetrics
from stream_processors.detect.state import Stores, clock_key, new_clock, new_series, series_key

SWEEP_MS = 60_000
log = logging.getLogger(__name__)


class Detector:
    def __init__(self, rules: list[Rule], stores: Stores, metrics: DetectMetrics,
                 idle_ms: int = 0, sweep_ms: int = SWEEP_MS) -> None:
        self.rules = {r.id: r for r in rules}
        self.stores = stores
        self.metrics = metrics
        self.idle_ms = idle_ms
        self.sweep_ms = sweep_ms

    def handle(self, message: Message, scope: str, now: int) -> list[dict[str, Any]]:
        """Apply one message of partition ``scope`` at wall time ``now`` (ms); the incident
        versions to publish, in order."""
        if isinstance(message, Observation):
            out = self.observe(message, scope, now)
        elif isinstance(message, Command):
            out = self.command(message, now)
        else:
            assert isinstance(message, Tick)
            out = self.tick(scope, message.wall)
        for incident in out:
            self.metrics.versions.labels(incident["rule_id"], incident["state"]).inc()
        return out

    def observe(self, obs: Observation, scope: str, now: int) -> list[dict[str, Any]]:
        rule = self.rules.get(obs.rule_id)
        if rule is None:  # a rule removed while its observations were in flight
            self.metrics.evaluations.labels(obs.rule_id, "unknown_rule").inc()
            return []
        skey, ckey = series_key(rule.id, obs.key), clock_key(rule.id, scope)
        series = self.stores.series.get(skey)
        if is_known(rule, series, self.stores.buckets, obs):
            self.metrics.evaluations.labels(rule.id, "duplicate").inc()
            return []
        clock = self.stores.clocks.get(ckey) or new_clock()
        if clock["t"] is not None and obs.time < clock["t"] - rule.allowed_lateness:
            self.metrics.late.labels(rule.id, rule.dataset).inc()
            log.debug("late for %s: %s at %d, clock %d in partition %s", rule.id, obs.key, obs.time,
                      clock["t"], scope)
            return []
        if series is None:
            series = new_series(rule.id, obs.key, obs.region, obs.group)
            if obs.key not in clock["keys"]:
                clock["keys"].append(obs.key)
        out = self._outcome(rule, series, apply(rule, series, self.stores.buckets, obs), now)
        self.stores.series.put(skey, series)
        clock["t"] = max(clock["t"] or obs.time, obs.time)
        clock["seen"] = max(clock["seen"] or obs.time, obs.time)
        clock["wall"] = now
        out += self._sweep(rule, clock, now)
        self.stores.clocks.put(ckey, clock)
        return out

    def _outcome(self, rule: Rule, series: dict[str, Any], applied: Applied, now: int) -> list[dict[str, Any]]:
        if applied.duplicate or applied.hit is None:
            self.metrics.evaluations.labels(rule.id, "duplicate" if applied.duplicate else "clear").inc()
            return []
        self.metrics.evaluations.labels(rule.id, "hit").inc()
        changed = on_hit(rule, series, applied.hit, now)
        return [changed] if changed is not None else []

    def _sweep(self, rule: Rule, clock: dict[str, Any], now: int) -> list[dict[str, Any]]:
        if clock["t"] is None or (clock["sweep"] is not None and clock["t"] < clock["sweep"]):
            return []
        clock["sweep"] = clock["t"] + self.sweep_ms
        out, live = [], []
        for key in clock["keys"]:
            skey = series_key(rule.id, key)
            series = self.stores.series.get(skey)
            if series is None:
                continue
            before = json.dumps(series, sort_keys=True)
            resolved = resolve_if_clear(rule, series, clock["t"], now)
            out += [resolved] if resolved is not None else []
            expire(rule, series, self.stores.buckets, clock["t"])
            if is_idle(rule, series, clock["t"]):
                self.stores.series.delete(skey)
                continue
            live.append(key)
            if json.dumps(series, sort_keys=True) != before:  # spare the changelog a no-op write
                self.stores.series.put(skey, series)
        clock["keys"] = live
        return out

    def tick(self, scope: str, wall: int) -> list[dict[str, Any]]:
        """Let the clocks of sources silent for ``idle_ms`` run on with wall time."""
        if self.idle_ms <= 0:
            return []
        out: list[dict[str, Any]] = []
        for rule in self.rules.values():
            ckey = clock_key(rule.id, scope)
            clock = self.stores.clocks.get(ckey)
            if clock is None or clock["seen"] is None or wall - clock["wall"] < self.idle_ms:
                continue
            target = clock["seen"] + (wall - clock["wall"])
            if target > clock["t"]:
                clock["t"] = target
                out += self._sweep(rule, clock, wall)
                self.stores.clocks.put(ckey, clock)
        return out

    def command(self, cmd: Command, now: int) -> list[dict[str, Any]]:
        rule = self.rules.get(cmd.rule_id)
        skey = series_key(cmd.rule_id, cmd.key)
        series = self.stores.series.get(skey) if rule is not None else None
        if rule is None or series is None:
            self.metrics.operator.labels(cmd.action, "unknown_incident").inc()
            return []
        who = Who(cmd.operator, cmd.identity, cmd.note, cmd.grade)
        changed, outcome = operator_action(rule, series, cmd.action, cmd.incident_id, cmd.at, now, who)
        self.metrics.operator.labels(cmd.action, outcome).inc()
        if changed is None:
            return []
        self.stores.series.put(skey, series)
        return [changed]

    def unpublished(self, scope: str, published: dict[str, int]) -> list[dict[str, Any]]:
        """Current versions held in ``scope`` that ``published`` (incident id → newest version on
        the incidents topic) lacks. After a crash the changelog may hold a version whose send
        was lost; the agent re-sends these once per partition on start-up."""
        out = []
        for rule in self.rules.values():
            clock = self.stores.clocks.get(clock_key(rule.id, scope))
            for key in clock["keys"] if clock else []:
                series = self.stores.series.get(series_key(rule.id, key))
                incident = series["incident"] if series else None
                if incident is not None and incident["version"] > published.get(incident["incident_id"], 0):
                    out.append(incident)
        return out
