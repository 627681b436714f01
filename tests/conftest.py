"""Shared fixtures and the markers.

Every test under ``tests/integration`` is marked ``integration`` and every test under
``tests/e2e`` is marked ``e2e``, by folder (below), so that ``pytest tests/unit`` or
``pytest -m "not integration and not e2e"`` needs neither a broker nor PostgreSQL; a test elsewhere
that asks for the ``broker`` or ``postgres_url`` fixture is a collection error.

The broker fixture gives integration and e2e tests a REAL Kafka broker and
schema registry, in this order of preference:

1. ``GOVBUS_TEST_BOOTSTRAP`` / ``GOVBUS_TEST_REGISTRY`` (an existing stack, e.g. the one .ci/run starts),
   with the identity to connect as: ``GOVBUS_TEST_KAFKA_USER``, ``GOVBUS_TEST_KAFKA_PASSWORD_FILE``,
   ``GOVBUS_TEST_KAFKA_CA_FILE`` (the local stack's bus-admin file and CA; none for a plaintext broker);
   and ``GOVBUS_TEST_REGISTRY_IDENTITY_FILE`` where its registry refuses anonymous writes (the
   local stack's ``<stack dir>/identities/registry.svc.governance.json``);
2. testcontainers, where a Docker engine answers (a developer's laptop);
3. the local stack from deploy/ (Kafka + Apicurio from Maven Central), started for the session
   in a temporary folder and stopped at its end.

Tests write schemas as the registry's governance identity: the fixture puts its file in
``GOVBUS_REGISTRY_IDENTITY_FILE`` for the session, so that processes the tests start inherit it.

A missing broker fails the run: nothing here skips. The same holds for PostgreSQL
(``postgres_url``): ``GOVBUS_TEST_POSTGRES_URL`` if set, else a throwaway cluster started from the
PostgreSQL server binaries (tests/support/postgres.py), else a failure saying so.
"""
from __future__ import annotations

import os
import tempfile
import threading
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from govbus.core.registry_auth import RegistryIdentity, load_identity
from govbus.core.settings import GovbusSettings, connection_env, kafka_config
from tests.support.postgres import PostgresUnavailable, postgres_server

TESTS = Path(__file__).parent
# The folders whose tests need real services, each marked with its own name.
MARKED_FOLDERS = ("integration", "e2e")
# Fixtures only those folders may ask for.
SERVICE_FIXTURES = frozenset({"broker", "postgres_url"})


@pytest.hookimpl(tryfirst=True)  # before -m deselects anything
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    misplaced = []
    for item in items:
        try:
            folder = item.path.relative_to(TESTS).parts[0]
        except ValueError:
            continue
        if folder in MARKED_FOLDERS:
            item.add_marker(getattr(pytest.mark, folder))
        elif SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())):
            misplaced.append(item.nodeid)
    if misplaced:
        raise pytest.UsageError("tests outside tests/integration and tests/e2e ask for a broker or "
                                "PostgreSQL (move them):\n  " + "\n  ".join(misplaced))


@dataclass(frozen=True)
class Broker:
    bootstrap: str
    registry_url: str
    # The identity tests connect as (bus-admin of the stack); empty for a plaintext broker.
    kafka_user: str = ""
    kafka_password_file: Path | None = None
    kafka_ca_file: Path | None = None

    # The registry's governance identity (None: the registry takes anonymous writes).
    registry_identity_file: Path | None = None
    # The pseudonym master key the roles under test use (the stack's, or GOVBUS_TEST_PSEUDONYM_KEY_FILE).
    pseudonym_key_file: Path | None = None
    # The processor's delivery signing key (a session key of its own, or GOVBUS_TEST_SIGNING_KEY_FILE).
    signing_key_file: Path | None = None

    def kafka_identity(self) -> dict:
        return {"kafka_user": self.kafka_user, "kafka_password_file": self.kafka_password_file,
                "kafka_ca_file": self.kafka_ca_file}

    def settings(self, tmp_path: Path, **overrides) -> GovbusSettings:
        """Settings pointing at this broker as its identity, with a pool in ``tmp_path`` and no
        metrics port."""
        values = {"bootstrap_servers": self.bootstrap, "registry_url": self.registry_url,
                  "pool_url": f"sqlite:///{tmp_path / 'pool.db'}", "metrics_port": -1,
                  "registry_identity_file": self.registry_identity_file,
                  "pseudonym_key_file": self.pseudonym_key_file, "signing_key_file": self.signing_key_file,
                  **self.kafka_identity()}
        return GovbusSettings(**(values | overrides))

    def env(self) -> dict[str, str]:
        """``GOVBUS_*`` variables that make a child process connect to this broker as its identity."""
        return connection_env(GovbusSettings(bootstrap_servers=self.bootstrap, registry_url=self.registry_url,
                                             registry_identity_file=self.registry_identity_file,
                                             pseudonym_key_file=self.pseudonym_key_file,
                                             signing_key_file=self.signing_key_file,
                                             **self.kafka_identity()))

    def stack_dir(self) -> Path:
        """The local stack folder this broker's identity file lives in (<stack>/identities/x.json)."""
        assert self.kafka_password_file is not None, "the broker has no identity: not a secure local stack"
        stack = self.kafka_password_file.parent.parent
        assert (stack / "state.json").exists(), f"{stack} is not a local stack folder"
        return stack

    def registry_identity(self) -> RegistryIdentity | None:
        return load_identity(self.registry_identity_file) if self.registry_identity_file else None

    def client_config(self, identity: str | None = None, **overrides) -> dict:
        """librdkafka settings for a client of this broker as its identity, or as ``identity``
        (any identity of the local stack, from its file in the stack's identities/ folder)."""
        connect = self.kafka_identity()
        if identity is not None and identity != self.kafka_user:
            from commands.localstack.identities import identity_path

            connect |= {"kafka_user": identity, "kafka_password_file": identity_path(self.stack_dir(), identity)}
        return kafka_config(GovbusSettings(bootstrap_servers=self.bootstrap, **connect), "admin", **overrides)


