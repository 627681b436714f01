"""Shared fixtures. The broker fixture gives integration and e2e tests a REAL Kafka broker and
schema registry, in this order of preference:

1. ``GOVBUS_TEST_BOOTSTRAP`` / ``GOVBUS_TEST_REGISTRY`` (an existing stack, e.g. the one .ci/run starts);
2. testcontainers, where a Docker engine answers (a developer's laptop);
3. the local stack from deploy/ (Kafka + Apicurio from Maven Central), started for the session
   in a temporary folder and stopped at its end.

A missing broker fails the run: nothing here skips.
"""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from govbus.core.settings import GovbusSettings


@dataclass(frozen=True)
class Broker:
    bootstrap: str
    registry_url: str

    def settings(self, tmp_path: Path, **overrides) -> GovbusSettings:
        """Settings pointing at this broker, with a pool in ``tmp_path`` and no metrics port."""
        values = {"bootstrap_servers": self.bootstrap, "registry_url": self.registry_url,
                  "pool_url": f"sqlite:///{tmp_path / 'pool.db'}", "metrics_port": -1}
        return GovbusSettings(**(values | overrides))


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
            yield Broker(kafka.get_bootstrap_server(), url)


def _local_stack_broker(tmp_dir: Path) -> Iterator[Broker]:
    from commands.localstack import stack_down, stack_up

    settings = GovbusSettings(stack_dir=tmp_dir / "stack")
    state = stack_up(settings)
    try:
        yield Broker(state.bootstrap, state.registry_url)
    finally:
        stack_down(settings)


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A real broker and registry for the whole session (see the module docstring)."""
    bootstrap, registry = os.environ.get("GOVBUS_TEST_BOOTSTRAP"), os.environ.get("GOVBUS_TEST_REGISTRY")
    if bootstrap and registry:
        yield Broker(bootstrap, registry)
    elif _docker_answers():
        yield from _testcontainers_broker()
    else:
        yield from _local_stack_broker(tmp_path_factory.mktemp("govbus"))


@pytest.fixture
def unique() -> str:
    """A short unique suffix, so that each test has its own topics and consumer groups."""
    return uuid.uuid4().hex[:8]
