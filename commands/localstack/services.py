"""Stop and start one service of a running local stack (the broker or the registry) on the same
ports and data folder, as ``stack up`` starts it: for outage drills and the chaos test
(tests/e2e/chaos). The stop is real: the process group gets SIGTERM (SIGKILL after a grace)."""
from __future__ import annotations

from commands.localstack.probe import broker_ready, registry_ready
from commands.localstack.stack import StackState, _start_broker, _start_registry, _stop_pid, pid_alive
from commands.localstack.tools import StackError
from govbus.core.settings import GovbusSettings

SERVICES = ("kafka", "registry")


def _state(settings: GovbusSettings, name: str) -> StackState:
    if name not in SERVICES:
        raise StackError(f"unknown stack service {name!r}: one of {', '.join(SERVICES)}")
    state = StackState.load(settings.stack_dir)
    if state is None:
        raise StackError(f"no local stack in {settings.stack_dir} (run `govbus stack up`)")
    return state


def stop_service(settings: GovbusSettings, name: str) -> None:
    """Stop ``name`` ("kafka" or "registry") and wait until its process is gone."""
    state = _state(settings, name)
    _stop_pid(state.pids.pop(name, None))
    state.save()


def start_service(settings: GovbusSettings, name: str) -> None:
    """Start ``name`` again on its ports and data folder; returns once it answers (StackError if
    it does not). Does nothing when it already runs and answers."""
    state = _state(settings, name)
    if service_answers(state, name):
        return
    _stop_pid(state.pids.pop(name, None))
    (_start_broker if name == "kafka" else _start_registry)(state, settings)
    state.save()


def service_answers(state: StackState, name: str) -> bool:
    """The broker answers a metadata request as bus-admin; the registry answers ``/subjects``."""
    if not pid_alive(state.pids.get(name)):
        return False
    if name == "kafka":
        return broker_ready(state.bootstrap, state.admin_security(), 5)
    return registry_ready(state.registry_url)
