"""The topic plan (every topic the bus uses, sized by the catalogue) and its diff with a broker."""
from __future__ import annotations

import pytest
import yaml

from govbus.core.agreements import load_agreements
from govbus.core.catalogue import Catalogue, CatalogueError, load_catalogue, load_entry
from govbus.core.settings import PROJECT_ROOT, GovbusSettings
from govbus.core.topic_plan import (
    GROW_WARNING,
    ActionKind,
    ExistingTopic,
    TopicSpec,
    diff_topics,
    pending,
    planned_topics,
    retention_ms,
    spec_of,
)

CATALOGUE_DIR = PROJECT_ROOT / "catalogue"
DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(CATALOGUE_DIR)


def plan(catalogue: Catalogue, **settings: object) -> dict[str, TopicSpec]:
    agreements = load_agreements(CATALOGUE_DIR).agreements.values()
    return {s.name: s for s in planned_topics(GovbusSettings(**settings), catalogue, agreements)}


@pytest.mark.parametrize(("text", "ms"), [
    ("7d", 7 * DAY_MS), ("12h", 12 * 3_600_000), ("30m", 1_800_000), ("90s", 90_000),
    ("500ms", 500), ("2w", 14 * DAY_MS), ("forever", -1), ("infinite", -1)])
def test_retention_in_milliseconds(text: str, ms: int) -> None:
    assert retention_ms(text) == ms


@pytest.mark.parametrize("text", ["", "7", "0d", "7 days", "-1", "1y", "forever!"])
def test_retention_that_is_no_duration_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a retention"):
        retention_ms(text)


@pytest.mark.parametrize(("topic", "partitions", "retention"), [
    ("raw.hotline.work_order", 6, str(7 * DAY_MS)),
    ("shared.public_security_350100.hotline.work_order", 6, str(7 * DAY_MS)),
    ("shared.urban_management_350102.hotline.work_order", 6, str(7 * DAY_MS)),
    ("dlq.hotline.work_order", 1, str(30 * DAY_MS)),
    ("audit.deliveries", 1, "-1"),
    ("audit.redrives", 1, "-1"),
    ("audit.acl_changes", 1, "-1"),
    ("emergency.incidents", 3, "-1"),
])
def test_shipped_catalogue_defaults(catalogue: Catalogue, topic: str, partitions: int, retention: str) -> None:
    spec = plan(catalogue)[topic]
    assert (spec.partitions, spec.replication_factor) == (partitions, -1)
    assert spec.config == {"retention.ms": retention, "cleanup.policy": "delete"}


def test_every_topic_of_the_bus_is_planned(catalogue: Catalogue) -> None:
    planned = plan(catalogue)
    agreements = load_agreements(CATALOGUE_DIR).agreements.values()
    datasets = catalogue.entries.keys()
    expected = ({f"raw.{d}" for d in datasets} | {f"dlq.{d}" for d in datasets}
                | {f"shared.{a.recipient_id}.{a.dataset}" for a in agreements}
                | {"audit.deliveries", "audit.redrives", "audit.acl_changes", "audit.checkpoints",
                   "emergency.incidents", "bus.keys", "quality.scorecards"}
                | {f"feedback.{e.provider.department}" for e in catalogue.entries.values()})
    assert set(planned) == expected
    assert list(planned) == sorted(planned)


def test_bus_keys_is_one_compacted_partition_kept_forever(catalogue: Catalogue) -> None:
    spec = plan(catalogue)["bus.keys"]
    assert (spec.partitions, spec.kind) == (1, "keys")
    assert spec.config == {"cleanup.policy": "compact", "retention.ms": "-1"}
    assert spec_of(GovbusSettings(topic_prefix="t1"), [], "t1.bus.keys").config["cleanup.policy"] == "compact"


def test_the_checkpoint_topic_is_compacted_with_one_partition(catalogue: Catalogue) -> None:
    spec = plan(catalogue)["audit.checkpoints"]
    assert (spec.partitions, spec.config["cleanup.policy"]) == (1, "compact")
    assert spec_of(GovbusSettings(topic_prefix="t1"), [], "t1.audit.checkpoints").config["cleanup.policy"] == "compact"


def test_entry_sizes_its_raw_and_shared_topics(catalogue: Catalogue) -> None:
    entry = catalogue.entries["hotline.work_order"]
    sized = entry.model_copy(update={"partitions": 12, "retention": "forever", "dlq_retention": "90d"})
    bigger = Catalogue(catalogue.resources_dir, catalogue.entries | {"hotline.work_order": sized})
    planned = plan(bigger)
    assert planned["raw.hotline.work_order"].partitions == 12
    assert planned["shared.public_security_350100.hotline.work_order"].config["retention.ms"] == "-1"
    assert planned["dlq.hotline.work_order"].partitions == 1
    assert planned["dlq.hotline.work_order"].config["retention.ms"] == str(90 * DAY_MS)
    assert planned["raw.fire.alarm"].partitions == 6  # other datasets keep theirs
    assert planned["audit.deliveries"].partitions == 1


