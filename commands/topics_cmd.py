"""`govbus topics plan | apply`: the broker's topics made to match the catalogue and agreements.

``plan`` prints one line per action (create, grow, alter config, and what is left as is: a
shrink the plan would need, a different replication factor) and exits 0; with ``--check`` it
exits 1 (FINDINGS) while anything differs, for a scheduler to watch. ``apply`` creates missing
topics, grows partitions (AdminClient.create_partitions) and sets configuration incrementally;
it never shrinks or deletes a topic. Growing re-maps keys to partitions (a warning says so).
Both run as the administrator (``bus-admin``): the roles only create what is missing.
"""
from __future__ import annotations

import typer
from confluent_kafka.admin import AdminClient
from rich.console import Console
from rich.markup import escape

from commands import exits
from commands.endpoints import with_endpoints
from commands.exits import Failure
from govbus.core import identities
from govbus.core.settings import GovbusSettings, kafka_config
from govbus.core.topic_plan import GROW_WARNING, ActionKind, TopicAction, TopicSpec

topics_app = typer.Typer(help="Topics and partitions from the catalogue and the agreements: plan, apply.",
                         no_args_is_help=True)
console = Console(highlight=False, width=200)
TOPICS_IDENTITY = identities.ADMIN


def bus_plan(settings: GovbusSettings) -> list[TopicSpec]:
    """Every topic of the bus, from the catalogue and all agreements (govbus.core.topic_plan)."""
    from govbus.core.agreements import load_agreements
    from govbus.core.catalogue import load_catalogue
    from govbus.core.topic_plan import planned_topics

    agreements = load_agreements(settings.catalogue_dir).agreements.values()
    return planned_topics(settings, load_catalogue(settings.catalogue_dir), agreements)


def compare(settings: GovbusSettings, admin: AdminClient) -> tuple[list[TopicSpec], list[TopicAction]]:
    """The plan, and what makes the broker match it."""
    from govbus.core.kafka_admin import existing_topics
    from govbus.core.topic_plan import diff_topics

    plan = bus_plan(settings)
    return plan, diff_topics(plan, existing_topics(admin, [spec.name for spec in plan]))


def action_lines(actions: list[TopicAction]) -> list[str]:
    """One aligned line per action: what, which topic, the detail."""
    kind_width = max((len(a.kind.value) for a in actions), default=0)
    name_width = max((len(a.spec.name) for a in actions), default=0)
    return [f"{a.kind.value:<{kind_width}}  {a.spec.name:<{name_width}}  {a.detail}" for a in actions]


def _print(actions: list[TopicAction], planned: int) -> None:
    for line in action_lines(actions):
        console.print(escape(line), soft_wrap=True)
    if any(a.kind is ActionKind.grow for a in actions):
        console.print(f"[yellow]warning: {escape(GROW_WARNING)}[/yellow]", soft_wrap=True)
    counts = {kind: sum(1 for a in actions if a.kind is kind) for kind in ActionKind}
    console.print(f"{planned} topics planned: {counts[ActionKind.create]} to create, {counts[ActionKind.grow]} to "
                  f"grow, {counts[ActionKind.alter]} to alter, "
                  f"{counts[ActionKind.refuse_shrink] + counts[ActionKind.replication]} left as is")


def _settings() -> GovbusSettings:
    return with_endpoints(GovbusSettings(), identity=TOPICS_IDENTITY)


@topics_app.command("plan")
def plan_cmd(check: bool = typer.Option(False, "--check",
                                        help="Exit 1 when the broker differs from the plan.")) -> None:
    """Print what `apply` would do to make the broker's topics match the plan."""
    settings = _settings()
    plan, actions = compare(settings, AdminClient(kafka_config(settings, "admin")))
    _print(actions, len(plan))
    if check and actions:
        raise typer.Exit(exits.FINDINGS)


@topics_app.command("apply")
def apply_cmd() -> None:
    """Create missing topics, grow partitions, set configuration; never shrink or delete."""
    from govbus.core.kafka_admin import enact_topic_actions

    settings = _settings()
    admin = AdminClient(kafka_config(settings, "admin"))
    plan, actions = compare(settings, admin)
    _print(actions, len(plan))
    enacted = enact_topic_actions(admin, actions)
    for action, reason in enacted.failed:
        line = f"{action.kind.value} {action.spec.name} failed: {reason}"
        console.print(f"[red]{escape(line)}[/red]", soft_wrap=True)
    if enacted.failed:
        raise Failure(exits.STOPPED_PART_WAY, f"{len(enacted.done)} topic changes made, {len(enacted.failed)} failed "
                                              "(listed above): fix their cause and run `govbus topics apply` again")
    console.print(f"applied {len(enacted.done)} topic changes")
    if any(not a.enacted for a in actions):
        raise typer.Exit(exits.FINDINGS)  # a shrink or a replication change is the operator's to decide
