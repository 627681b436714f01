"""Incident lifecycle: one incident per rule and key while the condition holds, escalation,
resolution after the condition has been clear for a set time, operators' commands, restarts."""
from __future__ import annotations

from stream_processors.detect.lifecycle import incident_id, parse_incident_id
from stream_processors.detect.messages import Command, Tick
from stream_processors.detect.state import Stores
from tests.unit.stream_processors.detect.builders import (MINUTE, NOW, burst_rule, detector, feed, ms, obs, sample, states)

BURST = burst_rule()


def _burst(start: float = 0, n: int = 6, tag: str = "a", key: str = "350102") -> list:
    return [obs("t.burst", start + i, f"{tag}{i}", key=key) for i in range(n)]


def test_one_incident_per_key_while_the_condition_holds():
    det, _ = detector(BURST)
    versions = feed(det, _burst(0, 8) + _burst(3, 5, "b", key="350103"))
    ids = {v["incident_id"] for v in versions}
    assert ids == {incident_id("t.burst", "350102", ms(4)), incident_id("t.burst", "350103", ms(7))}
    a = [v for v in versions if v["region_code"] == "350102"]
    assert states(a) == [(1, "open", "IV"), (2, "open", "IV"), (3, "open", "IV"), (4, "open", "IV")]
    assert len(a[-1]["triggering_event_ids"]) == 8 and a[-1]["resolved_at"] is None


def test_resolved_when_clear_for_the_set_time_at_the_exact_event_time():
    det, _ = detector(BURST)
    feed(det, _burst())                   # alarms at 0 … 5: the last window that holds is [1, 11)
    assert feed(det, [obs("t.burst", 40, "x", key="350104")]) == []   # 29 minutes clear: not yet
    [resolved] = feed(det, [obs("t.burst", 47, "y", key="350104")])
    assert (resolved["state"], resolved["version"]) == ("resolved", 3)
    assert resolved["resolved_at"] == ms(11 + 30) and "Resolved: clear for 30m" in resolved["summary"]


def test_a_late_record_of_a_resolved_episode_does_not_reopen_it():
    det, _ = detector(burst_rule(allowed_lateness="2h"))
    feed(det, _burst() + [obs("t.burst", 47, "y", key="350104")])
    assert feed(det, [obs("t.burst", 5.5, "late-but-allowed")]) == []   # windows [1, 11) and [2, 12)


def test_a_new_episode_opens_a_new_incident():
    det, _ = detector(BURST)
    first = feed(det, _burst() + [obs("t.burst", 47, "y", key="350104")])
    second = feed(det, _burst(60, 5, "c"))
    assert second[0]["incident_id"] != first[0]["incident_id"] and second[0]["version"] == 1


def _command(det, action: str, incident: str, at: int = NOW) -> list:
    return det.handle(Command(action, incident, at, *parse_incident_id(incident)), "0", NOW)


def test_operators_acknowledge_and_an_escalation_reopens_their_attention():
    det, _ = detector(BURST)
    opened = feed(det, _burst(0, 5))[0]["incident_id"]
    assert states(_command(det, "ack", opened)) == [(2, "acknowledged", "IV")]
    assert _command(det, "ack", opened) == []                      # already acknowledged
    assert states(feed(det, [obs("t.burst", 5, "more")])) == [(3, "acknowledged", "IV")]
    versions = feed(det, [obs("t.burst", 6 + i / 10, f"m{i}") for i in range(4)])
    assert states(versions)[-1] == (7, "escalated", "III")


def test_an_operator_resolution_holds_for_the_rest_of_the_episode():
    det, metrics = detector(BURST)
    opened = feed(det, _burst(0, 5))[0]["incident_id"]
    [resolved] = _command(det, "resolve", opened, at=NOW + 5)
    assert (resolved["state"], resolved["resolved_at"]) == ("resolved", NOW + 5)
    assert feed(det, _burst(5, 10, "still")) == []                 # the same burst: muted
    assert _command(det, "ack", opened) == []
    assert sample(metrics, metrics.operator, action="ack", outcome="already_resolved") == 1
    feed(det, [obs("t.burst", 90, "later", key="350104")])          # clear for 30 minutes
    assert states(feed(det, _burst(100, 5, "new")))[0] == (1, "open", "IV")


def test_a_command_for_an_unknown_incident_changes_nothing():
    det, metrics = detector(BURST)
    feed(det, _burst(0, 5))
    assert _command(det, "resolve", incident_id("t.burst", "350102", ms(3))) == []
    assert _command(det, "resolve", incident_id("t.burst", "999999", ms(3))) == []
    assert sample(metrics, metrics.operator, outcome="unknown_incident") == 2


def test_a_restart_continues_from_the_stored_state_without_duplicates():
    """The stores are JSON, like Faust's changelogs; a new detector over them, fed a replay
    of what it had already seen and then the rest, publishes exactly what one run would."""
    inputs = _burst(0, 12) + [obs("t.burst", 50, "end", key="350104")]
    reference = feed(detector(BURST)[0], inputs)
    stores = Stores.in_memory()
    before = feed(detector(BURST, stores=stores)[0], inputs[:7])
    after = feed(detector(BURST, stores=stores)[0], inputs[:7] + inputs[7:])  # replay, then the rest
    assert before + after == reference
    assert states(reference)[-1] == (9, "resolved", "III")


def test_versions_whose_send_was_lost_are_found_for_resending():
    det, _ = detector(BURST)
    versions = feed(det, _burst(0, 6))
    current = versions[-1]
    assert det.unpublished("0", {}) == [current]
    assert det.unpublished("0", {current["incident_id"]: 1}) == [current]
    assert det.unpublished("0", {current["incident_id"]: current["version"]}) == []
    assert det.unpublished("1", {}) == []                           # another partition's state


