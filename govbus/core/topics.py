"""Topic names. Built only here, never by string formatting elsewhere (docs/architecture.md#topics).

``TopicNames(prefix)`` lets one broker hold several isolated buses (each test uses its own
prefix); production uses the empty prefix: ``raw.hotline.work_order``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_NAME_PART = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")


def _checked(*parts: str) -> str:
    for part in parts:
        if not _NAME_PART.match(part):
            raise ValueError(f"not a valid topic name part: {part!r}")
    return ".".join(parts)


@dataclass(frozen=True)
class TopicNames:
    prefix: str = ""

    def _name(self, *parts: str) -> str:
        return _checked(*((self.prefix,) if self.prefix else ()), *parts)

    def raw(self, dataset: str) -> str:
        """Full-fidelity records of ``dataset`` (e.g. hotline.work_order), written by its owner only."""
        return self._name("raw", dataset)

    def dlq(self, dataset: str) -> str:
        """Rejects of ``dataset``, readable by the owning department."""
        return self._name("dlq", dataset)

    def shared(self, recipient: str, dataset: str) -> str:
        """Records of ``dataset`` already masked for ``recipient``."""
        return self._name("shared", recipient, dataset)

    def shared_pattern(self, recipient: str) -> str:
        """Regex subscription for every dataset shared with ``recipient``."""
        return "^" + re.escape(self._name("shared", recipient)) + r"\..+"

    def shared_pattern_all(self) -> str:
        """Regex subscription for every shared topic of every recipient."""
        return "^" + re.escape(self._name("shared")) + r"\..+\..+"

    def recipient_of(self, topic: str) -> str:
        """The recipient of a ``shared.<recipient>.<dataset>`` topic."""
        parts = topic[len(self.prefix) + 1:].split(".") if self.prefix else topic.split(".")
        if parts[0] != "shared" or len(parts) < 4:
            raise ValueError(f"not a shared topic: {topic!r}")
        return parts[1]

    @property
    def emergency_incidents(self) -> str:
        return self._name("emergency", "incidents")

    @property
    def audit_deliveries(self) -> str:
        return self._name("audit", "deliveries")

    @property
    def audit_redrives(self) -> str:
        return self._name("audit", "redrives")

    @property
    def audit_acl_changes(self) -> str:
        """Every change `govbus acl apply` made to the broker's ACLs, and why."""
        return self._name("audit", "acl_changes")

    @property
    def bus_keys(self) -> str:
        """The processor's public signing keys (compacted; key = key id: govbus.core.signing)."""
        return self._name("bus", "keys")

    @property
    def quality_scorecards(self) -> str:
        """Data-quality scorecards of every department and dataset (stream_processors/quality),
        compacted, keyed by scorecard id (department|dataset|granularity|period start)."""
        return self._name("quality", "scorecards")

    def feedback(self, department: str) -> str:
        """A department's own scorecards (``feedback.health``): only that department reads it."""
        return self._name("feedback", department)

    @property
    def feedback_prefix(self) -> str:
        return self._name("feedback") + "."

    def audit_actions(self, identity: str) -> str:
        """The actions of one bus identity (``audit.actions.op.alice``): only that identity may
        write it (a literal ACL), so the audit sink takes the actor from the topic's name."""
        return self._name("audit", "actions", _actor_part(identity))

    @property
    def audit_actions_prefix(self) -> str:
        """What every action topic's name starts with (the audit sink subscribes to all)."""
        return self._name("audit", "actions") + "."

    def actor_of(self, topic: str) -> str | None:
        """The identity whose action topic ``topic`` is, or None if it is not an action topic."""
        prefix = self.audit_actions_prefix
        if not topic.startswith(prefix) or not _NAME_PART.match(topic[len(prefix):]):
            return None
        part = topic[len(prefix):]
        return {v: k for k, v in _ACTOR_PARTS.items()}.get(part, part)

    @property
    def audit_checkpoints(self) -> str:
        """Signed checkpoints of the audit chain, compacted, keyed by chain (consumers/audit/checkpoint.py)."""
        return self._name("audit", "checkpoints")

    def dataset_of(self, topic: str) -> str:
        """The dataset a raw/dlq/shared topic carries."""
        parts = topic[len(self.prefix) + 1:].split(".") if self.prefix else topic.split(".")
        if parts[0] in ("raw", "dlq") and len(parts) >= 3:
            return ".".join(parts[1:])
        if parts[0] == "shared" and len(parts) >= 4:
            return ".".join(parts[2:])
        raise ValueError(f"not a dataset topic: {topic!r}")


# Identity names are topic name parts but for the administrator's hyphen (govbus.core.identities).
_ACTOR_PARTS = {"bus-admin": "bus_admin"}


def _actor_part(identity: str) -> str:
    return _ACTOR_PARTS.get(identity, identity)


def value_subject(topic: str) -> str:
    """Schema-registry subject of a topic's values (Confluent TopicNameStrategy)."""
    return f"{topic}-value"
