"""The single-host Compose rendering: three KRaft brokers, the registry on PostgreSQL,
Prometheus, and the govbus roles, with health checks, named volumes, and secrets as files
(docs/deploy.md#compose). The roles get the same settings and secret paths as on Kubernetes."""
from __future__ import annotations

from typing import Any

from commands.render import compose_kafka
from commands.render.model import (
    INGEST_TOKENS_FILE,
    KAFKA_CA_FILE,
    KAFKA_PASSWORD_FILE,
    PSEUDONYM_KEY_FILE,
    REGISTRY_IDENTITY_FILE,
    SIGNING_KEY_FILE,
    DeployInputs,
    RoleSpec,
    role_env,
)
from commands.render.monitoring import ALERT_RULES
from commands.render.text import header, yaml_documents

REGISTRY_IMAGE = "apicurio/apicurio-registry:3.3.3"
POSTGRES_IMAGE = "postgres:17"
PROMETHEUS_IMAGE = "prom/prometheus:v3.5.0"
REGISTRY_URL = "http://registry:8080/apis/ccompat/v7"
PGPASS_FILE = "/var/run/secrets/govbus/postgres/pgpass"
TMP = "/tmp"  # noqa: S108 - a tmpfs of the container's own
_READY = "import sys, urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/readyz', timeout=3)"


def _healthy(*names: str) -> dict[str, Any]:
    return {name: {"condition": "service_healthy"} for name in names}


def role_service(inputs: DeployInputs, role: RoleSpec) -> dict[str, Any]:
    env = role_env(inputs, role, compose_kafka.bootstrap(inputs), REGISTRY_URL)
    secrets: list[Any] = [{"source": compose_kafka.password_secret(role.identity), "target": KAFKA_PASSWORD_FILE},
                          {"source": "ca-pem", "target": KAFKA_CA_FILE},
                          {"source": "registry-identity", "target": REGISTRY_IDENTITY_FILE}]
    if role.needs_pool:
        env |= {"GOVBUS_POOL_URL": "postgresql+psycopg://govbus@postgres:5432/govbus", "PGPASSFILE": PGPASS_FILE}
        secrets.append({"source": "pgpass", "target": PGPASS_FILE})
    if role.needs_pseudonym_key:
        secrets.append({"source": "pseudonym-key", "target": PSEUDONYM_KEY_FILE})
    if role.needs_signing_key:
        secrets.append({"source": "signing-key", "target": SIGNING_KEY_FILE})
    if role.needs_ingest_tokens:
        secrets.append({"source": "ingest-tokens", "target": INGEST_TOKENS_FILE})
    service: dict[str, Any] = {
        "image": inputs.image, "restart": "unless-stopped", "command": list(role.args), "environment": env,
        "secrets": secrets, "read_only": True, "tmpfs": [TMP, "/var/lib/govbus", "/var/cache/govbus"],
        "security_opt": ["no-new-privileges:true"], "cap_drop": ["ALL"],
        "healthcheck": {"test": ["CMD", "python", "-c", _READY.format(port=role.port)],
                        "interval": "15s", "timeout": "5s", "retries": 4, "start_period": "120s"},
        "depends_on": _healthy("registry") | {"bus-setup": {"condition": "service_completed_successfully"}},
        "deploy": {"resources": {"limits": {"memory": role.memory.replace("Mi", "M").replace("Gi", "G")}}}}
    if role.needs_pool:
        service["depends_on"] |= _healthy("postgres")
    if role.args[0] in ("serve-feed", "serve-ingest"):  # the two a person or a department reaches
        service["ports"] = [f"127.0.0.1:{role.port}:{role.port}"]
    return service


