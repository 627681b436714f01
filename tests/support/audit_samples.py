"""Audit events for the audit store's tests, shaped like stream_processors.route.logic.audit_event."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

T0 = datetime(2025, 3, 1, 8, 30, tzinfo=timezone.utc)
NAMESPACE = uuid.UUID("6f1b8a52-3c1e-4d7b-9a51-0c2f0e7d9b11")


def audit_event(n: int, event_id: str | None = None, recipient: str = "police",
                subjects: list[str] | None = None, **overrides: Any) -> dict[str, Any]:
    """The ``n``-th delivery; the same (event, recipient) gives the same audit_id, as in production."""
    event_id = event_id or str(uuid.uuid5(NAMESPACE, f"event-{n}"))
    return {
        "audit_id": str(uuid.uuid5(NAMESPACE, f"{event_id}|{recipient}|agr-hotline-police|3")),
        "event_id": event_id, "dataset": "hotline.work_order", "recipient": recipient,
        "recipient_topic": f"shared.{recipient}.hotline.work_order",
        "agreement_id": "agr-hotline-police", "agreement_version": 3,
        "purpose": "处置群众诉求 (handle complaints)",
        "fields_delivered": ["order_no", "content", "caller_phone"],
        "operators": {"order_no": "keep", "content": "keep", "caller_phone": "mask_phone"},
        "mask_profile": "sha256:abc123", "subject_pseudonyms": subjects or [],
        "delivered_at": T0 + timedelta(seconds=n), "processor": "stream_processors.pipeline",
        "processor_version": "0.1.0",
    } | overrides