def test_an_idle_source_lets_its_clock_run_on_with_wall_time():
    det, _ = detector(BURST, idle_ms=10 * MINUTE)
    feed(det, _burst())
    assert det.handle(Tick(NOW + 5 * MINUTE), "0", NOW) == []       # not idle long enough
    [resolved] = det.handle(Tick(NOW + 40 * MINUTE), "0", NOW)      # clock: 5 + 40 minutes ≥ 41
    assert resolved["state"] == "resolved" and resolved["resolved_at"] == ms(41)


def test_ticks_do_nothing_without_an_idle_clock():
    det, _ = detector(BURST)
    feed(det, _burst())
    assert det.handle(Tick(NOW + 10 * 60 * MINUTE), "0", NOW) == []


def test_state_no_record_can_change_is_forgotten():
    stores = Stores.in_memory()
    det, _ = detector(BURST, stores=stores)
    feed(det, _burst() + [obs("t.burst", 47, "y", key="350104")])
    feed(det, [obs("t.burst", 47 + 60, "z", key="350104")])
    assert [k for k in stores.buckets.data if "|350102|" in k] == []
    assert "t.burst|350102" not in stores.series.data


def test_incident_ids_round_trip():
    value = incident_id("hotline.category_spike", "350102:0502", ms(36))
    assert value == "hotline.category_spike/350102:0502/20250301T083600.000Z"
    assert parse_incident_id(value) == ("hotline.category_spike", "350102:0502")
    assert parse_incident_id("no-such-thing") is None


def test_an_operator_escalates_one_grade_at_a_time_and_the_detector_never_lowers_it():
    det, metrics = detector(BURST)
    opened = feed(det, _burst(0, 5))[0]["incident_id"]
    [escalated] = _command(det, "escalate", opened)
    assert (escalated["version"], escalated["state"], escalated["grade"]) == (2, "escalated", "III")
    assert "by an operator" in escalated["summary"]
    assert states(_command(det, "escalate", opened)) == [(3, "escalated", "II")]
    assert states(_command(det, "escalate", opened)) == [(4, "escalated", "I")]
    assert _command(det, "escalate", opened) == []                 # grade I is the top
    assert sample(metrics, metrics.operator, action="escalate", outcome="no_change") == 1
    more = feed(det, [obs("t.burst", 5, "more")])                  # a grade IV hit: stays at I
    assert states(more) == [(5, "escalated", "I")]


def test_escalated_grade_table():
    from stream_processors.detect.lifecycle import escalated_grade

    assert [escalated_grade(g) for g in ("IV", "III", "II", "I")] == ["III", "II", "I", None]


def test_an_escalate_command_survives_its_encoding():
    from stream_processors.detect.messages import decode, encode

    command = Command("escalate", "t.burst/350102/20250301T083000.000Z", NOW, "t.burst", "350102")
    assert decode(encode(command)) == command
    assert decode(encode(Command("delete", command.incident_id, NOW, "t.burst", "350102"))) is None


def _who(det, action: str, incident: str, **who: str) -> list:
    fields = {"operator": "alice", "identity": "svc.feed", "note": "why"} | who
    return det.handle(Command(action, incident, NOW, *parse_incident_id(incident), **fields), "0", NOW)


def test_each_operator_action_is_logged_on_its_version_with_who_and_why():
    det, _ = detector(BURST)
    opened = feed(det, _burst(0, 5))[0]["incident_id"]
    [acked] = _who(det, "ack", opened, note="called the site")
    [noted] = _who(det, "note", opened, operator="bob", note="crew on site")
    assert states([acked, noted]) == [(2, "acknowledged", "IV"), (3, "acknowledged", "IV")]  # a note keeps the state
    assert [(a["action"], a["operator"], a["identity"], a["note"], a["at"]) for a in noted["actions"]] == [
        ("ack", "alice", "svc.feed", "called the site", NOW), ("note", "bob", "svc.feed", "crew on site", NOW)]
    assert _who(det, "note", opened, note="  ") == []   # a note says something
    [resolved] = _who(det, "resolve", opened)
    assert resolved["actions"][-1]["action"] == "resolve" and _who(det, "note", opened) == []  # closed


def test_an_operator_escalates_to_the_grade_asked_and_never_down():
    det, _ = detector(BURST)
    opened = feed(det, _burst(0, 5))[0]["incident_id"]
    assert _who(det, "escalate", opened, grade="IV") == []            # not above IV
    assert states(_who(det, "escalate", opened, grade="II")) == [(2, "escalated", "II")]
    assert _who(det, "escalate", opened, grade="III") == []           # lower than II
    assert states(_who(det, "escalate", opened)) == [(3, "escalated", "I")]   # one step


def test_a_command_with_who_and_why_survives_its_encoding_and_an_old_one_still_decodes():
    from stream_processors.detect.messages import decode, encode

    full = Command("escalate", "t.burst/350102/20250301T083000.000Z", NOW, "t.burst", "350102", "alice",
                   "svc.feed", "升级", "II")
    assert decode(encode(full)) == full
    old = b'{"k":"c","a":"ack","inc":"t.burst/350102/x","at":5,"r":"t.burst","key":"350102"}'
    assert decode(old) == Command("ack", "t.burst/350102/x", 5, "t.burst", "350102")
    assert decode(old.replace(b'"key"', b'"grade":"V","key"')) is None   # no such grade
