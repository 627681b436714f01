"""Start, stop and inspect the local broker + registry. State lives in ``<stack_dir>/state.json``.

Ports are chosen once (free ones unless configured) and kept in the state file: the KRaft
controller's endpoint is written into the formatted metadata log, so it must not move.
"""
from __future__ import annotations

import getpass
import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from commands.localstack.cluster import (
    KafkaNode,
    bootstrap_of,
    check_broker_count,
    new_kafka_uuid,
    new_nodes,
    node_answers,
    start_nodes,
)
from commands.localstack.identities import StackIdentities, catalogue_identity_names
from commands.localstack.keycloak import keycloak_ready, registry_auth_args, start_keycloak
from commands.localstack.monitoring import (
    claim_port,
    find_prometheus,
    prometheus_ready,
    prune_targets,
    start_prometheus,
)
from commands.localstack.probe import registry_ready, wait_until
from commands.localstack.procs import free_port, log_tail, pid_alive, port_taken, spawn, stop_pid, stop_pids
from commands.localstack.secrets import ensure_audit_signing_key, ensure_pseudonym_key, ensure_signing_key
from commands.localstack.secure import LISTENER, MECHANISM, registry_config
from commands.localstack.tls import TlsFiles
from commands.localstack.tools import REGISTRY_MIN_JAVA, StackError, fetch_apicurio, find_java
from govbus.core import identities
from govbus.core.credentials import CredentialsError, IdentityFile, librdkafka_security
from govbus.core.settings import GovbusSettings


@dataclass
class StackState:
    stack_dir: str
    kafka_port: int
    controller_port: int
    registry_port: int
    cluster_id: str
    pids: dict[str, int] = field(default_factory=dict)
    keycloak_port: int = 0  # the registry's identity provider (commands/localstack/keycloak.py)
    acls: str = ""  # what the last `stack up` did to the broker's ACLs, for its summary line
    # Every Kafka node (commands/localstack/cluster.py); kafka_port and controller_port stay
    # node 1's, for readers of state.json that know one broker. Empty in a folder from before.
    nodes: list[KafkaNode] = field(default_factory=list)
    # Prometheus of `stack up --monitoring` (commands/localstack/monitoring.py); 0: never started.
    prometheus_port: int = 0

    @property
    def kafka_nodes(self) -> list[KafkaNode]:
        return self.nodes or [KafkaNode(1, self.kafka_port, self.controller_port)]

    @property
    def bootstrap(self) -> str:
        """Every node's client address, comma-separated (one address for one node)."""
        return bootstrap_of(self.kafka_nodes)

    @property
    def listener(self) -> str:
        return f"{LISTENER} ({MECHANISM})"

    @property
    def tls(self) -> TlsFiles:
        return TlsFiles.under(Path(self.stack_dir) / "tls")

    @property
    def identity_store(self) -> StackIdentities:
        return StackIdentities(Path(self.stack_dir), self.bootstrap, self.tls.ca_cert)

    def admin_security(self) -> dict[str, object]:
        """librdkafka settings to connect as bus-admin; {} if its file is gone (not ready)."""
        try:
            return librdkafka_security(self.identity_store.admin_identity())
        except CredentialsError:
            return {}

    @property
    def registry_url(self) -> str:
        return f"http://127.0.0.1:{self.registry_port}/apis/ccompat/v7"

    def save(self) -> None:
        # "bootstrap" is written for shell readers (.ci/run) and ignored on load.
        data = asdict(self) | {"bootstrap": self.bootstrap}
        Path(self.stack_dir, "state.json").write_text(json.dumps(data, indent=2))

    @classmethod
    def load(cls, stack_dir: Path) -> "StackState | None":
        path = stack_dir / "state.json"
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["nodes"] = [KafkaNode(**node) for node in values.get("nodes", [])]
        return cls(**values)


# Kept importable from here (tests and commands use them); they live in procs.
__all__ = ["StackState", "free_port", "pid_alive", "stack_down", "stack_status", "stack_up"]
_stop_pid = stop_pid


def _new_state(settings: GovbusSettings, brokers: int) -> StackState:
    cluster_id = new_kafka_uuid()
    nodes = new_nodes(brokers, settings.kafka_port, settings.controller_port, free_port)
    return StackState(str(settings.stack_dir), nodes[0].kafka_port, nodes[0].controller_port,
                      settings.registry_port or free_port(), cluster_id, nodes=nodes)


def _start_broker(state: StackState, settings: GovbusSettings) -> None:
    """Start every Kafka node that does not answer (all of them in a new stack)."""
    security = state.admin_security()
    down = [n for n in state.kafka_nodes if not (pid_alive(state.pids.get(n.name)) and node_answers(n, security, 3))]
    for node in down:
        stop_pid(state.pids.pop(node.name, None))
    if down:
        start_nodes(state, settings, down)


