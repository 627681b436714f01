"""Real outages of the test stack's broker and registry (commands/localstack/services.py), and
the guarantee that the stack is whole again afterwards: the tests after an outage need it."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from commands.localstack.probe import wait_until
from commands.localstack.services import SERVICES, service_answers, start_service, stop_service
from commands.localstack.stack import StackState
from commands.localstack.tools import StackError
from govbus.core.settings import GovbusSettings


def stack_settings(broker) -> GovbusSettings:  # noqa: ANN001 - tests.conftest.Broker
    """Settings naming the stack the tests use: ``GOVBUS_STACK_DIR`` (.ci/run exports it), else
    the folder of the broker's identity file. Fails, never skips, when neither is a stack."""
    given = os.environ.get("GOVBUS_STACK_DIR")
    folder = Path(given) if given else None
    if folder is None and broker.kafka_password_file is not None:
        folder = broker.kafka_password_file.parent.parent
    if folder is None or not (folder / "state.json").exists():
        pytest.fail(f"outage tests stop and start the test stack's broker and registry, so they need its folder: "
                    f"set GOVBUS_STACK_DIR to the folder `govbus stack up` used (found: {folder})", pytrace=False)
    state = StackState.load(folder)
    assert state is not None
    if state.bootstrap != broker.bootstrap:
        pytest.fail(f"GOVBUS_STACK_DIR {folder} runs a broker at {state.bootstrap}, the tests use "
                    f"{broker.bootstrap}: point it at the tests' stack", pytrace=False)
    return GovbusSettings(stack_dir=folder)


def restore_stack(settings: GovbusSettings) -> None:
    """Start whatever of the broker and registry does not answer; fail the test clearly if one
    still does not (the tests after this one would fail for it otherwise)."""
    problems = []
    for name in SERVICES:
        try:
            start_service(settings, name)
        except StackError as exc:
            problems.append(f"{name}: {exc}")
    state = StackState.load(settings.stack_dir)
    assert state is not None
    for name in SERVICES:
        if not wait_until(lambda n=name: service_answers(state, n), 60):
            problems.append(f"{name} does not answer after the restart")
    if problems:
        pytest.fail("the test stack could not be restored after an outage: " + "; ".join(problems), pytrace=False)


@contextmanager
def outage(settings: GovbusSettings, name: str) -> Iterator[None]:
    """``name`` ("kafka" or "registry") stopped for the body of the with-block, then started
    again on its port and data folder."""
    stop_service(settings, name)
    try:
        yield
    finally:
        start_service(settings, name)
