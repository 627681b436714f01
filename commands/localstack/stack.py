"""Start, stop and inspect the local broker + registry. State lives in ``<stack_dir>/state.json``.

Ports are chosen once (free ones unless configured) and kept in the state file: the KRaft
controller's endpoint is written into the formatted metadata log, so it must not move.
"""
from __future__ import annotations

import getpass
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from base64 import urlsafe_b64encode
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from commands.localstack.identities import StackIdentities, catalogue_identity_names
from commands.localstack.keycloak import keycloak_ready, registry_auth_args, start_keycloak
from commands.localstack.probe import broker_ready, registry_ready, wait_until
from commands.localstack.secrets import ensure_pseudonym_key
from commands.localstack.secure import (
    LISTENER,
    MECHANISM,
    broker_values,
    format_storage,
    registry_config,
)
from commands.localstack.tls import TlsFiles, ensure_tls
from commands.localstack.tools import (
    BROKER_MIN_JAVA,
    DEPLOY_DIR,
    REGISTRY_MIN_JAVA,
    StackError,
    fetch_apicurio,
    fetch_kafka,
    find_java,
)
from govbus.core import identities
from govbus.core.credentials import CredentialsError, IdentityFile, librdkafka_security, write_private
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

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

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
        Path(self.stack_dir, "state.json").write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, stack_dir: Path) -> "StackState | None":
        path = stack_dir / "state.json"
        return cls(**json.loads(path.read_text())) if path.exists() else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child still answers kill(0): check its state.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


def _new_state(settings: GovbusSettings) -> StackState:
    cluster_id = urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    return StackState(str(settings.stack_dir), settings.kafka_port or free_port(),
                      settings.controller_port or free_port(), settings.registry_port or free_port(),
                      cluster_id)


def _log_tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return f"(no log at {path})"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _spawn(cmd: list[str], log: Path, cwd: Path) -> int:
    with log.open("ab") as handle:
        proc = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, cwd=cwd,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    return proc.pid


def _render(template: str, target: Path, **values: object) -> None:
    text = (DEPLOY_DIR / template).read_text()
    write_private(target, text.format(**values))  # server.properties holds bus-admin's password


def _admin_file(state: StackState, data: Path) -> IdentityFile:
    """bus-admin's identity, refusing a folder formatted before the stack had security (its
    metadata holds no SCRAM credential, so the broker could not log in to itself)."""
    path = state.identity_store.path(identities.ADMIN)
    if (data / "meta.properties").exists() and not path.exists():
        raise StackError(f"{state.stack_dir} was formatted without security (no {path}): "
                         f"run `govbus stack down --purge` and `govbus stack up` to start it afresh")
    return state.identity_store.ensure_admin_file()


def _start_broker(state: StackState, settings: GovbusSettings) -> None:
    libs = fetch_kafka(settings.cache_dir)
    java = find_java(BROKER_MIN_JAVA)
    root = Path(state.stack_dir)
    data, logs = root / "kafka-data", root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    admin = _admin_file(state, data)
    props = root / "server.properties"
    _render("server.properties.template", props, kafka_port=state.kafka_port,
            controller_port=state.controller_port, data_dir=data, **broker_values(ensure_tls(root / "tls"), admin))
    _render("log4j2.properties.template", root / "log4j2.properties", log_file=logs / "kafka.log")
    classpath = f"{libs}/*"
    if not (data / "meta.properties").exists():
        format_storage(java, classpath, props, state.cluster_id, admin)
    state.pids["kafka"] = _spawn(
        [str(java), "-Xms128m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
         f"-Dlog4j2.configurationFile={root / 'log4j2.properties'}", "-cp", classpath,
         "kafka.Kafka", str(props)], logs / "kafka.out", root)
    state.save()
    security = state.admin_security()
    if not wait_until(lambda: broker_ready(state.bootstrap, security), 90, state.pids["kafka"]):
        raise StackError(f"Kafka did not become ready on {state.bootstrap}; log tail:\n"
                         f"{_log_tail(logs / 'kafka.log')}\n{_log_tail(logs / 'kafka.out', 10)}")


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
    # kafkasql keeps the schemas in a Kafka topic, so they survive a registry restart.
    state.pids["registry"] = _spawn(
        [str(java), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
         "-Dquarkus.http.host=127.0.0.1", f"-Dquarkus.http.port={state.registry_port}",
         # Apicurio always opens its management interface (default 0.0.0.0:9000): give it a
         # loopback port of its own so two stacks on one machine do not collide.
         "-Dquarkus.management.host=127.0.0.1", f"-Dquarkus.management.port={free_port()}",
         # Its Kafka identity (svc.registry, SASL_SSL) is in config/application.properties.
         *registry_auth_args(state.keycloak_port),
         "-Dapicurio.storage.kind=kafkasql",
         f"-Dapicurio.kafkasql.bootstrap.servers={state.bootstrap}",
         "-Dquarkus.log.console.json=false", "-jar", str(jar)], log, root)
    state.save()
    if not wait_until(lambda: registry_ready(state.registry_url), 180, state.pids["registry"]):
        raise StackError(f"Apicurio did not become ready at {state.registry_url}; log tail:\n"
                         f"{_log_tail(log)}")


def stack_status(settings: GovbusSettings) -> tuple[StackState | None, dict[str, bool]]:
    state = StackState.load(settings.stack_dir)
    if state is None:
        return None, {"kafka": False, "keycloak": False, "registry": False}
    return state, {"kafka": pid_alive(state.pids.get("kafka")) and broker_ready(state.bootstrap,
                                                                                state.admin_security(), 3),
                   "keycloak": pid_alive(state.pids.get("keycloak")) and keycloak_ready(state.keycloak_port),
                   "registry": pid_alive(state.pids.get("registry")) and registry_ready(state.registry_url)}


def stack_up(settings: GovbusSettings) -> StackState:
    """Start whatever part of the stack is not running; a second ``up`` starts nothing."""
    settings.stack_dir.mkdir(parents=True, exist_ok=True)
    state, running = stack_status(settings)
    state = state or _new_state(settings)
    try:
        if not running["kafka"]:
            _stop_pid(state.pids.pop("kafka", None))
            _start_broker(state, settings)
        _ensure_identities(state, settings)
        ensure_pseudonym_key(settings.stack_dir)
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
    return state


def _start_identity_provider(state: StackState, settings: GovbusSettings) -> None:
    _stop_pid(state.pids.pop("keycloak", None))
    state.keycloak_port = state.keycloak_port or free_port()
    state.pids["keycloak"] = start_keycloak(Path(state.stack_dir), settings.cache_dir, state.keycloak_port)
    state.save()


def _stop_pid(pid: int | None, timeout: float = 30.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after ``timeout``."""
    if pid is None or not pid_alive(pid):
        return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.1)


def stack_down(settings: GovbusSettings, purge: bool = False) -> None:
    """Stop the registry, then its identity provider and the broker (it is a client of both)."""
    state = StackState.load(settings.stack_dir)
    if state is not None:
        for name in ("registry", "keycloak", "kafka"):
            _stop_pid(state.pids.pop(name, None))
        state.save()
    if purge and settings.stack_dir.exists():
        import shutil
        shutil.rmtree(settings.stack_dir)
