"""The detector against the real broker and registry: a generated scenario (a burst of fire
alarms in one county, a hotline spike in one district, quiet control regions, a rising water
level, an accident re-reported worse, a gas smell on the hotline) yields exactly the expected
incidents, escalations and resolutions, with nothing duplicated after the detector is
restarted mid-scenario (its windows and incidents come back from the table changelogs).
Operators acknowledge and resolve through the `govbus incident` command.
"""
from __future__ import annotations

from collections import defaultdict

from commands.localstack.stack import free_port
from tests.integration.stream_processors.detect import scenario
from tests.integration.stream_processors.detect.harness import Detector, all_versions, publish, wait_for, wait_metric

IDS = scenario.EXPECTED_IDS


def _state(latest: dict, name: str) -> tuple:
    record = latest.get(IDS[name])
    return (record["state"], record["grade"], record["version"]) if record else None


def _before_restart(latest: dict) -> bool:
    return (_state(latest, "fire") == ("open", "IV", 2) and _state(latest, "spike") == ("open", "IV", 3)
            and _state(latest, "water") == ("open", "IV", 1)
            and _state(latest, "accident") == ("open", "IV", 1))


def _after_restart(latest: dict) -> bool:
    return (_state(latest, "fire") == ("resolved", "III", 9) and _state(latest, "spike") == ("resolved", "IV", 7)
            and _state(latest, "water") == ("resolved", "III", 3)
            and _state(latest, "accident") == ("escalated", "III", 2)
            and _state(latest, "gas") == ("open", "IV", 1))


def _histories(settings) -> dict[str, list[tuple]]:
    histories: dict[str, list[tuple]] = defaultdict(list)
    for record in all_versions(settings):
        histories[record["incident_id"]].append((record["version"], record["state"], record["grade"]))
    return histories


def _run_scenario(settings, detector: Detector) -> tuple[dict[str, str], dict[str, dict]]:
    """(business key → event id, newest incident versions) after the whole scenario."""
    first, second, late = scenario.build()
    event_ids = publish(settings, first.records)
    detector.start()
    wait_for(settings, detector, _before_restart)
    detector.stop()  # mid-scenario: the burst and the spike are still running
    detector.start()
    event_ids |= publish(settings, second.records)
    latest = wait_for(settings, detector, _after_restart)
    assert "acknowledged" in detector.operator("ack", IDS["accident"])
    assert "resolved" in detector.operator("resolve", IDS["gas"])
    publish(settings, late.records)
    wait_metric(detector, "govbus_late_records_total", 1, rule="fire.alarm_burst")
    wait_metric(detector, "govbus_incidents_open", 1, grade="III", state="acknowledged")  # the accident
    wait_metric(detector, "govbus_incident_unacknowledged_age_seconds", 0, grade="III")  # acknowledged: none waits
    wait_metric(detector, "govbus_incidents_open", 0, grade="IV")
    return event_ids, latest


def test_scenario_yields_exactly_the_expected_incidents(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    detector = Detector(settings, tmp_path, free_port())
    try:
        event_ids, latest = _run_scenario(settings, detector)
    finally:
        detector.stop()
    histories = _histories(settings)
    assert set(histories) == set(IDS.values()), sorted(histories)  # no control region, no duplicate
    for incident_id, history in histories.items():
        assert [v for v, _, _ in history] == list(range(1, len(history) + 1)), (incident_id, history)
    states = {name: [s for _, s, _ in histories[i]] for name, i in IDS.items()}
    assert states["fire"] == ["open"] * 5 + ["escalated"] * 3 + ["resolved"]
    assert states["spike"] == ["open"] * 6 + ["resolved"]
    assert states["water"] == ["open", "escalated", "resolved"]
    assert states["accident"] == ["open", "escalated", "acknowledged"]
    assert states["gas"] == ["open", "resolved"]

    fire = latest[IDS["fire"]]
    burst = {event_ids[f"FA-{100 + i:06d}"] for i in range(12)}
    assert set(fire["triggering_event_ids"]) == burst  # the 12 alarms, not the false or test ones
    assert fire["warning_colour"] == "yellow" and fire["category"] == "accident_disaster"
    assert fire["resolved_at"] == scenario.at(24, 46 + 30)  # last window that held + 30 min clear
    assert latest[IDS["water"]]["resolved_at"] == scenario.at(31)
    assert latest[IDS["spike"]]["resolved_at"] == scenario.at(27)
    assert len(latest[IDS["spike"]]["triggering_event_ids"]) == 15
    assert latest[IDS["accident"]]["matched_terms"] == ["deaths>=1", "deaths>=3"]
    gas = latest[IDS["gas"]]
    assert {"燃气泄漏", "燃气味", "category:0110"} <= set(gas["matched_terms"])
    assert gas["triggering_event_ids"] == [event_ids["GD0000009000001"]]
