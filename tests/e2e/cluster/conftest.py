"""The three-node stack the cluster tests run against, and only they (the rest of the suite runs
on one node; ``[tool.pytest.ini_options]`` leaves this folder out of a plain ``pytest``).

``GOVBUS_TEST_CLUSTER_STACK_DIR``: the folder of a running ``govbus stack up --brokers 3`` (the
second step of .ci/run starts one). Unset: a three-node stack of the session's own, started in a
temporary folder and stopped at its end. A folder that is not a three-node stack fails the run.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from commands.localstack import StackState, stack_down, stack_up
from commands.localstack.keycloak import identity_path
from commands.localstack.secrets import pseudonym_key_path, signing_key_path
from govbus.core import identities
from govbus.core.settings import GovbusSettings
from tests.conftest import Broker

NODES = 3


def _broker_of(state: StackState) -> Broker:
    folder = Path(state.stack_dir)
    return Broker(state.bootstrap, state.registry_url, identities.ADMIN, state.identity_store.path(identities.ADMIN),
                  state.tls.ca_cert, identity_path(folder), pseudonym_key_path(folder),
                  signing_key_file=signing_key_path(folder))  # the processor signs its deliveries


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GovbusSettings]:
    """Settings naming the three-node stack's folder (``stack_dir``)."""
    given = os.environ.get("GOVBUS_TEST_CLUSTER_STACK_DIR")
    if given:
        state = StackState.load(Path(given))
        if state is None or len(state.kafka_nodes) != NODES:
            pytest.fail(f"GOVBUS_TEST_CLUSTER_STACK_DIR={given} is not a {NODES}-node stack "
                        f"(`GOVBUS_STACK_DIR={given} govbus stack up --brokers {NODES}`)", pytrace=False)
        yield GovbusSettings(stack_dir=Path(given))
        return
    settings = GovbusSettings(stack_dir=tmp_path_factory.mktemp("cluster") / "stack")
    stack_up(settings, brokers=NODES)
    try:
        yield settings
    finally:
        stack_down(settings)


@pytest.fixture(scope="session")
def cluster_broker(cluster: GovbusSettings) -> Broker:
    """The three-node stack as the tests' Broker: every node in its bootstrap, as bus-admin."""
    state = StackState.load(cluster.stack_dir)
    assert state is not None
    return _broker_of(state)
