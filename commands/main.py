"""The `govbus` command. Settings are read here, once, and passed down."""
from __future__ import annotations

import sys
import time

import typer
from rich.console import Console
from rich.text import Text

from commands.exits import REFUSED, Failure
from commands.localstack import StackState, stack_down, stack_status, stack_up
from commands.localstack.tools import StackError
from commands.world import failure_of
from govbus.core import compiled, identities
from govbus.core.credentials import IdentityFile
from govbus.core.settings import GovbusSettings

app = typer.Typer(help="govbus: the government data exchange bus.", no_args_is_help=True)
stack_app = typer.Typer(help="The local Kafka broker and schema registry (no Docker).", no_args_is_help=True)
app.add_typer(stack_app, name="stack")
console = Console()


@stack_app.command("up")
def stack_up_cmd(brokers: int | None = typer.Option(
        None, help="Kafka nodes of a new stack: 1 (default, GOVBUS_STACK_BROKERS) or 3 (replication "
                   "factor 3, min.insync.replicas 2). An existing stack keeps its number."),
                 monitoring: bool = typer.Option(False, "--monitoring", help=(
                     "Also start Prometheus (Debian's `prometheus`), scraping every role that writes "
                     "<stack dir>/targets/*.json, with deploy/monitoring/alerts.yml."))) -> None:
    """Fetch (once) and start the broker(s) and registry; does nothing if they already run."""
    settings = GovbusSettings()
    started = time.monotonic()
    try:
        state = stack_up(settings, brokers, monitoring)
    except StackError as exc:
        console.print(f"[red]stack up failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    if "prometheus" in state.pids:
        console.print(f"prometheus http://127.0.0.1:{state.prometheus_port}  (targets: {settings.stack_dir}/targets)")
    console.print(f"broker    {state.bootstrap} {state.listener}\nregistry  {state.registry_url}\n"
                  f"CA        {state.tls.ca_cert}\nACLs      {state.acls or 'unchanged'} (`govbus acl plan`)\n"
                  f"ready in {time.monotonic() - started:.1f}s (state: {settings.stack_dir}/state.json)")


@stack_app.command("down")
def stack_down_cmd(purge: bool = typer.Option(False, help="Also delete the broker's data.")) -> None:
    """Stop the registry, its identity provider and the broker; no Java process is left behind."""
    stack_down(GovbusSettings(), purge=purge)
    console.print("stack stopped")


@stack_app.command("status")
def stack_status_cmd() -> None:
    """Say whether the broker, the registry and its identity provider are up and where."""
    settings = GovbusSettings()
    state, running = stack_status(settings)
    if state is None:
        console.print("no local stack (run `govbus stack up`)")
        raise typer.Exit(1)
    _print_kafka(state, running, settings)
    console.print(f"keycloak  {'up' if running['keycloak'] else 'down'}  "
                  f"http://127.0.0.1:{state.keycloak_port}  pid {state.pids.get('keycloak')}")
    console.print(f"registry  {'up' if running['registry'] else 'down'}  {state.registry_url}  "
                  f"pid {state.pids.get('registry')}")
    if "prometheus" in running:
        console.print(f"prometheus {'up' if running['prometheus'] else 'down'}  "
                      f"http://127.0.0.1:{state.prometheus_port}  pid {state.pids.get('prometheus')}")
    console.print(f"listener  {state.listener}  CA {state.tls.ca_cert}\n"
                  f"identities {state.identity_store.path(identities.ADMIN).parent}")
    if not all(running.values()):
        raise typer.Exit(1)


def _print_kafka(state: StackState, running: dict[str, bool], settings: GovbusSettings) -> None:
    """Each Kafka node; for several, the controller quorum and the partitions' replication."""
    from commands.localstack import quorum

    nodes = state.kafka_nodes
    for node in nodes:
        console.print(quorum.node_line(node, running[node.name], state.pids.get(node.name), len(nodes) > 1))
    if len(nodes) > 1 and any(running[node.name] for node in nodes):
        admin = state.identity_store
        found, problem = quorum.describe_quorum(state.bootstrap, IdentityFile.read(admin.path(identities.ADMIN)),
                                                settings.cache_dir)
        console.print(quorum.quorum_line(found, problem), soft_wrap=True)
        console.print(quorum.partitions_line(quorum.partition_health(admin.admin_client())))


def _register_commands() -> None:
    """Mount every command group. Imported here, not at the top, so that `govbus stack` does not
    pay for Faust, SQLAlchemy and aiohttp imports it never uses."""
    from commands import adapters_cmd, demo, detect_cmd, feed_cmd, run_cmds, status_cmd
    from commands.acl_cmd import acl_app
    from commands.agreements_cmd import agreements_app
    from commands.audit_cmd import audit_app
    from commands.catalogue_cmd import catalogue_app
    from commands.dashboards.command import dashboards_app
    from commands.deploy_cmd import deploy_app
    from commands.dlq_cmd import dlq_app
    from commands.identities_cmd import identities_app
    from commands.keys_cmd import keys_app
    from commands.pool_cmd import pool_app
    from commands.quality_cmd import register as register_quality
    from commands.schemas_cmd import schemas_app
    from commands.topics_cmd import topics_app

    for module in (run_cmds, demo, adapters_cmd, feed_cmd, detect_cmd, status_cmd):
        module.register(app)
    for name, sub_app in (("catalogue", catalogue_app), ("schemas", schemas_app),
                          ("agreements", agreements_app), ("dlq", dlq_app), ("audit", audit_app),
                          ("pool", pool_app), ("identities", identities_app), ("acl", acl_app),
                          ("topics", topics_app), ("deploy", deploy_app), ("keys", keys_app),
                          ("dashboards", dashboards_app)):
        app.add_typer(sub_app, name=name)
    register_quality(app)


_register_commands()


# Stopping or looking at the local stack needs none of the compiled code, and a stale build must
# not leave a running stack without a way to stop it (its processes keep their ports and CPU).
_WITHOUT_COMPILED_CODE = (("stack", "down"), ("stack", "status"))


def _refuse_a_stale_build(argv: list[str]) -> None:
    """A compiled module older than its source would run code that is no longer there."""
    if tuple(argv[:2]) in _WITHOUT_COMPILED_CODE:
        return
    old = compiled.stale()
    if old:
        raise Failure(REFUSED, f"{old[0]} is compiled from an older source ({len(old)} module(s) stale): "
                               "rebuild them with `pip install -e .`")


def main() -> None:
    """The `govbus` entry point: a condition of the world (a wrong password, a missing CA file, no
    broker, a port in use) is one line on stderr and an exit code from ``commands.exits``, never
    a traceback (``commands.world`` says which conditions those are)."""
    try:
        _refuse_a_stale_build(sys.argv[1:])
        app()
    except Exception as exc:
        failure = exc if isinstance(exc, Failure) else failure_of(exc)
        if failure is None:
            raise
        Console(stderr=True).print(Text("govbus: ", style="red") + Text(failure.line), soft_wrap=True)
        raise SystemExit(failure.code) from None


if __name__ == "__main__":
    main()
