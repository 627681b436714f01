"""The govbus roles on Kubernetes: a Deployment each (probes on the role's /readyz and
/healthz, resources, non-root), a PodDisruptionBudget, and for the consumer-group roles a KEDA
``ScaledObject`` whose Kafka trigger scales on the group's lag. Secrets are referenced, never
written: the KafkaUser Secrets the User Operator makes, the cluster CA, and the ones an operator
creates (docs/deploy.md#secrets)."""
from __future__ import annotations

from typing import Any

from commands.render import strimzi
from commands.render.model import ROLE_LABEL, SECRETS_ROOT, DeployInputs, RoleSpec, k8s_name, role_env
from commands.render.platform import POOL_CLUSTER, REGISTRY_URL

CONTAINER = "govbus"
RUN_AS = 10001
SECRETS_IN = "/var/run/secrets/govbus-in"
# The roles refuse a secret file its group or others may read (govbus/core/credentials.py), and a
# Secret volume's files are root's or the fsGroup's: an init container copies them, mode 0600 and
# owned by the role's user, into a memory-backed volume.
COPY_SECRETS = (f"cd {SECRETS_IN} && find -L . -type f ! -path '*/..*' | while read -r f; do "
                f"install -D -m 0600 \"$f\" \"{SECRETS_ROOT}/$f\"; done")
# Operator-made Secrets (docs/deploy.md#secrets): name -> (key, mount folder under SECRETS_ROOT).
REGISTRY_SECRET = ("govbus-registry-identity", "identity.json", "registry")
PSEUDONYM_SECRET = ("govbus-pseudonym-key", "pseudonym.key", "pseudonym")
SIGNING_SECRET = ("govbus-signing-key", "signing.key", "signing")
INGEST_SECRET = ("govbus-ingest-tokens", "tokens.yaml", "ingest")
LAG_THRESHOLD = "1000"


def _labels(role: RoleSpec) -> dict[str, str]:
    return {"app.kubernetes.io/name": role.name, "app.kubernetes.io/part-of": "govbus"}


def _pod_metadata(role: RoleSpec) -> dict[str, Any]:
    """The pod's labels (the selector's, and the role its series are labelled with by the
    PodMonitor, commands/render/monitoring.py) and the ``prometheus.io`` annotations read by a
    Prometheus that discovers pods without the operator. Not in the selector: a selector cannot
    change on an existing Deployment."""
    return {"labels": _labels(role) | {ROLE_LABEL: role.metrics_role},
            "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": str(role.port),
                            "prometheus.io/path": "/metrics"}}


def _secret_volumes(inputs: DeployInputs, role: RoleSpec) -> list[tuple[str, str, str, str]]:
    """(volume, Secret, key, folder) of each Secret the role reads."""
    found = [("kafka-password", k8s_name(role.identity), "password", "kafka"),
             ("kafka-ca", strimzi.ca_secret(inputs), "ca.crt", "kafka-ca"),
             ("registry-identity", *REGISTRY_SECRET)]
    if role.needs_pseudonym_key:
        found.append(("pseudonym-key", *PSEUDONYM_SECRET))
    if role.needs_signing_key:
        found.append(("signing-key", *SIGNING_SECRET))
    if role.needs_ingest_tokens:
        found.append(("ingest-tokens", *INGEST_SECRET))
    return found


def _env(inputs: DeployInputs, role: RoleSpec) -> list[dict[str, Any]]:
    values = role_env(inputs, role, strimzi.bootstrap(inputs), REGISTRY_URL)
    env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in values.items()]
    if role.needs_pool:  # libpq reads PGPASSWORD: the URL carries no password
        env.append({"name": "GOVBUS_POOL_URL", "value": f"postgresql+psycopg://app@{POOL_CLUSTER}-rw:5432/app"})
        env.append({"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": f"{POOL_CLUSTER}-app",
                                                                          "key": "password"}}})
    return env


def _probe(path: str, port: int, period: int, failures: int) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": port}, "periodSeconds": period, "timeoutSeconds": 5,
            "failureThreshold": failures}


def _container(inputs: DeployInputs, role: RoleSpec) -> dict[str, Any]:
    mounts = [{"name": "secrets", "mountPath": SECRETS_ROOT, "readOnly": True},
              {"name": "state", "mountPath": "/var/lib/govbus"}, {"name": "cache", "mountPath": "/var/cache/govbus"},
              {"name": "tmp", "mountPath": "/tmp"}]  # noqa: S108 - the container's own /tmp
    return {"name": CONTAINER, "image": inputs.image, "args": list(role.args), "env": _env(inputs, role),
            "ports": [{"name": "http", "containerPort": role.port}],
            # /healthz is 503 "starting" until the loop first runs: the startup probe gives it 5 min.
            "startupProbe": _probe("/healthz", role.port, 10, 30),
            "livenessProbe": _probe("/healthz", role.port, 10, 3),
            "readinessProbe": _probe("/readyz", role.port, 5, 3),
            "resources": {"requests": {"cpu": role.cpu, "memory": role.memory}, "limits": {"memory": role.memory}},
            "securityContext": _container_security(), "volumeMounts": mounts}


