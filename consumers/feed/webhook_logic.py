"""Webhook notifications of incident changes, pure: which hooks a change fires, the body, the
signature and its check, and the retry schedule. The sending is consumers/feed/webhooks.py.

Hooks are catalogue data (``catalogue/notifications/webhooks.yaml``): an id, a URL, the *name*
of a secret (the secret itself is a file ``<GOVBUS_WEBHOOK_SECRETS_DIR>/<name>.key``, never in
the catalogue), and which incidents: ``rules`` and/or ``grades`` (empty: any) and the changes
(``on``). The body is JSON; the header ``X-Govbus-Signature: t=<unix seconds>,v1=<hex>`` is
HMAC-SHA256 over ``"<t>." + body`` with the secret, so a receiver can check both the sender and
the freshness (a replayed old request fails the tolerance); ``X-Govbus-Delivery`` is
``<incident id>@<version>``, the same on every retry, for the receiver to drop duplicates.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from consumers.feed.logic import Change, incident_view
from govbus.core.catalogue import CatalogueError, load_yaml_mapping
from govbus.core.result import Fault, Ok
from govbus.core.rules import Grade

WEBHOOKS_FILE = Path("notifications") / "webhooks.yaml"
SIGNATURE_HEADER = "X-Govbus-Signature"
DELIVERY_HEADER = "X-Govbus-Delivery"
ChangeKind = Literal["opened", "updated", "escalated", "acknowledged", "resolved"]
_SIGNATURE = re.compile(r"^t=(\d{1,12}),v1=([0-9a-f]{64})$")


class WebhookSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    url: str = Field(pattern=r"^https?://[^\s]+$")
    secret: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="file <secrets dir>/<secret>.key")
    rules: list[str] = []
    grades: list[Grade] = []
    on: list[ChangeKind] = Field(default=["opened", "escalated"], min_length=1)


class WebhookFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    webhooks: list[WebhookSpec] = []


def load_webhooks(catalogue_dir: Path) -> list[WebhookSpec]:
    """The hooks of the catalogue (none without the file); CatalogueError names the problems."""
    path = catalogue_dir / WEBHOOKS_FILE
    if not path.is_file():
        return []
    data = load_yaml_mapping(path)
    try:
        hooks = WebhookFile.model_validate(data).webhooks
    except ValidationError as exc:
        raise CatalogueError(path, [(".".join(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]) from exc
    ids = [h.id for h in hooks]
    if len(ids) != len(set(ids)):
        raise CatalogueError(path, [("webhooks", "webhook ids must be unique")])
    return hooks


def change_kind(change: Change) -> ChangeKind:
    """What happened to the incident in this change."""
    current, previous = change.current, change.previous
    if previous is None:
        return "opened" if current["state"] != "resolved" else "resolved"
    if current["state"] != previous["state"] and current["state"] in ("escalated", "acknowledged", "resolved"):
        return current["state"]
    if Grade(current["grade"]).rank < Grade(previous["grade"]).rank:
        return "escalated"
    return "updated"


def hooks_for(hooks: list[WebhookSpec], change: Change) -> list[WebhookSpec]:
    """The hooks this change fires."""
    incident, kind = change.current, change_kind(change)
    return [h for h in hooks if kind in h.on and (not h.rules or incident["rule_id"] in h.rules)
            and (not h.grades or incident["grade"] in h.grades)]


def payload(change: Change) -> bytes:
    """The JSON body: what changed and the incident as the feed shows it (names, Chinese title)."""
    view = incident_view(change.current)
    body: dict[str, Any] = {"change": change_kind(change), "incident": view}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def delivery_id(change: Change) -> str:
    return f"{change.current['incident_id']}@{change.current['version']}"


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: bytes, header: str, body: bytes, now: int, tolerance_seconds: int = 300) -> Ok[int] | Fault:
    """For receivers (and tests): Ok(timestamp) when the header signs ``body`` with ``secret``
    within ``tolerance_seconds`` of ``now``."""
    match = _SIGNATURE.match(header or "")
    if match is None:
        return Fault("malformed", "webhook.signature", "the signature header is not t=<seconds>,v1=<64 hex>")
    timestamp = int(match.group(1))
    if abs(now - timestamp) > tolerance_seconds:
        return Fault("stale", "webhook.signature", f"signed {now - timestamp} s ago; more than {tolerance_seconds} s")
    if not hmac.compare_digest(sign(secret, timestamp, body), header):
        return Fault("mismatch", "webhook.signature", "the signature does not match the body and secret")
    return Ok(timestamp)


def retry_delays(attempts: int, first_seconds: float, max_seconds: float) -> list[float]:
    """Waits before attempts 2..n: exponential (first, 2×first, 4×first …), capped."""
    return [min(first_seconds * 2 ** n, max_seconds) for n in range(max(attempts - 1, 0))]


def retryable(status: int | None) -> bool:
    """None (no answer), 408, 429 and 5xx may pass on a later try; other answers will not."""
    return status is None or status in (408, 429) or status >= 500
