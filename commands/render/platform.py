"""What govbus needs beside Kafka, as their operators run them: the schema registry as an
Apicurio Registry 3 operator ``ApicurioRegistry3`` (SQL storage on PostgreSQL, OIDC writes as in
docs/security.md#registry-authentication), and PostgreSQL as CloudNativePG ``Cluster`` objects
(the pools with the audit store, and the registry's database)."""
from __future__ import annotations

from typing import Any

REGISTRY = "govbus-registry"
# The Apicurio 3 operator's Service for the registry's backend is "<name>-app-service", port 8080.
REGISTRY_URL = f"http://{REGISTRY}-app-service:8080/apis/ccompat/v7"
POOL_CLUSTER = "govbus-pools"
REGISTRY_DB = "govbus-registry-db"
_PART_OF = {"app.kubernetes.io/part-of": "govbus"}


def postgres_cluster(name: str, instances: int, size: str, memory: str) -> dict[str, Any]:
    """A CloudNativePG cluster with synchronous replication to one standby (a commit survives the
    primary's loss). The operator makes the ``<name>-app`` Secret (user ``app``) and the
    ``<name>-rw`` Service."""
    return {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": name, "labels": _PART_OF},
            "spec": {"instances": instances,
                     "bootstrap": {"initdb": {"database": "app", "owner": "app"}},
                     "postgresql": {"parameters": {"max_connections": "200"},
                                    "synchronous": {"method": "any", "number": 1}},
                     "storage": {"size": size},
                     "resources": {"requests": {"cpu": "500m", "memory": memory}, "limits": {"memory": memory}},
                     "monitoring": {"enablePodMonitor": True}}}


def registry(oidc_issuer: str) -> dict[str, Any]:
    """Two registry replicas on PostgreSQL; anonymous reads, writes for ``sr-developer`` tokens
    (the governance identity), as the local stack configures Apicurio."""
    env = {"QUARKUS_OIDC_TENANT_ENABLED": "true", "QUARKUS_OIDC_AUTH_SERVER_URL": oidc_issuer,
           "APICURIO_AUTHN_BASIC_CLIENT_CREDENTIALS_ENABLED": "true",
           "APICURIO_AUTH_ROLE_BASED_AUTHORIZATION": "true", "APICURIO_AUTH_ROLE_SOURCE": "token",
           "APICURIO_AUTH_ANONYMOUS_READ_ACCESS_ENABLED": "true"}
    data_source = {"url": f"jdbc:postgresql://{REGISTRY_DB}-rw:5432/app", "username": "app",
                   "password": {"name": f"{REGISTRY_DB}-app", "key": "password"}}
    return {"apiVersion": "registry.apicur.io/v1", "kind": "ApicurioRegistry3",
            "metadata": {"name": REGISTRY, "labels": _PART_OF},
            "spec": {"app": {"replicas": 2, "env": [{"name": k, "value": v} for k, v in env.items()],
                             "storage": {"type": "postgresql", "sql": {"dataSource": data_source}}},
                     "ui": {"replicas": 0}}}


def platform_documents(oidc_issuer: str) -> list[dict[str, Any]]:
    return [postgres_cluster(POOL_CLUSTER, 3, "100Gi", "2Gi"), postgres_cluster(REGISTRY_DB, 2, "10Gi", "1Gi"),
            registry(oidc_issuer)]