def _ensure_identities(state: StackState, settings: GovbusSettings) -> None:
    """Every identity of the bus (the catalogue's providers, the agreements' recipients, the
    services) that has no file yet gets a credential and a file."""
    stack_ids = state.identity_store
    stack_ids.ensure_all(stack_ids.admin_client(), catalogue_identity_names(settings.catalogue_dir))


def _apply_acls(state: StackState, settings: GovbusSettings) -> Any:
    """Make the broker's ACLs match the compiled plan, with `govbus acl apply`'s code, before
    the registry starts: svc.registry's own ACLs come from the same compiler, so that an
    `acl apply` never removes what the registry needs. Returns the enacted comparison; its
    changes are recorded once the registry (which the audit record's schema needs) is up."""
    from commands.acl_cmd import compare, enact  # lazily: acl_cmd imports this package
    from govbus.core.kafka_acl import AclError

    admin = state.identity_store.admin_client()
    try:
        comparison = compare(settings, admin, datetime.now(timezone.utc))
        enact(admin, comparison.plan)
    except AclError as exc:
        raise StackError(f"applying the compiled ACLs failed: {exc}") from exc
    return comparison


def _record_acls(state: StackState, settings: GovbusSettings, comparison: Any) -> str:
    """Record the enacted changes on audit.acl_changes as bus-admin; the summary line."""
    from commands.acl_cmd import record_changes
    from commands.localstack.keycloak import identity_path

    plan = comparison.plan
    summary = f"{len(plan.add)} added, {len(plan.remove)} removed"
    admin = settings.model_copy(update={
        "bootstrap_servers": state.bootstrap, "registry_url": state.registry_url, "kafka_user": identities.ADMIN,
        "kafka_password_file": state.identity_store.path(identities.ADMIN), "kafka_ca_file": state.tls.ca_cert,
        "registry_identity_file": identity_path(Path(state.stack_dir))})
    problem = record_changes(admin, state.identity_store.admin_client(), comparison, getpass.getuser(),
                             "govbus stack up")
    return f"{summary}; {problem}: run `govbus acl plan` to see the broker's ACLs" if problem else summary


def _start_registry(state: StackState, settings: GovbusSettings) -> None:
    jar = fetch_apicurio(settings.cache_dir)
    java = find_java(REGISTRY_MIN_JAVA)
    root = Path(state.stack_dir)
    log = root / "logs" / "registry.log"
    registry_config(root, IdentityFile.read(state.identity_store.path(identities.Service.REGISTRY)), state.tls.ca_cert)
    _claim_registry_port(state, settings)
    management_port = _another_free_port(state.registry_port)
    # kafkasql keeps the schemas in a Kafka topic, so they survive a registry restart.
    state.pids["registry"] = spawn(
        [str(java), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
         "-Dquarkus.http.host=127.0.0.1", f"-Dquarkus.http.port={state.registry_port}",
         # Apicurio always opens its management interface (default 0.0.0.0:9000): give it a
         # loopback port of its own so two stacks on one machine do not collide.
         "-Dquarkus.management.host=127.0.0.1", f"-Dquarkus.management.port={management_port}",
         # Its Kafka identity (svc.registry, SASL_SSL) is in config/application.properties.
         *registry_auth_args(state.keycloak_port),
         "-Dapicurio.storage.kind=kafkasql",
         f"-Dapicurio.kafkasql.bootstrap.servers={state.bootstrap}",
         "-Dquarkus.log.console.json=false", "-jar", str(jar)], log, root)
    state.save()
    if not wait_until(lambda: registry_ready(state.registry_url), 180, state.pids["registry"]):
        raise StackError(f"Apicurio did not become ready at {state.registry_url}; log tail:\n"
                         f"{log_tail(log)}")


def _claim_registry_port(state: StackState, settings: GovbusSettings) -> None:
    """Keep the registry's port (clients hold its URL) unless a listener holds it for good."""
    if not port_taken(state.registry_port) or wait_until(lambda: not port_taken(state.registry_port), 15):
        return
    if settings.registry_port:
        raise StackError(f"port {state.registry_port} (GOVBUS_REGISTRY_PORT) is in use: stop what holds it "
                         "or choose another port")
    # The port was free when the stack was made; another process has taken it since.
    state.registry_port = _another_free_port(state.registry_port)


def _another_free_port(taken: int) -> int:
    port = free_port()
    while port == taken:
        port = free_port()
    return port


