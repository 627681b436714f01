"""Stop and start one service of a running local stack (the broker or the registry) on the same
ports and data folder, as ``stack up`` starts it: for outage drills and the chaos test
(tests/e2e/chaos). The stop is real: the process group gets SIGTERM (SIGKILL after a grace).
``kafka`` is every Kafka node of the stack (one, or three: commands/localstack/cluster.py)."""
from __future__ import annotations

from commands.localstack.cluster import node_answers
from commands.localstack.probe import registry_ready
from commands.localstack.procs import pid_alive, stop_pid, stop_pids
from commands.localstack.stack import StackState, _start_broker, _start_registry
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
    """Stop ``name`` ("kafka": every node, or "registry") and wait until its processes are gone."""
    state = _state(settings, name)
    if name == "kafka":
        stop_pids([state.pids.pop(n.name, None) for n in state.kafka_nodes])
    else:
        stop_pid(state.pids.pop(name, None))
    state.save()


def start_service(settings: GovbusSettings, name: str) -> None:
    """Start ``name`` again on its ports and data folder (for "kafka", every node that does not
    answer); returns once it answers (StackError if it does not). Does nothing when it already
    runs and answers."""
    state = _state(settings, name)
    if service_answers(state, name):
        return
    if name == "kafka":
        _start_broker(state, settings)
    else:
        stop_pid(state.pids.pop(name, None))
        _start_registry(state, settings)
    state.save()


def service_answers(state: StackState, name: str) -> bool:
    """Every Kafka node answers a metadata request as bus-admin; the registry answers ``/subjects``."""
    if name == "kafka":
        security = state.admin_security()
        return all(pid_alive(state.pids.get(n.name)) and node_answers(n, security, 5) for n in state.kafka_nodes)
    return pid_alive(state.pids.get(name)) and registry_ready(state.registry_url)
