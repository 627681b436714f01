"""Resolve where the broker and registry are: explicit settings win, else the local stack."""
from __future__ import annotations

from commands.localstack import StackState, stack_up
from govbus.core.settings import GovbusSettings


class NoStackError(RuntimeError):
    pass


def with_endpoints(settings: GovbusSettings, start_stack: bool = False) -> GovbusSettings:
    """``settings`` with bootstrap servers and registry URL filled in from the local stack's state
    when they were not given (GOVBUS_BOOTSTRAP_SERVERS / GOVBUS_REGISTRY_URL)."""
    if settings.bootstrap_servers and settings.registry_url:
        return settings
    state = stack_up(settings) if start_stack else StackState.load(settings.stack_dir)
    if state is None:
        raise NoStackError("no broker configured: set GOVBUS_BOOTSTRAP_SERVERS and GOVBUS_REGISTRY_URL, "
                           "or run `govbus stack up`")
    return settings.model_copy(update={
        "bootstrap_servers": settings.bootstrap_servers or state.bootstrap,
        "registry_url": settings.registry_url or state.registry_url})
