"""`govbus deploy render --target strimzi|compose --out DIR`: deployment manifests rendered from
the catalogue and the agreements (docs/deploy.md). Pure rendering in ``commands.render``; this
module reads the settings, the time and the options, and writes the files."""
from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

from commands import exits
from commands.render.model import DEFAULT_OIDC_ISSUER, DeployInputs
from govbus.core.settings import GovbusSettings

deploy_app = typer.Typer(help="Deployment manifests rendered from the catalogue and agreements.",
                         no_args_is_help=True)
console = Console(highlight=False)
DEFAULT_IMAGE = "govbus:0.1.0"


class Target(StrEnum):
    STRIMZI = "strimzi"
    COMPOSE = "compose"


def command_line(target: Target, at: datetime, image: str, oidc_issuer: str) -> str:
    """How to render the same files again (written in each file's header)."""
    line = f"govbus deploy render --target {target.value} --at {at.isoformat()}"
    if image != DEFAULT_IMAGE:
        line += f" --image {image}"
    if oidc_issuer != DEFAULT_OIDC_ISSUER:
        line += f" --oidc-issuer {oidc_issuer}"
    return line


def render_files(target: Target, inputs: DeployInputs, command: str) -> dict[str, str]:
    from commands.render.compose import render_compose
    from commands.render.kubernetes import render_kubernetes

    return (render_kubernetes if target is Target.STRIMZI else render_compose)(inputs, command)


def parse_at(text: str | None) -> datetime:
    if text is None:
        return datetime.now(timezone.utc).replace(microsecond=0)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise exits.Failure(exits.REFUSED, f"--at {text!r} is not an ISO time "
                                           f"(e.g. 2026-12-01T00:00:00+00:00)") from None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def write_files(out: Path, files: dict[str, str]) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (out / name).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise exits.Failure(exits.REFUSED, f"cannot write the manifests to {out}: {exc.strerror or exc}; "
                                           f"pick a folder you may write") from None


@deploy_app.command("render")
def render_cmd(
        target: Target = typer.Option(..., help="strimzi: Kubernetes with the Strimzi, KEDA, CloudNativePG and "
                                      "Apicurio operators; compose: one host."),
        out: Path = typer.Option(..., help="The folder to write the files to (made if missing)."),
        at: str | None = typer.Option(None, help="ISO time whose agreements in force give the ACLs "
                                      "(default: now); the committed examples use a fixed one."),
        image: str = typer.Option(DEFAULT_IMAGE, help="The govbus image (deploy/image/Containerfile)."),
        oidc_issuer: str = typer.Option(DEFAULT_OIDC_ISSUER, help="The registry's OIDC issuer (a Keycloak realm)."),
) -> None:
    """Write the manifests for TARGET to OUT: Kafka, topics and users, PostgreSQL, the registry, the roles."""
    from commands.render.inputs import deploy_inputs

    when = parse_at(at)
    inputs = deploy_inputs(GovbusSettings(), when, image, oidc_issuer)
    files = render_files(target, inputs, command_line(target, when, image, oidc_issuer))
    write_files(out, files)
    for name in files:
        console.print(f"wrote {out / name}")
    console.print(f"{len(inputs.topics)} topics, {len(inputs.acls) + 1} identities, {len(inputs.roles)} roles "
                  f"(ACLs of the agreements in force at {when.isoformat()})")
