"""Resolve where the broker and registry are: explicit settings win, else the local stack."""
from __future__ import annotations

from commands.localstack import StackState, stack_up
from commands.localstack.keycloak import identity_path
from govbus.core.settings import GovbusSettings


class NoStackError(RuntimeError):
    pass


def with_endpoints(settings: GovbusSettings, start_stack: bool = False) -> GovbusSettings:
    """``settings`` with bootstrap servers and registry URL filled in from the local stack's state
    when they were not given (GOVBUS_BOOTSTRAP_SERVERS / GOVBUS_REGISTRY_URL), and, with the
    local stack's registry, its governance identity unless GOVBUS_REGISTRY_IDENTITY_FILE names one.

    Every command gets that identity, not only ``govbus schemas``: the roles still register the
    subjects they derive at run time (dead letters, audit, each agreement's shared schema), which
    the registry allows only to the governance identity (docs/security.md#registry-authentication).
    """
    if settings.bootstrap_servers and settings.registry_url:
        return settings
    state = stack_up(settings) if start_stack else StackState.load(settings.stack_dir)
    if state is None:
        raise NoStackError("no broker configured: set GOVBUS_BOOTSTRAP_SERVERS and GOVBUS_REGISTRY_URL, "
                           "or run `govbus stack up`")
    update: dict[str, object] = {"bootstrap_servers": settings.bootstrap_servers or state.bootstrap,
                                 "registry_url": settings.registry_url or state.registry_url}
    governance = identity_path(settings.stack_dir)
    if not settings.registry_url and settings.registry_identity_file is None and governance.exists():
        update["registry_identity_file"] = governance
    return settings.model_copy(update=update)
