"""The detector spread over workers: two `govbus detect` workers on raw topics of 6 partitions
raise exactly the incidents one worker raises on the same input, and when one of two workers is
killed (-9) mid-stream, the survivor raises the incidents whose thresholds need records the dead
worker had counted: its table state (changelogs) moved with its partitions.

The input comes in waves, each handled completely (the group's committed offsets at the end of
the raw topics, then of the observations topic) before the next is published. Kafka orders
records only within a partition, so records of one county spread over 6 raw partitions reach
the detector in an order that differs from run to run, with one worker or with two. Eager
detection makes the incident id (the event time of the record that made the condition hold)
and the version history depend on that order; the waves are cut so that no order within a
wave changes them: 4 alarms per county (below the threshold), the 5th (opens), 5 more (each a
new version, the last of them escalates whatever its order), then quiet records that move the
event-time clocks past the clear time.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiokafka.partitioner import murmur2
from confluent_kafka.admin import AdminClient, NewTopic

from commands.localstack.stack import free_port
from govbus.core.kafka_admin import create_missing_topics
from govbus.core.settings import GovbusSettings, kafka_config, topic_names
from stream_processors.detect.main import detector_id, observations_topic
from stream_processors.detect.messages import partition_key
from tests.integration.stream_processors.detect import scenario
from tests.integration.stream_processors.detect.group import assignments, wait_drained, wait_members
from tests.integration.stream_processors.detect.harness import PARTITIONS, Detector, all_versions, publish

RAW_PARTITIONS = 6
T0 = datetime(2025, 3, 1, 10, tzinfo=timezone.utc)
# Fuzhou's counties; the burst counties are picked so that every observations partition holds one.
COUNTIES = ["350102", "350103", "350104", "350105", "350111", "350112", "350121", "350122", "350123"]
CONTROL = "350181"  # four alarms: never a burst
DATASETS = ["fire.alarm", "city.indicator", "transport.traffic_incident", "hotline.work_order"]


def burst_counties() -> list[str]:
    """One county per observations partition (the partitioner of Faust's aiokafka producer)."""
    chosen: dict[int, str] = {}
    for county in COUNTIES:
        key = partition_key("fire.alarm_burst", county)
        chosen.setdefault((murmur2(key) & 0x7FFFFFFF) % PARTITIONS, county)
    assert len(chosen) == PARTITIONS, chosen
    return [chosen[p] for p in sorted(chosen)]


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _alarm(county: str, n: int, minutes: float) -> tuple[str, dict[str, Any]]:
    record = scenario.alarm(0, at(minutes), county)
    return "fire.alarm", record | {"alarm_id": f"FA-{county}-{n:03d}", "device_id": f"SD-{county}-{n:03d}"}


def _reading(hours: float, value: float) -> tuple[str, dict[str, Any]]:
    return "city.indicator", scenario.reading(at(hours * 60), value)


def waves() -> list[list[tuple[str, dict[str, Any]]]]:
    counties = burst_counties()
    below = [_alarm(c, n, n) for c in counties for n in range(4)] + [_alarm(CONTROL, n, n) for n in range(4)]
    below += [_reading(0, 7.2), _reading(1, 7.4)]
    threshold = [_alarm(c, 4, 4) for c in counties] + [_reading(2, 7.6)]
    threshold += [("transport.traffic_incident", scenario.accident("SG20250301001", at(3), 2, 0, 0.0)),
                  ("hotline.work_order", scenario.order(9_000_001, at(5), scenario.A, "0110",
                                                        "楼道里闻到很浓的燃气味，怀疑燃气泄漏！", demand="help"))]
    more = [_alarm(c, n, n) for c in counties for n in range(5, 10)]
    more += [("transport.traffic_incident", scenario.accident("SG20250301001", at(3), 3, 0, 0.0))]
    quiet = [_alarm(c, 99, 80) for c in counties + [CONTROL]] + [_reading(5, 6.2)]
    return [below, threshold, more, quiet]


def _ms(minutes: float) -> int:
    return int(at(minutes).timestamp() * 1000)


class Run:
    """One detector deployment (one or more workers) on a bus of its own (topic prefix)."""

    def __init__(self, broker: Any, tmp_path: Path, prefix: str, workers: int) -> None:
        self.settings: GovbusSettings = broker.settings(tmp_path, topic_prefix=prefix)
        names = topic_names(self.settings)
        self.raw = [names.raw(d) for d in DATASETS]
        create_missing_topics(AdminClient(kafka_config(self.settings, "admin")),
                              [NewTopic(t, num_partitions=RAW_PARTITIONS, replication_factor=-1) for t in self.raw])
        self.group = detector_id(self.settings)
        self.observations = observations_topic(self.group)
        # Each worker its own state dir and metrics port, as two workers on one host would have.
        self.workers = [Detector(self.settings, _dir(tmp_path / f"{prefix}-w{i}"), free_port(), tick_seconds=600)
                        for i in range(workers)]
        self.event_ids: dict[str, str] = {}

    def alive(self) -> None:
        for worker in self.workers:
            if worker.process is not None and worker.process.returncode is None:
                worker.check_alive()

    def start(self) -> None:
        for worker in self.workers:
            worker.start()
        wait_members(self.settings, self.group, len(self.workers), self.observations, self.alive)

    def feed(self, wave: list[tuple[str, dict[str, Any]]]) -> None:
        self.event_ids |= publish(self.settings, wave)
        try:
            wait_drained(self.settings, self.group, [self.raw, [self.observations]], self.alive)
        except AssertionError as stuck:  # who holds what, and what each worker last did about it
            held = assignments(self.settings, self.group)
            logs = "\n".join(worker.rebalance_lines() for worker in self.workers)
            raise AssertionError(f"{stuck}\nassignments: {held}\n{logs}") from None

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()

    def incidents(self) -> dict[str, list[tuple]]:
        """Incident id → its versions as (version, state, grade, resolved_at, business keys of
        the triggering records); the record's own event ids differ from run to run. Which
        records a version in the middle of a wave names depends on the order within the wave:
        only the last version of each incident names them."""
        keys = {event_id: key for key, event_id in self.event_ids.items()}
        out: dict[str, list[tuple]] = {}
        for v in all_versions(self.settings):
            resolved = v["resolved_at"] and int(v["resolved_at"].timestamp() * 1000)
            out.setdefault(v["incident_id"], []).append(
                (v["version"], v["state"], v["grade"], resolved,
                 frozenset(keys.get(i, i) for i in v["triggering_event_ids"])))
        return {i: [v[:4] for v in history[:-1]] + history[-1:] for i, history in out.items()}


def _dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _expected_ids() -> set[str]:
    fire = {f"fire.alarm_burst/{c}/{scenario.stamp(at(4))}" for c in burst_counties()}
    return fire | {f"city.water_level_above_warning/WATER.LEVEL:{scenario.A}/{scenario.stamp(at(120))}",
                   f"transport.accident_grade/SG20250301001/{scenario.stamp(at(3))}",
                   f"hotline.triage_accident/{scenario.GAS_COMMUNITY}:gas_leak/{scenario.stamp(at(5))}"}


@pytest.fixture(scope="module")
def one_worker(broker, tmp_path_factory) -> dict[str, list[tuple]]:
    """The incidents one worker raises on the waves."""
    run = Run(broker, tmp_path_factory.mktemp("one"), f"t1w{_short()}", workers=1)
    try:
        run.start()
        for wave in waves():
            run.feed(wave)
    finally:
        run.stop()
    return run.incidents()


def _short() -> str:
    return uuid.uuid4().hex[:8]


def test_one_worker_raises_the_expected_incidents(one_worker):
    assert set(one_worker) == _expected_ids()
    for incident_id, history in one_worker.items():
        assert [v[0] for v in history] == list(range(1, len(history) + 1)), (incident_id, history)
        if incident_id.startswith("fire."):
            county = incident_id.split("/")[1]
            assert [v[1:3] for v in history] == [("open", "IV")] * 5 + [("escalated", "III"),
                                                                                    ("resolved", "III")]
            assert history[-1][3] == _ms(15 + 30)  # the last window that held ended at 0:15; clear 30 min
            assert history[-1][4] == {f"FA-{county}-{n:03d}" for n in range(10)}


def test_two_workers_raise_exactly_what_one_worker_raises(broker, tmp_path, unique, one_worker):
    run = Run(broker, tmp_path, f"t2w{unique}", workers=2)
    try:
        run.start()
        for wave in waves():
            run.feed(wave)
    finally:
        run.stop()
    assert run.incidents() == one_worker


def test_the_survivor_of_a_killed_worker_counts_what_the_dead_one_saw(broker, tmp_path, unique, one_worker):
    run = Run(broker, tmp_path, f"t2k{unique}", workers=2)
    below, *rest = waves()
    try:
        run.start()
        run.feed(below)
        victim, survivor = run.workers
        # The victim counted some counties' first four alarms (every observations partition
        # holds a burst county, and each worker holds at least one partition) ...
        assert victim.metric("govbus_rule_evaluations_total", rule="fire.alarm_burst", result="clear") > 0
        victim.kill()
        for wave in rest:  # ... and without them no county would reach five
            run.feed(wave)
        assert survivor.metric("govbus_rule_evaluations_total", rule="fire.alarm_burst", result="hit") == \
            len(burst_counties()) * 6
    finally:
        run.stop()
    assert run.incidents() == one_worker
