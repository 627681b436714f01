"""`govbus quality run` on the real broker: a small slice of a department's records and one dead
letter on prefixed raw and dlq topics, the role in a thread, and the scorecards of their closed
hour and day arrive on quality.scorecards and on the department's feedback.health, with the
figures the slice implies (one test, one module-scoped run: the lane's CI budget)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from govbus.core.catalogue import load_catalogue
from govbus.core.deadletter import Origin, dead_letter_record, load_dead_letter_schema
from govbus.core.kafka_admin import create_planned_topics
from govbus.core.result import Fault
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config, topic_names
from govbus.core.topic_plan import dataset_topics
from govbus.core.topics import value_subject
from stream_processors.quality.main import run_quality
from stream_processors.quality.read import read_scorecards
from tests.support.samples import SAMPLES

HOUR = timedelta(hours=1)
# Two days ago, 10:00 UTC: an hour and a day the watermark (the newest record, now) has passed.
PAST = (datetime.now(timezone.utc) - timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)


def _record(dataset: str, at: datetime, **fields: Any) -> dict[str, Any]:
    sample = SAMPLES[dataset]
    return sample | fields | {"envelope": sample["envelope"] | {"event_id": str(uuid.uuid4()), "event_time": at}}


class Slice:
    """Encodes and produces records and letters to this test's prefixed topics."""

    def __init__(self, settings: GovbusSettings) -> None:
        self.settings, self.topics = settings, topic_names(settings)
        self.serde = Serde.from_settings(settings)
        self.schemas = load_schemas(settings.schemas_dir)
        catalogue = load_catalogue(settings.catalogue_dir)
        admin = AdminClient(kafka_config(settings, "admin"))
        for dataset in ("health.case_report", "population.resident"):
            create_planned_topics(admin, dataset_topics(settings, dataset, catalogue.entries[dataset]))
            self.serde.prepare(value_subject(self.topics.raw(dataset)), self.schemas[dataset].schema)
        self.letters = value_subject(self.topics.dlq("health.case_report"))
        self.serde.prepare(self.letters, load_dead_letter_schema(settings.schemas_dir))
        self.producer = Producer(kafka_config(settings, "producer"))

    def raw(self, record: dict[str, Any]) -> bytes:
        dataset = record["envelope"]["dataset"]
        value = self.serde.encode(value_subject(self.topics.raw(dataset)), record)
        self.producer.produce(self.topics.raw(dataset), key=b"k", value=value)
        return value

    def letter(self, original: bytes) -> None:
        topic = self.topics.raw("health.case_report")
        fault = Fault("bad_check_char", "GB11643.check", "patient_id_no", "check character")
        letter = dead_letter_record(fault, dataset="health.case_report", owner="health",
                                    origin=Origin(topic, 0, 1, b"k", original),
                                    processor="stream_processors.clean", version="test", stage="process")
        self.producer.produce(self.topics.dlq("health.case_report"), value=self.serde.encode(self.letters, letter))

    def flush(self) -> None:
        assert self.producer.flush(30) == 0


