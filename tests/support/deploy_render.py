"""Rendering the committed examples in a test: the settings that shape them pinned (the test's
environment may set others), and the time the examples were rendered at (docs/deploy.md)."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import cache
from pathlib import Path

from commands.deploy_cmd import DEFAULT_IMAGE, Target, command_line, render_files
from commands.render.inputs import deploy_inputs
from commands.render.model import DEFAULT_OIDC_ISSUER, DeployInputs
from govbus.core.settings import PROJECT_ROOT, GovbusSettings

EXAMPLES_AT = datetime(2026, 12, 1, tzinfo=timezone.utc)
EXAMPLES = {Target.STRIMZI: PROJECT_ROOT / "deploy" / "kubernetes", Target.COMPOSE: PROJECT_ROOT / "deploy" / "compose"}


def example_settings() -> GovbusSettings:
    return GovbusSettings(_env_file=None, topic_prefix="", processor_group="govbus-processor",
                          sink_group="govbus-sink", replication_factor=-1, min_insync_replicas=None,
                          catalogue_dir=PROJECT_ROOT / "catalogue", schemas_dir=PROJECT_ROOT / "schemas" / "avro")


@cache
def example_inputs() -> DeployInputs:
    return deploy_inputs(example_settings(), EXAMPLES_AT, DEFAULT_IMAGE, DEFAULT_OIDC_ISSUER)


@cache
def rendered(target: Target) -> dict[str, str]:
    return render_files(target, example_inputs(), command_line(target, EXAMPLES_AT, DEFAULT_IMAGE, DEFAULT_OIDC_ISSUER))


def committed(target: Target) -> dict[str, str]:
    folder: Path = EXAMPLES[target]
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(folder.iterdir()) if path.is_file()}