def platform_services(inputs: DeployInputs) -> dict[str, Any]:
    postgres = {"image": POSTGRES_IMAGE, "restart": "unless-stopped",
                "environment": {"POSTGRES_USER": "govbus", "POSTGRES_DB": "govbus",
                                "POSTGRES_PASSWORD_FILE": "/run/secrets/postgres-password"},
                "secrets": ["postgres-password"],
                "volumes": ["postgres-data:/var/lib/postgresql/data",
                            "./postgres-init.sql:/docker-entrypoint-initdb.d/10-registry.sql:ro"],
                "healthcheck": {"test": ["CMD", "pg_isready", "-U", "govbus", "-d", "govbus"],
                                "interval": "10s", "timeout": "5s", "retries": 6}}
    # Apicurio reads config/application.properties in its working folder: the data source's
    # password and the OIDC settings arrive there as a secret file.
    registry = {"image": REGISTRY_IMAGE, "restart": "unless-stopped",
                "environment": {"APICURIO_STORAGE_KIND": "sql", "APICURIO_STORAGE_SQL_KIND": "postgresql",
                                "APICURIO_DATASOURCE_URL": "jdbc:postgresql://postgres:5432/registry",
                                "APICURIO_DATASOURCE_USERNAME": "govbus",
                                "QUARKUS_OIDC_TENANT_ENABLED": "true",
                                "QUARKUS_OIDC_AUTH_SERVER_URL": inputs.oidc_issuer,
                                "APICURIO_AUTH_ROLE_BASED_AUTHORIZATION": "true", "APICURIO_AUTH_ROLE_SOURCE": "token",
                                "APICURIO_AUTH_ANONYMOUS_READ_ACCESS_ENABLED": "true",
                                "APICURIO_AUTHN_BASIC_CLIENT_CREDENTIALS_ENABLED": "true"},
                "secrets": [{"source": "registry-properties", "target": "/deployments/config/application.properties"}],
                "depends_on": _healthy("postgres"), "ports": ["127.0.0.1:8080:8080"],
                "healthcheck": {"test": ["CMD-SHELL", "curl -fsS http://127.0.0.1:8080/health/ready"],
                                "interval": "10s", "timeout": "5s", "retries": 12, "start_period": "60s"}}
    prometheus = {"image": PROMETHEUS_IMAGE, "restart": "unless-stopped",
                  "volumes": ["./prometheus.yml:/etc/prometheus/prometheus.yml:ro",
                              "./alerts.yml:/etc/prometheus/alerts.yml:ro", "prometheus-data:/prometheus"],
                  "ports": ["127.0.0.1:9090:9090"],
                  "healthcheck": {"test": ["CMD", "wget", "-qO-", "http://127.0.0.1:9090/-/ready"],
                                  "interval": "15s", "timeout": "5s", "retries": 4}}
    return {"postgres": postgres, "registry": registry, "prometheus": prometheus}


def bus_setup(inputs: DeployInputs) -> dict[str, Any]:
    """Once the identities exist: the topics of the plan and the ACLs of the catalogue and the
    agreements, by govbus itself as the super user (`govbus topics apply`, `govbus acl apply`,
    recorded on audit.acl_changes). Run it again after an agreement changes."""
    env = {"GOVBUS_BOOTSTRAP_SERVERS": compose_kafka.bootstrap(inputs), "GOVBUS_KAFKA_USER": inputs.super_user,
           "GOVBUS_KAFKA_PASSWORD_FILE": KAFKA_PASSWORD_FILE, "GOVBUS_KAFKA_CA_FILE": KAFKA_CA_FILE,
           "GOVBUS_REGISTRY_URL": REGISTRY_URL, "GOVBUS_REGISTRY_IDENTITY_FILE": REGISTRY_IDENTITY_FILE,
           "GOVBUS_REPLICATION_FACTOR": str(min(3, inputs.brokers)),
           "GOVBUS_MIN_INSYNC_REPLICAS": str(inputs.min_insync_replicas)}
    secrets = [{"source": compose_kafka.password_secret(inputs.super_user), "target": KAFKA_PASSWORD_FILE},
               {"source": "ca-pem", "target": KAFKA_CA_FILE},
               {"source": "registry-identity", "target": REGISTRY_IDENTITY_FILE}]
    return {"image": inputs.image, "restart": "no", "entrypoint": ["/bin/sh", "-c"],
            "command": ["govbus topics apply && govbus acl apply --reason 'compose: bus-setup'"],
            "environment": env, "secrets": secrets, "read_only": True, "tmpfs": [TMP],
            "depends_on": _healthy("registry") | {"kafka-setup": {"condition": "service_completed_successfully"}}}


