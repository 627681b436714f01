"""The role notes where every raw and dlq partition it reads stands (stream_processors/quality/role.py),
so that a period closes only once every input its scorecard counts has been read to its end."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaError, TopicPartition

from govbus.core.health_server import Health
from govbus.core.outage_watch import OutageWatch
from govbus.core.settings import GovbusSettings
from stream_processors.quality.closing import close_due
from stream_processors.quality.logic import fold_record
from stream_processors.quality.observe import Observation
from stream_processors.quality.role import QualityRole
from stream_processors.quality.spec import DAY_MS

T = 1_764_547_200_000  # a day start (UTC)
HEALTH = "health.case_report"


class Read:
    """A message as consume() hands it over: a record at ``offset``, or the partition's end (EOF)."""

    def __init__(self, topic: str, offset: int | None) -> None:
        self._topic, self._offset = topic, offset

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return 0

    def offset(self) -> int | None:
        return self._offset

    def error(self) -> KafkaError | None:
        return KafkaError(KafkaError._PARTITION_EOF) if self._offset is None else None


class Ends:
    def get_watermark_offsets(self, _tp: TopicPartition, cached: bool = False) -> tuple[int, int]:
        return 0, 2  # every partition holds offsets 0 and 1


def _role(tmp_path: Path) -> QualityRole:
    key = tmp_path / "pseudonym.key"
    key.write_text("k" * 64)
    key.chmod(0o600)
    settings = GovbusSettings(pseudonym_key_file=key, topic_prefix="t")
    return QualityRole(settings, None, None, Health(OutageWatch("quality"), ()))  # type: ignore[arg-type]


def _report(role: QualityRole, event_ms: int, eid: str) -> Observation:
    spec = role.specs[HEALTH]
    return Observation(HEALTH, eid, event_ms, event_ms, (True,) * len(spec.required), eid, (None,) * len(spec.checks))


@pytest.mark.parametrize(("at_end", "closes"), [
    ([], False),                                  # the dlq and the referenced raw topic not read yet
    (["dlq"], False),                             # population.resident (its check's base) still behind
    (["base"], False),                            # the dlq still behind
    (["dlq", "base"], True),
])
def test_the_raw_topic_read_to_its_end_alone_closes_nothing(tmp_path: Path, at_end: list[str], closes: bool) -> None:
    role = _role(tmp_path)
    topics: dict[str, Any] = {"raw": role.topics.raw(HEALTH), "dlq": role.topics.dlq(HEALTH),
                              "base": role.topics.raw("population.resident")}
    consumer: Any = Ends()
    role._on_assign(consumer, [TopicPartition(t, 0) for t in topics.values()])
    fold_record(role.state, _report(role, T + 10, "e1"), 0)
    fold_record(role.state, _report(role, T + 3 * DAY_MS, "now"), 0)  # moves the watermark past the day
    read: list[Any] = [Read(topics["raw"], 1), *(Read(topics[name], None) for name in at_end)]
    role._note_positions(consumer, read)
    assert bool([c for c in close_due(role.state, 0) if c["dataset"] == HEALTH]) is closes
