"""The published schemas the rendered manifests are validated against, offline once fetched
(docs/deploy.md#validation), cached under ``~/.cache/govbus/schemas`` like the stack's jars:

- Kubernetes objects: the JSON schemas PyPI's ``kubernetes-validate`` ships (generated from
  Kubernetes' OpenAPI, Apache-2.0), its ``-strict`` variant: an unknown field is an error.
- Strimzi's custom resources: Strimzi's own CRD generator (``io.strimzi:crd-generator``) run over
  its published API classes (``io.strimzi:api``), both from Maven Central (Apache-2.0), exactly as
  Strimzi's build makes its ``04x-Crd-*.yaml``; each CRD's ``openAPIV3Schema`` made strict the
  same way (the API server would silently prune an unknown field; we refuse it).
- KEDA's ``ScaledObject`` and ``TriggerAuthentication``: PyPI's ``cloudcoil-models-keda`` (Apache-2.0),
  pydantic models generated from KEDA 2.16's CRDs, installed in a venv of their own in the cache
  (never in the project's) and dumped as JSON schemas (``model_json_schema``), made strict.
- Compose: the compose-spec JSON schema (Apache-2.0) that PyPI's ``check-jsonschema`` vendors,
  taken out of its wheel (``pip download``), not installed.
"""
from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from referencing import Registry, Resource

from commands.localstack.tools import find_java

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = "v1.33.0-local-strict"  # the oldest minor Kubernetes still supports upstream at render time
STRIMZI_VERSION = "1.2.0"
STRIMZI_CRDS = {"Kafka": "io.strimzi.api.kafka.model.kafka.Kafka",
                "KafkaNodePool": "io.strimzi.api.kafka.model.nodepool.KafkaNodePool",
                "KafkaTopic": "io.strimzi.api.kafka.model.topic.KafkaTopic",
                "KafkaUser": "io.strimzi.api.kafka.model.user.KafkaUser"}
CHECK_JSONSCHEMA = "check-jsonschema==0.39.0"
KEDA_MODELS = "cloudcoil-models-keda==2.16.1.0"
KEDA_KINDS = ("ScaledObject", "TriggerAuthentication")
# The Prometheus Operator's resources (commands/render/monitoring.py), from the same generator.
PROMETHEUS_OPERATOR_MODELS = "cloudcoil-models-prometheus-operator==0.80.1.0"
PROMETHEUS_OPERATOR_KINDS = ("PodMonitor", "PrometheusRule")
_DUMP_MODELS = ("import importlib, json, sys\nmodule = importlib.import_module(sys.argv[2])\n"
                "for kind in sys.argv[3:]:\n"
                "    schema = getattr(module, kind).model_json_schema(by_alias=True, mode='validation')\n"
                "    open(f'{sys.argv[1]}/{kind}.json', 'w').write(json.dumps(schema))\n")
COMPOSE_SPEC = "check_jsonschema/builtin_schemas/vendor/compose-spec.json"


def cache_dir() -> Path:
    return Path(os.environ.get("GOVBUS_CACHE_DIR", Path.home() / ".cache" / "govbus")) / "schemas"


def kubernetes_validator(api_version: str, kind: str) -> jsonschema.protocols.Validator:
    """The strict schema of a built-in kind (``apps/v1`` ``Deployment``)."""
    folder = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema" / KUBERNETES
    group_version = api_version.split(".")[0].replace("/", "-") if "/" in api_version else api_version
    schema = json.loads((folder / f"{kind.lower()}-{group_version}.json").read_text())
    definitions = json.loads((folder / "_definitions.json").read_text())
    registry: Registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def strict(schema: Any) -> Any:
    """An ``openAPIV3Schema`` as a JSON schema refusing unknown fields: every object that lists
    its properties, and keeps no unknown fields by declaration, gets ``additionalProperties: false``."""
    if isinstance(schema, dict):
        out = {key: strict(value) for key, value in schema.items()}
        if ("properties" in out and "additionalProperties" not in out
                and not out.get("x-kubernetes-preserve-unknown-fields")):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