def _secrets(inputs: DeployInputs, identities: list[str]) -> dict[str, Any]:
    files = {"ca-pem": "tls/ca.pem", "kafka-cluster-id": "kafka/cluster-id", "pgpass": "postgres/pgpass",
             "postgres-password": "postgres/password", "registry-properties": "registry/application.properties",
             "registry-identity": "registry/identity.json", "pseudonym-key": "pseudonym.key",
             "signing-key": "signing.key",
             "ingest-tokens": "ingest/tokens.yaml"}
    files |= {f"kafka-{n}-pem": f"tls/kafka-{n}.pem" for n in range(1, inputs.brokers + 1)}
    files |= {compose_kafka.password_secret(name): f"kafka/{name}.password" for name in identities}
    return {name: {"file": f"./secrets/{path}"} for name, path in sorted(files.items())}


def compose_document(inputs: DeployInputs) -> dict[str, Any]:
    identities = sorted({inputs.super_user, *inputs.acls})
    services: dict[str, Any] = {name: compose_kafka.broker(inputs, n)
                                for n, name in enumerate(compose_kafka.broker_names(inputs), start=1)}
    services["kafka-setup"] = compose_kafka.credentials_service(inputs, identities)
    services |= platform_services(inputs)
    services["bus-setup"] = bus_setup(inputs)
    services |= {role.name.removeprefix("govbus-"): role_service(inputs, role) for role in inputs.roles}
    volumes = [f"kafka-{n}-data" for n in range(1, inputs.brokers + 1)] + ["postgres-data", "prometheus-data"]
    return {"name": "govbus", "services": services, "volumes": {v: {} for v in volumes},
            "secrets": _secrets(inputs, identities)}


def escape_interpolation(node: Any) -> Any:
    """Compose substitutes ``$NAME`` from the host's environment: every ``$`` meant for a shell or
    for Kafka inside a container is written ``$$``."""
    if isinstance(node, str):
        return node.replace("$", "$$")
    if isinstance(node, dict):
        return {key: escape_interpolation(value) for key, value in node.items()}
    if isinstance(node, list):
        return [escape_interpolation(item) for item in node]
    return node


def prometheus_config(inputs: DeployInputs) -> dict[str, Any]:
    """Each role's service, labelled as the local stack's discovery files label it (``role``,
    ``instance_name``), and the alert rules (deploy/monitoring/alerts.yml, copied beside it)."""
    static = [{"targets": [f"{name}:{role.port}"], "labels": {"role": role.metrics_role, "instance_name": name}}
              for role in inputs.roles for name in [role.name.removeprefix("govbus-")]]
    return {"global": {"scrape_interval": "15s"}, "rule_files": ["/etc/prometheus/alerts.yml"],
            "scrape_configs": [{"job_name": "govbus", "honor_labels": True, "static_configs": static}]}


POSTGRES_INIT = "-- The registry's own database, beside the pools' (govbus).\nCREATE DATABASE registry OWNER govbus;\n"


def render_compose(inputs: DeployInputs, command: str) -> dict[str, str]:
    head = header(command, "govbus on one host: three KRaft brokers, registry, PostgreSQL, Prometheus, the roles")
    return {"compose.yaml": yaml_documents([escape_interpolation(compose_document(inputs))], head),
            "prometheus.yml": yaml_documents([prometheus_config(inputs)], header(command, "Prometheus: the roles")),
            "alerts.yml": header(command, "Alert rules: deploy/monitoring/alerts.yml, copied beside prometheus.yml")
            + ALERT_RULES.read_text(encoding="utf-8"),
            "postgres-init.sql": header(command, "PostgreSQL's first start").replace("# ", "-- ") + POSTGRES_INIT}
