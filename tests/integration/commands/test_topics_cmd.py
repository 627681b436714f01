"""`govbus topics plan | apply` against a real broker: a fresh prefix shows every topic to create,
apply creates them as the catalogue sizes them, a bigger catalogue grows them (with the warning),
a smaller one is refused and left alone."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType
from typer.testing import CliRunner

from commands.topics_cmd import topics_app
from govbus.core.agreements import load_agreements
from govbus.core.catalogue import load_catalogue
from govbus.core.settings import PROJECT_ROOT, GovbusSettings
from govbus.core.topic_plan import GROW_WARNING, planned_topics

runner = CliRunner()
DATASET = "hotline.work_order"


@pytest.fixture
def bus(broker, unique, tmp_path: Path):
    """A prefix of this test's own and a private copy of the catalogue to resize; the prefix's
    topics are deleted at the end."""
    prefix = f"t{unique}"
    catalogue = tmp_path / "catalogue"
    shutil.copytree(PROJECT_ROOT / "catalogue", catalogue)
    env = broker.env() | {"GOVBUS_TOPIC_PREFIX": prefix, "GOVBUS_CATALOGUE_DIR": str(catalogue), "COLUMNS": "250"}
    admin = AdminClient(broker.client_config())
    yield env, catalogue, admin
    mine = [t for t in admin.list_topics(timeout=10).topics if t.startswith(f"{prefix}.")]
    for future in (admin.delete_topics(mine).values() if mine else []):
        future.result(30)


def topics(env: dict[str, str], *args: str):
    return runner.invoke(topics_app, list(args), env=env)


def resize(catalogue: Path, partitions: int) -> None:
    path = catalogue / "resources" / f"{DATASET}.yaml"
    entry = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(yaml.safe_dump(entry | {"partitions": partitions}, allow_unicode=True), encoding="utf-8")


def partitions_of(admin: AdminClient, prefix: str) -> dict[str, int]:
    return {name[len(prefix) + 1:]: len(meta.partitions) for name, meta in admin.list_topics(timeout=10).topics.items()
            if name.startswith(f"{prefix}.")}


def test_plan_apply_grow_and_refuse_to_shrink(bus) -> None:
    env, catalogue, admin = bus
    prefix = env["GOVBUS_TOPIC_PREFIX"]
    settings = GovbusSettings(topic_prefix=prefix)
    plan = planned_topics(settings, load_catalogue(catalogue), load_agreements(catalogue).agreements.values())

    fresh = topics(env, "plan", "--check")
    assert fresh.exit_code == 1, fresh.output
    created = {line.split()[1] for line in fresh.output.splitlines() if line.startswith("create ")}
    assert created == {spec.name for spec in plan}

    applied = topics(env, "apply")
    assert applied.exit_code == 0, applied.output
    assert partitions_of(admin, prefix) == {spec.name[len(prefix) + 1:]: spec.partitions for spec in plan}
    assert partitions_of(admin, prefix)[f"raw.{DATASET}"] == 6
    assert partitions_of(admin, prefix)["audit.deliveries"] == 1
    audit = ConfigResource(ResourceType.TOPIC, f"{prefix}.audit.deliveries")
    assert admin.describe_configs([audit])[audit].result(30)["retention.ms"].value == "-1"
    assert topics(env, "plan", "--check").exit_code == 0

    resize(catalogue, 8)
    grown = topics(env, "apply")
    assert grown.exit_code == 0, grown.output
    assert GROW_WARNING.split(":")[0] in " ".join(grown.output.split())
    after = partitions_of(admin, prefix)
    dataset_topics = {name for name in after if name.endswith(DATASET) and not name.startswith("dlq.")}
    assert len(dataset_topics) >= 2 and {after[name] for name in dataset_topics} == {8}
    assert after[f"dlq.{DATASET}"] == 1

    resize(catalogue, 2)
    shrunk = topics(env, "apply")
    assert shrunk.exit_code == 1, shrunk.output  # done, with a finding: the shrink it refused
    said = " ".join(shrunk.output.split())
    assert f"would shrink: refused, left as is {prefix}.raw.{DATASET} has 8 partitions, plan says 2" in said
    assert partitions_of(admin, prefix)[f"raw.{DATASET}"] == 8