def _maven(pom: Path, out: Path) -> None:
    mvn = shutil.which("mvn")
    assert mvn, "Maven is needed to fetch Strimzi's CRD generator (apt-get install maven)"
    done = subprocess.run([mvn, "-B", "-q", "-f", str(pom), f"-Dgovbus.out={out}", "package"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"Maven fetch of Strimzi failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}"


def strimzi_crds() -> dict[str, dict[str, Any]]:
    """kind -> its CRD, generated once into the cache."""
    base = cache_dir() / f"strimzi-{STRIMZI_VERSION}"
    crds, stamp = base / "crds", base / "crds" / ".complete"
    if not stamp.exists():
        _maven(ROOT / "deploy" / "schemas" / "strimzi-crds-pom.xml", base)
        crds.mkdir(parents=True, exist_ok=True)
        targets = [f"{cls}={crds / kind}.yaml" for kind, cls in STRIMZI_CRDS.items()]
        # The arguments of Strimzi's own build (its api module's pom), v1 only.
        args = ["--label", "app:strimzi", "--label", "strimzi.io/crd-install:true", "--target-kube", "1.16+",
                "--crd-api-version", "v1", "--api-versions", "v1", "--storage-version", "v1", "--yaml"]
        done = subprocess.run([str(find_java(21)), "-cp", f"{base / 'libs'}/*", "io.strimzi.crdgenerator.CrdGenerator",
                               *args, *targets], capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"Strimzi's CRD generator failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        stamp.touch()
    return {kind: yaml.safe_load((crds / f"{kind}.yaml").read_text()) for kind in STRIMZI_CRDS}


def crd_validators() -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    """(apiVersion, kind) -> the strict validator of each custom resource with a published schema."""
    found = keda_validators()
    for crd in strimzi_crds().values():
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schema = strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
            found[(f"{group}/{version['name']}", kind)] = jsonschema.Draft7Validator(schema)
    return found


def keda_validators() -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    return _model_validators(KEDA_MODELS, "cloudcoil.models.keda.v1alpha1", "keda.sh/v1alpha1", KEDA_KINDS) | \
        _model_validators(PROMETHEUS_OPERATOR_MODELS, "cloudcoil.models.prometheus_operator.v1",
                          "monitoring.coreos.com/v1", PROMETHEUS_OPERATOR_KINDS)


def _model_validators(requirement: str, module: str, api_version: str,
                      kinds: tuple[str, ...]) -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    """Strict validators of ``kinds`` from the pydantic models of a cloudcoil package (generated
    from the project's CRDs), installed once into a venv of their own in the cache."""
    base = cache_dir() / requirement.replace("==", "-")
    stamp = base / ".complete"
    if not stamp.exists():
        venv.create(base / "venv", with_pip=True, clear=True)
        python = str(base / "venv" / "bin" / "python")
        subprocess.run([python, "-m", "pip", "install", "-q", requirement], check=True)
        subprocess.run([python, "-c", _DUMP_MODELS, str(base), module, *kinds], check=True)
        stamp.touch()
    return {(api_version, kind): jsonschema.Draft202012Validator(
        strict(json.loads((base / f"{kind}.json").read_text()))) for kind in kinds}


def compose_validator() -> jsonschema.protocols.Validator:
    target = cache_dir() / "compose-spec.json"
    if not target.exists():
        wheels = cache_dir() / "wheels"
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(wheels),
                        CHECK_JSONSCHEMA], check=True)
        wheel = next(wheels.glob("check_jsonschema-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            target.write_bytes(archive.read(COMPOSE_SPEC))
    schema = json.loads(target.read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def problems(validator: jsonschema.protocols.Validator, document: Any) -> list[str]:
    """Every schema violation, one line each (path: message)."""
    return [f"{'/'.join(str(p) for p in error.absolute_path) or '.'}: {error.message}"
            for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))]