def _container_security() -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}


def _init_container(inputs: DeployInputs, role: RoleSpec) -> dict[str, Any]:
    mounts = [{"name": volume, "mountPath": f"{SECRETS_IN}/{folder}", "readOnly": True}
              for volume, _secret, _key, folder in _secret_volumes(inputs, role)]
    return {"name": "secret-files", "image": inputs.image, "command": ["/bin/sh", "-c", COPY_SECRETS],
            "securityContext": _container_security(),
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"memory": "32Mi"}},
            "volumeMounts": [*mounts, {"name": "secrets", "mountPath": SECRETS_ROOT}]}


def deployment(inputs: DeployInputs, role: RoleSpec) -> dict[str, Any]:
    volumes: list[dict[str, Any]] = [
        {"name": volume, "secret": {"secretName": secret, "items": [{"key": key, "path": key}], "defaultMode": 0o440}}
        for volume, secret, key, _folder in _secret_volumes(inputs, role)]
    volumes += [{"name": "secrets", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                {"name": "state", "emptyDir": {}}, {"name": "cache", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]
    pod = {"securityContext": {"runAsNonRoot": True, "runAsUser": RUN_AS, "runAsGroup": RUN_AS, "fsGroup": RUN_AS,
                               "seccompProfile": {"type": "RuntimeDefault"}},
           "terminationGracePeriodSeconds": 60, "initContainers": [_init_container(inputs, role)],
           "containers": [_container(inputs, role)], "volumes": volumes}
    # One writer of the audit chain at a time: the old pod stops before the new one starts.
    strategy = {"type": "Recreate"} if role.group is None and role.max_replicas == 1 else {
        "type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": role.name, "labels": _labels(role)},
            "spec": {"replicas": role.min_replicas, "selector": {"matchLabels": _labels(role)}, "strategy": strategy,
                     "template": {"metadata": _pod_metadata(role), "spec": pod}}}


def disruption_budget(role: RoleSpec) -> dict[str, Any]:
    """At most one pod of a role evicted at a time (for a single pod, a drain may evict it:
    ``minAvailable: 1`` would block node maintenance forever)."""
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": role.name,
                                                                                  "labels": _labels(role)},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": _labels(role)}}}


def service(role: RoleSpec) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": role.name, "labels": _labels(role)},
            "spec": {"selector": _labels(role), "ports": [{"name": "http", "port": role.port, "targetPort": "http"}]}}


def scaled_object(inputs: DeployInputs, role: RoleSpec) -> list[dict[str, Any]]:
    """KEDA scales the Deployment on its consumer group's lag, at most one pod per partition it
    reads; it reads the lag as the role's own identity (READ on its group and DESCRIBE on its
    topics are in the role's ACLs)."""
    assert role.group is not None
    auth = f"{role.name}-kafka"
    trigger = {"type": "kafka", "authenticationRef": {"name": auth},
               "metadata": {"bootstrapServers": strimzi.bootstrap(inputs), "consumerGroup": role.group,
                            "lagThreshold": LAG_THRESHOLD, "offsetResetPolicy": "earliest",
                            "sasl": "scram_sha512", "tls": "enable"}}
    return [{"apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication",
             "metadata": {"name": auth, "labels": _labels(role)},
             "spec": {"env": [{"parameter": "username", "name": "GOVBUS_KAFKA_USER", "containerName": CONTAINER}],
                      "secretTargetRef": [
                          {"parameter": "password", "name": k8s_name(role.identity), "key": "password"},
                          {"parameter": "ca", "name": strimzi.ca_secret(inputs), "key": "ca.crt"}]}},
            {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
             "metadata": {"name": role.name, "labels": _labels(role)},
             "spec": {"scaleTargetRef": {"name": role.name}, "minReplicaCount": role.min_replicas,
                      "maxReplicaCount": role.max_replicas, "pollingInterval": 15, "cooldownPeriod": 300,
                      "triggers": [trigger]}}]


def role_documents(inputs: DeployInputs, role: RoleSpec) -> list[dict[str, Any]]:
    docs = [deployment(inputs, role), disruption_budget(role)]
    if role.args[0] in ("serve-feed", "serve-ingest"):
        docs.append(service(role))
    if role.group is not None and role.max_replicas > role.min_replicas:
        docs += scaled_object(inputs, role)
    return docs
