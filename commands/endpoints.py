"""Resolve where the broker and registry are and who to connect as: explicit settings win, else
the local stack (its state file for the ports, its identities/ folder for the credentials)."""
from __future__ import annotations

from commands.localstack import StackState, stack_up
from commands.localstack.keycloak import identity_path
from commands.localstack.secrets import audit_signing_key_path, pseudonym_key_path, signing_key_path
from govbus.core.credentials import CredentialsError
from govbus.core.kafka_access import check_access
from govbus.core.settings import GovbusSettings, kafka_config


class NoStackError(CredentialsError):
    pass


def _local_identity(settings: GovbusSettings, state: StackState, identity: str) -> dict[str, object]:
    """The identity fields for ``identity`` from the stack folder, unless the settings name one
    or point at another broker than the stack's."""
    if settings.bootstrap_servers not in ("", state.bootstrap):
        return {}
    if settings.kafka_user:  # an identity named without its file (GOVBUS_KAFKA_USER=op.alice): the stack's
        named = state.identity_store.path(settings.kafka_user)
        if settings.kafka_password_file is not None or not named.exists():
            return {}
        return {"kafka_password_file": named, "kafka_ca_file": settings.kafka_ca_file or state.tls.ca_cert}
    path = state.identity_store.path(identity)
    if not path.exists():
        raise NoStackError(f"the local stack has no identity {identity!r} ({path}): "
                           f"`govbus identities create {identity}`")
    return {"kafka_user": identity, "kafka_password_file": path,
            "kafka_ca_file": settings.kafka_ca_file or state.tls.ca_cert}


def _local_pseudonym_key(settings: GovbusSettings, state: StackState) -> dict[str, object]:
    """The local stack's pseudonym master key, for a command connected to the local stack that
    names none. Anywhere else a key file must be given: the role refuses to start without one."""
    path = pseudonym_key_path(settings.stack_dir)
    if settings.pseudonym_key_file is not None or settings.bootstrap_servers not in ("", state.bootstrap):
        return {}
    return {"pseudonym_key_file": path} if path.exists() else {}


def _local_signing_key(settings: GovbusSettings, state: StackState) -> dict[str, object]:
    """The local stack's signing key, likewise (for a command connected to the local stack)."""
    path = signing_key_path(settings.stack_dir)
    if settings.signing_key_file is not None or settings.bootstrap_servers not in ("", state.bootstrap):
        return {}
    return {"signing_key_file": path} if path.exists() else {}


def _local_audit_key(settings: GovbusSettings, state: StackState) -> dict[str, object]:
    """The local stack's audit signing key (its .pub beside it), like the pseudonym key."""
    path = audit_signing_key_path(settings.stack_dir)
    if settings.audit_signing_key_file is not None or settings.bootstrap_servers not in ("", state.bootstrap):
        return {}
    return {"audit_signing_key_file": path} if path.exists() else {}


def _local_registry_identity(settings: GovbusSettings) -> dict[str, object]:
    """The local stack's registry governance identity, unless the settings name a registry or an
    identity of their own.

    Every command gets it, not only ``govbus schemas``: the roles still register the subjects
    they derive at run time (dead letters, audit, each agreement's shared schema), which the
    registry allows only to the governance identity (docs/security.md#registry-authentication).
    """
    governance = identity_path(settings.stack_dir)
    if settings.registry_url or settings.registry_identity_file is not None or not governance.exists():
        return {}
    return {"registry_identity_file": governance}


def with_endpoints(settings: GovbusSettings, *, identity: str, start_stack: bool = False,
                   check: bool = True) -> GovbusSettings:
    """``settings`` with bootstrap servers, registry URL and the Kafka identity filled in from the
    local stack where they were not given (GOVBUS_BOOTSTRAP_SERVERS / GOVBUS_REGISTRY_URL /
    GOVBUS_KAFKA_USER). ``identity`` names the stack identity to connect as. With ``check``, one
    metadata request proves the broker answers and accepts the identity (AccessError if not)."""
    resolved = settings
    if not (settings.bootstrap_servers and settings.registry_url and settings.kafka_user
            and settings.kafka_password_file):
        state = stack_up(settings) if start_stack else StackState.load(settings.stack_dir)
        if state is None and not (settings.bootstrap_servers and settings.registry_url):
            raise NoStackError("no broker configured: set GOVBUS_BOOTSTRAP_SERVERS and GOVBUS_REGISTRY_URL, "
                               "or run `govbus stack up`")
        if state is not None:
            resolved = settings.model_copy(update={
                "bootstrap_servers": settings.bootstrap_servers or state.bootstrap,
                "registry_url": settings.registry_url or state.registry_url,
                **_local_identity(settings, state, identity), **_local_registry_identity(settings),
                **_local_pseudonym_key(settings, state), **_local_signing_key(settings, state),
                **_local_audit_key(settings, state)})
    if check:
        check_access(kafka_config(resolved, "admin"))
    return resolved
