"""Who a registry client is: an OIDC client (client id and secret) of the registry's identity
provider, or nobody (anonymous: reads only, where the registry allows anonymous reads).

The client fetches a token from the identity provider itself (OAuth 2 client credentials,
confluent-kafka's ``OAUTHBEARER`` source) and sends the registry only that bearer token, which
the registry checks against the provider's keys; the secret never travels to the registry.
Apicurio's other mode, HTTP basic "client credentials", would send the secret to the registry
with every request for it to exchange (docs/security.md#registry-authentication).

An identity lives in one JSON file, mode 0600: ``{"client_id", "client_secret", "token_url"}``
(the local stack writes ``<stack dir>/identities/registry.<client id>.json``).
"""
from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Sent as confluent-kafka's ``target-sr-cluster`` header, which it requires with a bearer
# token (a Confluent Cloud notion); Apicurio ignores it.
LOGICAL_CLUSTER = "govbus"
# Keycloak issues client-credentials tokens for the ``openid`` scope to any client.
TOKEN_SCOPE = "openid"  # noqa: S105 - an OAuth scope, not a secret


class RegistryIdentityError(Exception):
    """An identity file is missing, unreadable, too open or incomplete; the message says which."""


@dataclass(frozen=True)
class RegistryIdentity:
    client_id: str
    client_secret: str = field(repr=False)
    token_url: str

    def client_config(self) -> dict[str, Any]:
        """The SchemaRegistryClient settings that make it fetch and send bearer tokens."""
        return {"bearer.auth.credentials.source": "OAUTHBEARER",
                "bearer.auth.client.id": self.client_id,
                "bearer.auth.client.secret": self.client_secret,
                "bearer.auth.scope": TOKEN_SCOPE,
                "bearer.auth.issuer.endpoint.url": self.token_url,
                "bearer.auth.logical.cluster": LOGICAL_CLUSTER}


def load_identity(path: Path) -> RegistryIdentity:
    """The identity in ``path``; refuses a file others may read (it holds a secret)."""
    try:
        mode = path.stat().st_mode
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise RegistryIdentityError(f"registry identity {path}: cannot read it ({exc})") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise RegistryIdentityError(f"registry identity {path}: readable by others "
                                    f"(mode {stat.S_IMODE(mode):o}); `chmod 600 {path}`")
    missing = [k for k in ("client_id", "client_secret", "token_url") if not data.get(k)]
    if missing:
        raise RegistryIdentityError(f"registry identity {path}: no {', '.join(missing)}")
    return RegistryIdentity(data["client_id"], data["client_secret"], data["token_url"])


def write_identity(path: Path, identity: RegistryIdentity) -> None:
    """Write ``identity`` to ``path`` created 0600 (never world-readable, not even briefly)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"client_id": identity.client_id, "client_secret": identity.client_secret,
                   "token_url": identity.token_url}, handle, indent=2)
    os.chmod(path, 0o600)