def _path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def _test_pseudonym_key() -> Path:
    """GOVBUS_TEST_PSEUDONYM_KEY_FILE, else a key file of the session's own (0600), so that the
    roles under test never run without one: there is no default key."""
    given = _path("GOVBUS_TEST_PSEUDONYM_KEY_FILE")
    if given is not None:
        return given
    from commands.localstack.secrets import ensure_pseudonym_key

    return ensure_pseudonym_key(Path(tempfile.mkdtemp(prefix="govbus-test-key-")))


def _test_signing_key() -> Path:
    """GOVBUS_TEST_SIGNING_KEY_FILE, else a signing key of the session's own (0600): the processor
    under test signs every delivery, and the sinks verify against what it publishes."""
    given = _path("GOVBUS_TEST_SIGNING_KEY_FILE")
    if given is not None:
        return given
    from commands.localstack.secrets import ensure_signing_key

    return ensure_signing_key(Path(tempfile.mkdtemp(prefix="govbus-test-signing-")))


def _env_broker(bootstrap: str, registry: str) -> Broker:
    return Broker(bootstrap, registry, os.environ.get("GOVBUS_TEST_KAFKA_USER", ""),
                  _path("GOVBUS_TEST_KAFKA_PASSWORD_FILE"), _path("GOVBUS_TEST_KAFKA_CA_FILE"),
                  _path("GOVBUS_TEST_REGISTRY_IDENTITY_FILE"), _test_pseudonym_key(), _test_signing_key())


def _docker_answers() -> bool:
    try:
        import docker  # testcontainers depends on it
        docker.from_env(timeout=2).ping()
        return True
    except Exception:  # noqa: BLE001 - any failure means no engine here
        return False


def _testcontainers_broker() -> Iterator[Broker]:
    # Imported lazily: only where a Docker engine answers.
    from testcontainers.core.container import DockerContainer
    from testcontainers.kafka import KafkaContainer

    with KafkaContainer("apache/kafka:4.1.1") as kafka:
        registry = DockerContainer("apicurio/apicurio-registry:3.3.3").with_exposed_ports(8080)
        with registry:
            url = (f"http://{registry.get_container_host_ip()}:"
                   f"{registry.get_exposed_port(8080)}/apis/ccompat/v7")
            from commands.localstack.probe import registry_ready, wait_until
            assert wait_until(lambda: registry_ready(url), 120), "registry container not ready"
            yield Broker(kafka.get_bootstrap_server(), url, signing_key_file=_test_signing_key())


def _local_stack_broker(tmp_dir: Path) -> Iterator[Broker]:
    from commands.localstack import stack_down, stack_up
    from commands.localstack.keycloak import identity_path
    from commands.localstack.secrets import pseudonym_key_path, signing_key_path
    from govbus.core import identities

    settings = GovbusSettings(stack_dir=tmp_dir / "stack")
    state = stack_up(settings)
    try:
        yield Broker(state.bootstrap, state.registry_url, identities.ADMIN,
                     state.identity_store.path(identities.ADMIN), state.tls.ca_cert,
                     identity_path(settings.stack_dir), pseudonym_key_path(settings.stack_dir),
                     signing_key_path(settings.stack_dir))
    finally:
        stack_down(settings)


def _brokers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    bootstrap, registry = os.environ.get("GOVBUS_TEST_BOOTSTRAP"), os.environ.get("GOVBUS_TEST_REGISTRY")
    if bootstrap and registry:
        yield _env_broker(bootstrap, registry)
    elif _docker_answers():
        yield from _testcontainers_broker()
    else:
        yield from _local_stack_broker(tmp_path_factory.mktemp("govbus"))


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A real broker and registry for the whole session (see the module docstring)."""
    with pytest.MonkeyPatch.context() as env:
        for found in _brokers(tmp_path_factory):
            if found.registry_identity_file is not None:
                env.setenv("GOVBUS_REGISTRY_IDENTITY_FILE", str(found.registry_identity_file))
            yield found


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server for the session, because production pools and department databases
    run on PostgreSQL and its dialect differs from SQLite's: ``GOVBUS_TEST_POSTGRES_URL`` (a role
    that may create databases), else a throwaway cluster; fails, never skips, where neither."""
    with ExitStack() as stack:
        try:
            url, problem = stack.enter_context(postgres_server()), None
        except PostgresUnavailable as missing:
            problem = str(missing)
        if problem:
            pytest.fail(problem, pytrace=False)  # outside the except: no chained traceback
        yield url


@pytest.fixture
def unique() -> str:
    """A short unique suffix, so that each test has its own topics and consumer groups."""
    return uuid.uuid4().hex[:8]


@pytest.fixture(autouse=True, scope="module")
def _stop_leftover_probers() -> Iterator[None]:
    """Health probers a module's in-process roles started stop when the module ends: otherwise
    they poll the broker and registry for the rest of the session (a prober decompressing a
    registry answer beside tracemalloc once crashed the whole run)."""
    from govbus.core.health_server import Prober

    before = set(threading.enumerate())
    yield
    for thread in set(threading.enumerate()) - before:
        if isinstance(thread, Prober):
            thread.stop.set()
            thread.watch.changed.set()  # wakes it from its interval wait