def stack_status(settings: GovbusSettings) -> tuple[StackState | None, dict[str, bool]]:
    """The state and whether each part answers: every Kafka node by its name (``kafka`` for
    node 1, ``kafka-2``, ``kafka-3``), ``keycloak`` and ``registry``."""
    state = StackState.load(settings.stack_dir)
    if state is None:
        return None, {"kafka": False, "keycloak": False, "registry": False}
    security = state.admin_security()
    nodes = {n.name: pid_alive(state.pids.get(n.name)) and node_answers(n, security, 3) for n in state.kafka_nodes}
    parts = nodes | {
        "keycloak": pid_alive(state.pids.get("keycloak")) and keycloak_ready(state.keycloak_port),
        "registry": pid_alive(state.pids.get("registry")) and registry_ready(state.registry_url)}
    if "prometheus" in state.pids:  # only where `stack up --monitoring` started it
        parts["prometheus"] = pid_alive(state.pids["prometheus"]) and prometheus_ready(state.prometheus_port)
    return state, parts


def _wanted_state(settings: GovbusSettings, state: StackState | None, brokers: int | None) -> StackState:
    """The folder's state, or a new one of ``brokers`` nodes (else ``settings.stack_brokers``);
    a folder formatted for another number of nodes is refused (its quorum is in the metadata)."""
    if state is None:
        return _new_state(settings, brokers or settings.stack_brokers)
    if brokers is not None and brokers != len(state.kafka_nodes):
        check_broker_count(brokers)
        raise StackError(f"the stack in {state.stack_dir} has {len(state.kafka_nodes)} Kafka node(s), not {brokers}: "
                         f"`govbus stack down --purge` (deletes its data), then `govbus stack up --brokers {brokers}`")
    return state


def stack_up(settings: GovbusSettings, brokers: int | None = None, monitoring: bool = False) -> StackState:
    """Start whatever part of the stack is not running; a second ``up`` starts nothing.
    ``brokers``: Kafka nodes of a new stack (1 or 3); None keeps what the folder has.
    ``monitoring``: Prometheus too, scraping the roles' targets files (checked for first)."""
    if monitoring:
        find_prometheus()  # a missing binary is said before anything starts
    settings.stack_dir.mkdir(parents=True, exist_ok=True)
    prune_targets(settings.stack_dir)
    found, running = stack_status(settings)
    state = _wanted_state(settings, found, brokers)
    try:
        if not all(running.get(n.name, False) for n in state.kafka_nodes):
            _start_broker(state, settings)
        _ensure_identities(state, settings)
        ensure_pseudonym_key(settings.stack_dir)
        ensure_signing_key(settings.stack_dir)
        ensure_audit_signing_key(settings.stack_dir)
        comparison = _apply_acls(state, settings)  # before the registry: it needs its ACLs
        if not running["keycloak"]:  # before the registry, which reads its OIDC discovery
            _start_identity_provider(state, settings)
        if not running["registry"]:
            _stop_pid(state.pids.pop("registry", None))
            _start_registry(state, settings)
        state.acls = _record_acls(state, settings, comparison)
    except BaseException:
        stack_down(settings)
        raise
    state.save()
    # After the rest, outside the clean-up above: Prometheus failing to start leaves the broker
    # and registry running (they may have been running for hours), and says why.
    if monitoring and not running.get("prometheus"):
        _start_monitoring(state)
    return state


def _start_identity_provider(state: StackState, settings: GovbusSettings) -> None:
    _stop_pid(state.pids.pop("keycloak", None))
    state.keycloak_port = state.keycloak_port or free_port()
    state.pids["keycloak"] = start_keycloak(Path(state.stack_dir), settings.cache_dir, state.keycloak_port)
    state.save()


def _start_monitoring(state: StackState) -> None:
    stop_pid(state.pids.pop("prometheus", None))
    state.prometheus_port = claim_port(state.prometheus_port)
    state.pids["prometheus"] = start_prometheus(Path(state.stack_dir), state.prometheus_port)
    state.save()


def stack_down(settings: GovbusSettings, purge: bool = False) -> None:
    """Stop Prometheus and the registry, then its identity provider and the broker (it is a
    client of both)."""
    state = StackState.load(settings.stack_dir)
    if state is not None:
        for name in ("prometheus", "registry", "keycloak"):
            _stop_pid(state.pids.pop(name, None))
        # All nodes at once: a node stopping alone waits for a quorum the others would take away.
        stop_pids([state.pids.pop(n.name, None) for n in state.kafka_nodes])
        state.save()
    if purge and settings.stack_dir.exists():
        import shutil
        shutil.rmtree(settings.stack_dir)
