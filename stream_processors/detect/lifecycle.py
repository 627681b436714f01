"""Incident lifecycle: one incident per rule and key while the condition holds. Pure.

open → (updated: new triggering records, same state) → escalated when the grade rises →
acknowledged by an operator → resolved when the condition has been clear for ``clear_after``
(event time) or by an operator. Each change is a new version of the same incident id; the
grade never falls within an incident. An incident resolved by an operator stays resolved for
the rest of its episode ("muted" until the condition has been clear for ``clear_after``), so a
burst that is still running does not reopen what the command centre has just closed.

Incident ids are ``<rule>/<key>/<event time of the record that opened it>``: deterministic, so
a restarted or replayed detector reopens nothing under a new id, and invertible, so an
operator's command reaches the state that holds the incident.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from govbus.core.rules import ConsecutiveRule, Grade, Rule, SpikeRule, WindowRule, format_duration
from stream_processors.detect.evaluate import Hit, utc
from stream_processors.detect.texts import incident_texts

MAX_IDS = 200    # triggering event ids kept per incident (a burst of thousands stays readable)
MAX_TERMS = 50
TIME_FIELDS = ("opened_at", "updated_at", "resolved_at")


def incident_id(rule_id: str, key: str, at_ms: int) -> str:
    stamp = datetime.fromtimestamp(at_ms // 1000, timezone.utc).strftime("%Y%m%dT%H%M%S")
    return f"{rule_id}/{key}/{stamp}.{at_ms % 1000:03d}Z"


def parse_incident_id(value: str) -> tuple[str, str] | None:
    """(rule id, key) of an incident id, or None if it is not one."""
    parts = value.split("/")
    return (parts[0], parts[1]) if len(parts) == 3 and all(parts) else None


def span(rule: Rule) -> int:
    """How far back in event time a record can still change a rule's result."""
    if isinstance(rule, WindowRule):
        return rule.window.size
    if isinstance(rule, SpikeRule):
        return (rule.trailing + 1) * rule.bucket
    return 0


def _open(rule: Rule, series: dict[str, Any], hit: Hit, now: int) -> dict[str, Any]:
    colour = rule.colour_for(hit.grade)
    return {
        "incident_id": incident_id(rule.id, series["key"], hit.at), "rule_id": rule.id,
        "category": rule.category.value, "grade": hit.grade.value,
        "warning_colour": colour.value if colour else None, "state": "open",
        "region_code": series["region"], "dataset": rule.dataset,
        **incident_texts(rule, series, hit), "summary": hit.summary, "opened_at": hit.at,
        "indicator_readings": hit.readings,
        "updated_at": now, "resolved_at": None, "triggering_event_ids": hit.ids[:MAX_IDS],
        "matched_terms": hit.matched[:MAX_TERMS], "version": 1,
    }


def _next_version(incident: dict[str, Any], now: int, **changes: Any) -> dict[str, Any]:
    return incident | changes | {"version": incident["version"] + 1, "updated_at": now}


def _update(rule: Rule, incident: dict[str, Any], hit: Hit, now: int,
            series: dict[str, Any]) -> dict[str, Any] | None:
    ids = incident["triggering_event_ids"]
    new_ids = [i for i in hit.ids if i not in ids][:max(MAX_IDS - len(ids), 0)]
    terms = incident["matched_terms"]
    new_terms = [t for t in hit.matched if t not in terms][:max(MAX_TERMS - len(terms), 0)]
    escalated = Grade(hit.grade).rank < Grade(incident["grade"]).rank
    if not (new_ids or new_terms or escalated):
        return None
    changes: dict[str, Any] = {"triggering_event_ids": ids + new_ids, "matched_terms": terms + new_terms,
                               "summary": hit.summary if escalated or new_ids else incident["summary"]}
    if escalated or new_ids:
        changes["summary_zh"] = incident_texts(rule, series, hit)["summary_zh"]
        changes |= {"indicator_readings": hit.readings} if hit.readings else {}
    if escalated:
        colour = rule.colour_for(hit.grade)
        changes |= {"grade": hit.grade.value, "state": "escalated",
                    "warning_colour": colour.value if colour else None}
    return _next_version(incident, now, **changes)


def on_hit(rule: Rule, series: dict[str, Any], hit: Hit, now: int) -> dict[str, Any] | None:
    """Open, update or escalate the key's incident; the new version, or None if nothing changed."""
    series["last_true"] = max(series["last_true"] or hit.end, hit.end)
    incident = series["incident"]
    if incident is not None and incident["state"] != "resolved":
        changed = _update(rule, incident, hit, now, series)
    elif series["muted"] or _overlaps(hit, series["resolved_through"]):
        changed = None  # a late record of the episode that was resolved
    else:
        changed = _open(rule, series, hit, now)
    if changed is not None:
        series["incident"] = changed
    return changed


