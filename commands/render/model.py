"""What a rendering is made of: the planned topics, each identity's ACLs, and the govbus roles
to run, gathered once by ``commands.deploy_cmd`` from the settings, catalogue and agreements."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Protocol

from govbus.core.access import AclRule

# Where every container finds what is not in its image: mounted Secrets (never values).
SECRETS_ROOT = "/var/run/secrets/govbus"
KAFKA_PASSWORD_FILE = f"{SECRETS_ROOT}/kafka/password"
KAFKA_CA_FILE = f"{SECRETS_ROOT}/kafka-ca/ca.crt"
REGISTRY_IDENTITY_FILE = f"{SECRETS_ROOT}/registry/identity.json"
PSEUDONYM_KEY_FILE = f"{SECRETS_ROOT}/pseudonym/pseudonym.key"
SIGNING_KEY_FILE = f"{SECRETS_ROOT}/signing/signing.key"
INGEST_TOKENS_FILE = f"{SECRETS_ROOT}/ingest/tokens.yaml"
# The port every long-running role serves /metrics, /healthz and /readyz on
# (GOVBUS_METRICS_PORT, docs/operations.md#health-endpoints); the feed and ingest use their web port.
HEALTH_PORT = 9400
# The pod label naming a role as its metrics' ``role`` label does (process, sink, audit-sink…).
ROLE_LABEL = "app.kubernetes.io/component"
FEED_PORT = 8090
INGEST_PORT = 8088
# The identity provider the registry verifies tokens with (docs/security.md): the deployment's own
# Keycloak realm; `govbus deploy render --oidc-issuer` names it.
DEFAULT_OIDC_ISSUER = "https://keycloak.example.gov/realms/govbus"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


class PlannedTopic(Protocol):
    """A topic of the topic plan (govbus.core.topic_plan.TopicSpec)."""

    @property
    def name(self) -> str: ...
    @property
    def partitions(self) -> int: ...
    @property
    def replication_factor(self) -> int: ...
    @property
    def config(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class RoleSpec:
    """One long-running govbus role as a deployment runs it: its command line, its identity,
    where it answers its probes, and how it scales."""

    name: str                    # the Deployment / Compose service: govbus-process
    args: tuple[str, ...]        # after `govbus`: ("sink", "--recipient", "x")
    identity: str                # the bus identity it connects as (svc.*)
    port: int                    # /healthz and /readyz (and /metrics)
    group: str | None            # the consumer group its lag is measured on; None: not lag-scaled
    max_replicas: int = 1        # more than the partitions it reads would sit idle
    min_replicas: int = 1
    needs_pool: bool = False     # PostgreSQL (pools, the audit store)
    needs_pseudonym_key: bool = False
    needs_signing_key: bool = False  # the processor signs deliveries (govbus.core.signing)
    needs_ingest_tokens: bool = False
    cpu: str = "500m"
    memory: str = "512Mi"
    metrics_role: str = ""       # the ``role`` label of its series (govbus.core.settings.ROLE_METRICS_PORTS)


@dataclass(frozen=True)
class DeployInputs:
    """Everything a rendering depends on; the same inputs always give the same files."""

    topics: tuple[PlannedTopic, ...]
    acls: Mapping[str, tuple[AclRule, ...]]  # identity -> its ALLOW rules (govbus.core.access)
    roles: tuple[RoleSpec, ...]
    at: datetime                             # agreements in force at this time gave the ACLs
    image: str = "govbus:0.1.0"
    cluster: str = "govbus"                  # the Strimzi Kafka cluster's name
    brokers: int = 3
    min_insync_replicas: int = 2
    kafka_version: str = "4.1.1"
    super_user: str = "bus-admin"
    oidc_issuer: str = DEFAULT_OIDC_ISSUER


def k8s_name(name: str) -> str:
    """A Kubernetes object name (DNS subdomain) for a bus name: identities and topics may hold
    ``_``, which Kubernetes names may not; it becomes ``-`` (``recv.public_security_350100`` →
    ``recv.public-security-350100``). ValueError for a name that still is not one."""
    converted = name.replace("_", "-").lower()
    if len(converted) > 253 or not _DNS_LABEL.match(converted):
        raise ValueError(f"{name!r} cannot be a Kubernetes object name")
    return converted


def role_env(inputs: DeployInputs, role: RoleSpec, bootstrap: str, registry_url: str) -> dict[str, str]:
    """The settings every role runs with (govbus/core/settings.py), the same on each target:
    where the bus is, who the role is, where its secret files are, where it answers probes."""
    env = {"GOVBUS_BOOTSTRAP_SERVERS": bootstrap, "GOVBUS_KAFKA_USER": k8s_name(role.identity),
           "GOVBUS_KAFKA_PASSWORD_FILE": KAFKA_PASSWORD_FILE, "GOVBUS_KAFKA_CA_FILE": KAFKA_CA_FILE,
           "GOVBUS_REGISTRY_URL": registry_url, "GOVBUS_REGISTRY_IDENTITY_FILE": REGISTRY_IDENTITY_FILE,
           "GOVBUS_METRICS_HOST": "0.0.0.0", "GOVBUS_METRICS_PORT": str(role.port),  # noqa: S104 - in a container
           "GOVBUS_STATE_DIR": "/var/lib/govbus/state", "GOVBUS_CACHE_DIR": "/var/cache/govbus",
           # Topics a role creates (Faust's internal ones, a new shared topic) get the plan's safety.
           "GOVBUS_REPLICATION_FACTOR": str(min(3, inputs.brokers)),
           "GOVBUS_MIN_INSYNC_REPLICAS": str(inputs.min_insync_replicas)}
    if role.needs_pseudonym_key:
        env["GOVBUS_PSEUDONYM_KEY_FILE"] = PSEUDONYM_KEY_FILE
    if role.needs_signing_key:
        env["GOVBUS_SIGNING_KEY_FILE"] = SIGNING_KEY_FILE
    return env
