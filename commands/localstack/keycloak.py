"""The registry's identity provider on the local stack: Keycloak from Maven Central, in dev mode
with a file H2 store under ``<stack dir>/keycloak``, on a loopback port.

Why Keycloak: Apicurio authenticates with OIDC only (plus Quarkus's embedded test users, which
its own example calls "testing"); Keycloak is the OIDC provider Apicurio documents and tests
with, and its server distribution is a Maven Central artifact, fetched like the broker.

On the first start, Keycloak creates a temporary admin client from two environment variables
(never process arguments); with it the ``govbus`` realm is created from
``deploy/local/keycloak-realm.json.template``, with a generated secret for the governance client
(``svc.governance``, realm role ``sr-developer``). Later starts find the realm in the H2 store.
"""
from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from commands.localstack.probe import wait_until
from commands.localstack.tools import DEPLOY_DIR, StackError, fetch_once, find_java
from govbus.core.identities import REGISTRY_GOVERNANCE
from govbus.core.registry_auth import RegistryIdentity, load_identity, write_identity

KEYCLOAK_VERSION = "26.4.0"
KEYCLOAK_MIN_JAVA = 21  # Keycloak 26 supports Java 21 (17 is deprecated)
REALM = "govbus"
_BOOTSTRAP = "govbus-bootstrap"
# Dev mode re-augments (~25 s) only when its build options change; a fresh store adds ~10 s.
START_TIMEOUT = 180
_HEAP = "-Xms64m -Xmx384m"


def fetch_keycloak(cache_dir: Path) -> Path:
    """``kc.sh`` of the Keycloak distribution, fetched once into the cache."""
    out = fetch_once(cache_dir, "keycloak", KEYCLOAK_VERSION, "keycloak-pom.xml")
    return out / "app" / f"keycloak-{KEYCLOAK_VERSION}" / "bin" / "kc.sh"


def identity_path(stack_dir: Path, client_id: str = REGISTRY_GOVERNANCE) -> Path:
    return stack_dir / "identities" / f"registry.{client_id}.json"


def _bootstrap_path(stack_dir: Path) -> Path:
    return stack_dir / "identities" / "keycloak.bootstrap-admin.json"


def issuer_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/realms/{REALM}"


def token_url(port: int) -> str:
    return f"{issuer_url(port)}/protocol/openid-connect/token"


def start_keycloak(stack_dir: Path, cache_dir: Path, port: int) -> int:
    """Start Keycloak, wait until it answers, create the realm if needed; returns its pid."""
    cmd, env = keycloak_command(stack_dir, cache_dir, port)
    log = stack_dir / "logs" / "keycloak.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log.open("ab") as handle:
        pid = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, cwd=stack_dir, env=env,
                               stdin=subprocess.DEVNULL, start_new_session=True).pid
    if not wait_until(lambda: keycloak_ready(port), START_TIMEOUT, pid):
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise StackError(f"Keycloak did not become ready on 127.0.0.1:{port}; log tail:\n{tail}")
    ensure_realm(stack_dir, port)
    with log.open("a") as handle:  # the start-time cost, for docs/findings.md
        handle.write(f"govbus: Keycloak ready with realm {REALM} in {time.monotonic() - started:.1f} s\n")
    return pid


def keycloak_command(stack_dir: Path, cache_dir: Path, port: int) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that start Keycloak for this stack."""
    kc = fetch_keycloak(cache_dir)
    java = find_java(KEYCLOAK_MIN_JAVA)
    db = stack_dir / "keycloak" / "keycloakdb"
    env = os.environ | {"JAVA": str(java), "JAVA_OPTS_KC_HEAP": _HEAP}
    env |= _bootstrap_env(stack_dir)
    cmd = [str(kc), "start-dev", "--http-host=127.0.0.1", f"--http-port={port}",
           "--db=dev-file", f"--db-url=jdbc:h2:file:{db};NON_KEYWORDS=VALUE",
           "--health-enabled=false", "--log-console-color=false"]
    return cmd, env


def _bootstrap_env(stack_dir: Path) -> dict[str, str]:
    """The temporary admin client's credentials, kept 0600 beside the identities: Keycloak
    creates that client on the first start only, and realm changes later need it."""
    path = _bootstrap_path(stack_dir)
    if not path.exists():
        write_identity(path, RegistryIdentity(_BOOTSTRAP, secrets.token_urlsafe(32), ""))
    data = json.loads(path.read_text())
    return {"KC_BOOTSTRAP_ADMIN_CLIENT_ID": data["client_id"],
            "KC_BOOTSTRAP_ADMIN_CLIENT_SECRET": data["client_secret"]}


def keycloak_ready(port: int, realm: str = "master", timeout: float = 3.0) -> bool:
    url = f"http://127.0.0.1:{port}/realms/{realm}/.well-known/openid-configuration"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def ensure_realm(stack_dir: Path, port: int) -> RegistryIdentity:
    """Create the ``govbus`` realm unless it exists; the governance identity file is written
    first (0600), so a failed creation is retried with the same secret."""
    path = identity_path(stack_dir)
    if not path.exists():
        write_identity(path, RegistryIdentity(REGISTRY_GOVERNANCE, secrets.token_urlsafe(32),
                                              token_url(port)))
    identity = load_identity(path)
    if not keycloak_ready(port, REALM):
        text = (DEPLOY_DIR / "keycloak-realm.json.template").read_text()
        realm = string.Template(text).substitute(governance_secret=identity.client_secret)
        _admin_post(stack_dir, port, "/admin/realms", json.loads(realm))
    return identity


def _admin_post(stack_dir: Path, port: int, path: str, body: dict[str, Any]) -> None:
    admin = json.loads(_bootstrap_path(stack_dir).read_text())
    token = _post_form(f"http://127.0.0.1:{port}/realms/master/protocol/openid-connect/token",
                       {"grant_type": "client_credentials", "client_id": admin["client_id"],
                        "client_secret": admin["client_secret"]})["access_token"]
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", json.dumps(body).encode(),
                                     {"Authorization": f"Bearer {token}",
                                      "Content-Type": "application/json"})
    _send(request, f"creating realm {REALM}")


def _post_form(url: str, form: dict[str, str]) -> dict[str, Any]:
    request = urllib.request.Request(url, urllib.parse.urlencode(form).encode())  # noqa: S310 - our own http:// port
    return json.loads(_send(request, "getting a Keycloak admin token") or b"{}")


def _send(request: urllib.request.Request, doing: str) -> bytes:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own port
            return response.read()
    except urllib.error.HTTPError as exc:
        raise StackError(f"Keycloak refused {doing}: HTTP {exc.code} {exc.reason}; "
                         f"`govbus stack down --purge` starts it afresh") from None
    except (urllib.error.URLError, OSError) as exc:
        raise StackError(f"Keycloak did not answer while {doing}: {exc}") from None


def registry_auth_args(keycloak_port: int) -> list[str]:
    """Apicurio's settings: OIDC bearer tokens from this Keycloak (and HTTP basic client
    credentials, which it exchanges there), roles from the token's realm roles, anonymous
    reads open, writes for sr-developer and sr-admin only."""
    return ["-Dquarkus.oidc.tenant-enabled=true",
            f"-Dquarkus.oidc.auth-server-url={issuer_url(keycloak_port)}",
            "-Dapicurio.authn.basic-client-credentials.enabled=true",
            "-Dapicurio.auth.role-based-authorization=true",
            "-Dapicurio.auth.role-source=token",
            "-Dapicurio.auth.anonymous-read-access.enabled=true"]