def _overlaps(hit: Hit, resolved_through: int | None) -> bool:
    """Whether the hit's window or run reaches back into an episode already resolved."""
    return resolved_through is not None and (hit.start < resolved_through or hit.end <= resolved_through)


def resolve_if_clear(rule: Rule, series: dict[str, Any], clock: int, now: int) -> dict[str, Any] | None:
    """Resolve the open incident once the condition has been clear for ``clear_after``; end an
    operator's mute at the same point. The resolution time is exact (last held + clear_after),
    however late the sweep that notices it."""
    if rule.clear_after is None or series["last_true"] is None:
        return None
    clear_at = series["last_true"] + rule.clear_after
    if clock < clear_at:
        return None
    series["resolved_through"] = series["last_true"]
    series["muted"] = False
    incident = series["incident"]
    if incident is None or incident["state"] == "resolved":
        return None
    summary = (f"{incident['summary']}. Resolved: clear for {format_duration(rule.clear_after)} "
               f"since {utc(series['last_true'])}")
    series["incident"] = _next_version(incident, now, state="resolved", resolved_at=clear_at, summary=summary)
    return series["incident"]


def operator_action(rule: Rule, series: dict[str, Any], action: str, incident_id_: str,
                    at: int, now: int) -> tuple[dict[str, Any] | None, str]:
    """Apply an operator's ``ack``, ``resolve`` or ``escalate``: (new version or None, outcome
    for metrics)."""
    incident = series["incident"] if series else None
    if incident is None or incident["incident_id"] != incident_id_:
        return None, "unknown_incident"
    if incident["state"] == "resolved":
        return None, "already_resolved"
    if action == "escalate":
        return _escalate(rule, series, incident, now)
    if action == "ack":
        if incident["state"] == "acknowledged":
            return None, "no_change"
        series["incident"] = _next_version(incident, now, state="acknowledged")
        return series["incident"], "applied"
    series["incident"] = _next_version(incident, now, state="resolved", resolved_at=at,
                                       summary=f"{incident['summary']}. Resolved by an operator")
    series["resolved_through"] = series["last_true"]
    series["muted"] = rule.clear_after is not None
    return series["incident"], "applied"


def escalated_grade(grade: str) -> Grade | None:
    """The next more serious grade (IV → III … II → I), or None at grade I."""
    rank = Grade(grade).rank
    return list(Grade)[rank - 2] if rank > 1 else None


def _escalate(rule: Rule, series: dict[str, Any], incident: dict[str, Any],
              now: int) -> tuple[dict[str, Any] | None, str]:
    """An operator raises the grade one step (the detector never lowers it again)."""
    grade = escalated_grade(incident["grade"])
    if grade is None:
        return None, "no_change"
    colour = rule.colour_for(grade)
    summary = f"{incident['summary']}. Escalated to grade {grade.value} by an operator"
    series["incident"] = _next_version(incident, now, grade=grade.value, state="escalated", summary=summary,
                                       warning_colour=colour.value if colour else incident["warning_colour"])
    return series["incident"], "applied"


def is_idle(rule: Rule, series: dict[str, Any], clock: int) -> bool:
    """Whether the key's state can go: nothing buffered, no live incident, and too late for any
    record to reopen the episode that ended (its ``resolved_through`` guard goes with it)."""
    if series["buckets"] or series["seen"] or series["muted"]:
        return False
    if isinstance(rule, ConsecutiveRule) and series["readings"]:
        return False
    incident = series["incident"]
    if incident is not None and incident["state"] != "resolved":
        return False
    last = series["last_true"]
    return last is None or clock >= last + rule.allowed_lateness + span(rule) + (rule.clear_after or 0)


def to_avro(incident: dict[str, Any]) -> dict[str, Any]:
    """The ``govbus.bus.EmergencyIncident`` record (timestamps as aware datetimes for fastavro)."""
    # Incidents held in the tables since before these fields existed lack them (fastavro would
    # refuse the record): their versions go out with the fields' defaults.
    out = {"title_zh": None, "summary_zh": None, "indicator_readings": []} | dict(incident)
    for name in TIME_FIELDS:
        if out[name] is not None:
            out[name] = datetime.fromtimestamp(out[name] / 1000, timezone.utc)
    return out
