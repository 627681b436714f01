"""The role manifests: every role runs with probes on its own health endpoints, its own identity,
secrets by reference only, and lag-based autoscaling exactly where a consumer group can share work."""
from __future__ import annotations

from typing import Any

import pytest
import yaml

from commands.deploy_cmd import Target
from commands.render.model import k8s_name
from commands.render.workloads import role_documents
from tests.support.deploy_render import example_inputs, rendered


@pytest.fixture(scope="module")
def docs() -> dict[str, list[dict[str, Any]]]:
    inputs = example_inputs()
    return {role.name: role_documents(inputs, role) for role in inputs.roles}


def _kinds(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in documents}


def test_every_long_running_role_is_deployed() -> None:
    inputs = example_inputs()
    commands = {role.args[0] if role.args[0] != "audit" else "audit sink" for role in inputs.roles}
    assert commands == {"process", "detect", "sink", "audit sink", "serve-feed", "serve-ingest", "quality"}
    recipients = {a for role in inputs.roles if role.args[0] == "sink" for a in role.args[2:]}
    assert recipients == {i.partition(".")[2] for i in inputs.acls if i.startswith("recv.")}


@pytest.mark.parametrize(("role", "scaled", "max_replicas"), [
    ("govbus-process", True, 6), ("govbus-detect", True, 6), ("govbus-sink-public-security-350100", True, 6),
    ("govbus-audit-sink", False, None), ("govbus-feed", False, None), ("govbus-ingest", False, None),
    ("govbus-quality", False, None),  # one worker: its periods span every partition
])
def test_lag_autoscaling_only_for_consumer_groups(docs: dict, role: str, scaled: bool,
                                                  max_replicas: int | None) -> None:
    kinds = _kinds(docs[role])
    assert ("ScaledObject" in kinds) is scaled
    if scaled:
        spec = kinds["ScaledObject"]["spec"]
        trigger = spec["triggers"][0]
        assert (trigger["type"], spec["maxReplicaCount"]) == ("kafka", max_replicas)
        assert trigger["metadata"]["consumerGroup"] and trigger["authenticationRef"]["name"] == f"{role}-kafka"
        assert kinds["TriggerAuthentication"]["metadata"]["name"] == f"{role}-kafka"
    assert kinds["PodDisruptionBudget"]["spec"]["maxUnavailable"] == 1


def test_the_audit_sink_never_runs_two_writers(docs: dict) -> None:
    deployment = _kinds(docs["govbus-audit-sink"])["Deployment"]
    assert (deployment["spec"]["replicas"], deployment["spec"]["strategy"]["type"]) == (1, "Recreate")


@pytest.mark.parametrize("role", ["govbus-process", "govbus-audit-sink", "govbus-feed", "govbus-ingest"])
def test_probes_ask_the_roles_own_endpoints(docs: dict, role: str) -> None:
    container = _kinds(docs[role])["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    port = container["ports"][0]["containerPort"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port}
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["GOVBUS_METRICS_PORT"] == str(port) and env["GOVBUS_METRICS_HOST"] == "0.0.0.0"  # noqa: S104


def test_each_role_connects_as_its_identity_with_its_users_secret(docs: dict) -> None:
    for role in example_inputs().roles:
        pod = _kinds(docs[role.name])["Deployment"]["spec"]["template"]["spec"]
        env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
        assert env["GOVBUS_KAFKA_USER"] == k8s_name(role.identity)
        secrets = {v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
        assert k8s_name(role.identity) in secrets and "govbus-cluster-ca-cert" in secrets
        assert pod["securityContext"]["runAsNonRoot"] is True


@pytest.mark.parametrize("target", list(Target))
def test_no_secret_value_is_ever_rendered(target: Target) -> None:
    for name, text in rendered(target).items():
        for doc in yaml.safe_load_all(text) if name.endswith((".yaml", ".yml")) else ():
            assert doc.get("kind") != "Secret", name
            for env in _all_env(doc):
                assert "valueFrom" in env or not any(w in env["name"].upper() for w in ("PASSWORD", "SECRET", "KEY")) \
                    or env["name"].endswith("_FILE"), (name, env)


def _all_env(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "env" and isinstance(value, list):
                found += [e for e in value if isinstance(e, dict) and "name" in e and "parameter" not in e]
            found += _all_env(value)
    elif isinstance(node, list):
        for item in node:
            found += _all_env(item)
    return found