@pytest.fixture(scope="module")
def run(broker: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    prefix = f"t{uuid.uuid4().hex[:8]}"
    settings = broker.settings(tmp_path_factory.mktemp("quality"), topic_prefix=prefix,
                               quality_group=f"{prefix}-quality")
    bus = Slice(settings)
    bus.raw(_record("population.resident", PAST + timedelta(minutes=5)))
    for minute, patient in ((10, "35010219850312123X"), (20, "35010219850312123X"), (30, "110105194912310029")):
        original = bus.raw(_record("health.case_report", PAST + timedelta(minutes=minute), patient_id_no=patient))
    bus.raw(_record("health.case_report", PAST + timedelta(minutes=40), disease_code="  "))  # a required field blank
    bus.letter(original)
    bus.raw(_record("health.case_report", datetime.now(timezone.utc)))  # moves the watermark past the slice
    bus.flush()
    stop = threading.Event()
    role = threading.Thread(target=run_quality, args=(settings, None, stop), daemon=True)
    role.start()
    try:
        found = _wait_for(settings, bus.serde, prefix)
    finally:
        stop.set()
        role.join(30)
    return found | {"env": {**broker.env(), "GOVBUS_TOPIC_PREFIX": prefix},  # type: ignore[dict-item]
                    "settings": settings, "serde": bus.serde}  # type: ignore[dict-item]


def _wait_for(settings: GovbusSettings, serde: Serde, prefix: str) -> dict[str, list[dict[str, Any]]]:
    """Read both topics until the slice's health day scorecard is on each (the role publishes both
    in one flush), for at most 25 s."""
    topics = topic_names(settings)
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline:
        found = {name: read_scorecards(settings, serde, name, timeout=10)
                 for name in (topics.quality_scorecards, topics.feedback("health"))}
        if all(any(c["dataset"] == "health.case_report" and c["granularity"] == "day" for c in cards)
               for cards in found.values()):
            return {"scorecards": found[topics.quality_scorecards], "feedback": found[topics.feedback("health")]}
    pytest.fail("no health day scorecard on quality.scorecards and feedback.health within 25 s")


def _card(cards: list[dict[str, Any]], dataset: str, granularity: str) -> dict[str, Any]:
    start = PAST if granularity == "hour" else PAST.replace(hour=0)
    [card] = [c for c in cards if c["dataset"] == dataset and c["granularity"] == granularity
              and c["period_start"] == start]
    return card


@pytest.mark.parametrize("granularity", ["hour", "day"])
def test_the_scorecards_of_the_slice_arrive_with_their_figures(run: dict, granularity: str) -> None:
    card = _card(run["scorecards"], "health.case_report", granularity)
    assert (card["department"], card["records"], card["raw_records"]) == ("health", 4, 4)
    assert (card["failed"], card["passed"], card["complete_records"]) == (1, 3, 3)
    letters = [(d["reason"], d["rule"], d["count"]) for d in card["dead_letters"]]
    assert letters == [("bad_check_char", "GB11643.check", 1)]
    # The two reports of the registered resident find him (whichever topic the role read first:
    # references are looked up when the period closes), the stranger's does not; the fourth
    # report names no patient (not checked).
    assert card["consistency"] == [{"check": "patient_is_resident", "references": "population.resident",
                                    "checked": 3, "broken": 1}]
    assert card["duplicate_event_ids"] == 0


def test_the_department_gets_its_own_scorecards_and_no_other(run: dict) -> None:
    assert {c["department"] for c in run["feedback"]} == {"health"}
    ids = {c["scorecard_id"] for c in run["feedback"]}
    assert ids == {c["scorecard_id"] for c in run["scorecards"] if c["department"] == "health"}


def test_quality_report_prints_the_table_and_writes_the_page(run: dict, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    done = subprocess.run([sys.executable, "-m", "commands.main", "quality", "report", "--department", "health",
                           "--since", "7d", "--html", str(page)], env={**os.environ, **run["env"], "COLUMNS": "250"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "health.case_report" in done.stdout and "GB11643.check" in done.stdout
    assert "public_security" not in done.stdout  # --department: only health's rows
    html = page.read_text(encoding="utf-8")
    assert html.count('<svg class="trend"') == 1 and 'class="dim-validity" d="M' in html


def test_a_bounded_run_scores_the_periods_still_open_when_it_exits(run: dict) -> None:
    """``quality run --idle-exit``: today's period (its watermark has not passed it) is scored at
    the exit instead of being left unpublished; the long-running role (above) leaves it open."""
    settings = run["settings"].model_copy(update={"quality_group": f"{run['settings'].quality_group}-bounded"})
    done: list[Any] = []
    role = threading.Thread(target=lambda: done.append(run_quality(settings, 2.0)), daemon=True)
    role.start()
    role.join(60)
    assert done and done[0].scorecards > 0, done
    cards = read_scorecards(settings, run["serde"], topic_names(settings).quality_scorecards, timeout=10)
    days = {c["period_start"] for c in cards if c["dataset"] == "health.case_report" and c["granularity"] == "day"}
    assert max(days) > PAST, days  # the day of the record stamped "now", still open for the first run
    assert not any(c["period_start"] > PAST.replace(hour=0) for c in run["scorecards"]
                   if c["dataset"] == "health.case_report" and c["granularity"] == "day")