def test_prefix_replication_and_min_insync_reach_every_topic(catalogue: Catalogue) -> None:
    planned = plan(catalogue, topic_prefix="t1", replication_factor=3, min_insync_replicas=2)
    assert all(name.startswith("t1.") for name in planned)
    assert {s.replication_factor for s in planned.values()} == {3}
    assert {s.config["min.insync.replicas"] for s in planned.values()} == {"2"}


@pytest.mark.parametrize(("name", "partitions", "kind"), [
    ("t1.raw.unknown.dataset", 6, "raw"), ("t1.dlq.unknown.dataset", 1, "dlq"),
    ("t1.shared.x_350100.unknown.dataset", 6, "shared"), ("t1.emergency.incidents", 3, "incidents"),
    ("t1.audit.deliveries", 1, "audit")])
def test_a_topic_the_plan_lacks_gets_its_kinds_defaults(name: str, partitions: int, kind: str) -> None:
    spec = spec_of(GovbusSettings(topic_prefix="t1"), [], name)
    assert (spec.partitions, spec.kind) == (partitions, kind)


def test_a_name_of_no_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="not a topic"):
        spec_of(GovbusSettings(), [], "something.else")


# --- the diff --------------------------------------------------------------------------------

CONFIG = {"retention.ms": "604800000", "cleanup.policy": "delete"}
SPEC = TopicSpec("raw.a.b", 6, -1, CONFIG, "raw")


@pytest.mark.parametrize(("spec", "existing", "kinds"), [
    (SPEC, None, [ActionKind.create]),
    (SPEC, ExistingTopic(6, 1, dict(CONFIG)), []),
    (SPEC, ExistingTopic(1, 1, dict(CONFIG)), [ActionKind.grow]),
    (SPEC, ExistingTopic(12, 1, dict(CONFIG)), [ActionKind.refuse_shrink]),
    (SPEC, ExistingTopic(6, 1, CONFIG | {"retention.ms": "1000"}), [ActionKind.alter]),
    (SPEC, ExistingTopic(6, 1, {}), [ActionKind.alter]),
    (SPEC, ExistingTopic(1, 1, {"cleanup.policy": "compact"}), [ActionKind.grow, ActionKind.alter]),
    (SPEC, ExistingTopic(6, 1, CONFIG | {"segment.bytes": "1"}), []),  # keys the plan does not set
    (TopicSpec("raw.a.b", 6, 3, CONFIG), ExistingTopic(6, 1, dict(CONFIG)), [ActionKind.replication]),
    (TopicSpec("raw.a.b", 6, 3, CONFIG), ExistingTopic(6, 3, dict(CONFIG)), []),
    (TopicSpec("audit.deliveries", 1, -1, CONFIG), ExistingTopic(3, 1, dict(CONFIG)), [ActionKind.refuse_shrink]),
])
def test_diff(spec: TopicSpec, existing: ExistingTopic | None, kinds: list[ActionKind]) -> None:
    actions = diff_topics([spec], {} if existing is None else {spec.name: existing})
    assert [a.kind for a in actions] == kinds


def test_growing_warns_that_keys_move() -> None:
    (action,) = diff_topics([SPEC], {SPEC.name: ExistingTopic(2, 1, dict(CONFIG))})
    assert "2 → 6 partitions" in action.detail and "re-maps keys" in action.detail
    assert "per-key order" in GROW_WARNING


def test_alter_names_only_what_changes() -> None:
    (action,) = diff_topics([SPEC], {SPEC.name: ExistingTopic(6, 1, CONFIG | {"retention.ms": "1"})})
    assert action.changes == {"retention.ms": "604800000"}
    assert "retention.ms: 1 → 604800000" in action.detail


def test_refusals_and_notes_are_not_enacted() -> None:
    actions = diff_topics([SPEC, TopicSpec("raw.c.d", 1, 3, CONFIG)],
                          {SPEC.name: ExistingTopic(12, 1, dict(CONFIG)), "raw.c.d": ExistingTopic(1, 1, dict(CONFIG))})
    assert [a.kind for a in actions] == [ActionKind.refuse_shrink, ActionKind.replication]
    assert pending(actions) == []


def test_topics_beyond_the_plan_are_left_alone() -> None:
    assert diff_topics([], {"raw.other": ExistingTopic(1, 1)}) == []


@pytest.mark.parametrize(("key", "value"), [("partitions", 0), ("partitions", "many"), ("retention", "1y"),
                                            ("dlq_retention", "7 days")])
def test_catalogue_refuses_a_bad_sizing(tmp_path, key: str, value: object) -> None:
    source = CATALOGUE_DIR / "resources" / "hotline.work_order.yaml"
    entry = yaml.safe_load(source.read_text(encoding="utf-8")) | {key: value}
    path = tmp_path / source.name
    path.write_text(yaml.safe_dump(entry, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogueError) as raised:
        load_entry(path)
    assert raised.value.field == key


def test_scorecard_and_feedback_topics_are_compacted_and_kept(catalogue: Catalogue) -> None:
    planned = plan(catalogue)
    for name in ("quality.scorecards", "feedback.health", "feedback.public_security"):
        spec = planned[name]
        assert (spec.partitions, spec.kind) == (1, "quality")
        assert spec.config == {"cleanup.policy": "compact", "retention.ms": "-1"}
