"""Every rendered manifest validates against the published schemas (tests/support/manifest_schemas.py
says which and where from): the Kubernetes objects against Kubernetes' own (strict), Strimzi's
resources against the CRDs Strimzi's generator makes from its published API, KEDA's against the
models generated from its CRDs, the Compose file against the compose-spec. CloudNativePG and
Apicurio publish no schema on a registry reachable here: their documents are checked for the
fields their operators require."""
from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from commands.deploy_cmd import Target
from tests.support import manifest_schemas
from tests.support.deploy_render import rendered

# Kinds whose schema no reachable registry publishes (docs/deploy.md#validation).
UNPUBLISHED = {("postgresql.cnpg.io/v1", "Cluster"), ("registry.apicur.io/v1", "ApicurioRegistry3")}
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def kubernetes_documents() -> list[dict[str, Any]]:
    return [doc for text in rendered(Target.STRIMZI).values() for doc in yaml.safe_load_all(text)]


@pytest.fixture(scope="module")
def crd_validators() -> dict:
    return manifest_schemas.crd_validators()


def test_every_kubernetes_document_validates(crd_validators: dict) -> None:
    checked: dict[tuple[str, str], int] = {}
    for doc in kubernetes_documents():
        key = (doc["apiVersion"], doc["kind"])
        name = doc["metadata"]["name"]
        assert len(name) <= 253 and DNS_SUBDOMAIN.match(name), f"{key} {name!r} is not a Kubernetes name"
        if key in UNPUBLISHED:
            continue
        validator = crd_validators.get(key) or manifest_schemas.kubernetes_validator(*key)
        assert manifest_schemas.problems(validator, doc) == [], f"{key} {name}"
        checked[key] = checked.get(key, 0) + 1
    assert set(checked) >= {("kafka.strimzi.io/v1", k) for k in ("Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser")}
    assert set(checked) >= {("apps/v1", "Deployment"), ("policy/v1", "PodDisruptionBudget"), ("v1", "Service"),
                            ("keda.sh/v1alpha1", "ScaledObject"), ("keda.sh/v1alpha1", "TriggerAuthentication"),
                            ("v1", "ConfigMap"), ("monitoring.coreos.com/v1", "PodMonitor"),
                            ("monitoring.coreos.com/v1", "PrometheusRule")}


def test_a_wrong_field_is_caught(crd_validators: dict) -> None:
    """The validation can fail: an unknown field and a wrong value in each kind of schema."""
    docs = kubernetes_documents()
    user = next(d for d in docs if d["kind"] == "KafkaUser" and "authorization" in d["spec"])
    user["spec"]["authorization"]["acls"][0]["operations"] = ["Reed"]
    assert manifest_schemas.problems(crd_validators[("kafka.strimzi.io/v1", "KafkaUser")], user)
    scaled = next(d for d in docs if d["kind"] == "ScaledObject")
    scaled["spec"]["maxReplicaCount"] = "many"
    assert manifest_schemas.problems(crd_validators[("keda.sh/v1alpha1", "ScaledObject")], scaled)
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    assert manifest_schemas.problems(manifest_schemas.kubernetes_validator("apps/v1", "Deployment"), deployment)
    compose = yaml.safe_load(rendered(Target.COMPOSE)["compose.yaml"])
    compose["services"]["process"]["helthcheck"] = {}
    assert manifest_schemas.problems(manifest_schemas.compose_validator(), compose)


def test_the_compose_file_validates() -> None:
    compose = yaml.safe_load(rendered(Target.COMPOSE)["compose.yaml"])
    assert manifest_schemas.problems(manifest_schemas.compose_validator(), compose) == []
    declared = set(compose["secrets"])
    used = {s if isinstance(s, str) else s["source"] for svc in compose["services"].values()
            for s in svc.get("secrets", [])}
    assert used <= declared and used, "every secret a service mounts is declared as a file"
    assert {v.split(":")[0] for svc in compose["services"].values() for v in svc.get("volumes", [])
            if not v.startswith("./")} <= set(compose["volumes"])


def test_unpublished_kinds_carry_what_their_operators_require() -> None:
    for doc in kubernetes_documents():
        key, spec = (doc["apiVersion"], doc["kind"]), doc.get("spec", {})
        if key == ("postgresql.cnpg.io/v1", "Cluster"):
            assert spec["instances"] >= 2 and spec["storage"]["size"]
        elif key == ("registry.apicur.io/v1", "ApicurioRegistry3"):
            assert spec["app"]["storage"]["type"] == "postgresql"
