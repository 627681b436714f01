"""Which govbus roles a deployment runs, how many of each at most, and with what: pure, from the
topic plan, the role groups and the recipients of the agreements."""
from __future__ import annotations

from typing import Iterable

from commands.render.model import (
    FEED_PORT,
    HEALTH_PORT,
    INGEST_PORT,
    INGEST_TOKENS_FILE,
    PlannedTopic,
    RoleSpec,
    k8s_name,
)
from govbus.core import identities
from govbus.core.access import RoleGroups
from govbus.core.identities import Service
from govbus.core.topics import TopicNames

ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - inside a container, probes come from outside it


def most_partitions(topics: Iterable[PlannedTopic], prefix: str) -> int:
    """The most partitions of a topic named ``prefix…``: a consumer group gains nothing from more
    members than that (at least 1)."""
    return max((t.partitions for t in topics if t.name.startswith(prefix)), default=1)


def deploy_roles(topics: tuple[PlannedTopic, ...], names: TopicNames, groups: RoleGroups,
                 recipients: Iterable[str]) -> tuple[RoleSpec, ...]:
    """The processor and detector (Faust groups), one pool sink per recipient (``--recipient``:
    one Deployment per pool, scaled on the shared group), the audit sink (one active member: its
    topic has one partition and the hash chain one writer), the feed, HTTP ingest and the quality
    role (one worker)."""
    raw = names.raw("x")[:-1]  # the raw family with the prefix: "raw." or "<prefix>.raw."
    roles = [
        RoleSpec("govbus-process", ("process",), Service.PROCESSOR.value, HEALTH_PORT, groups.processor,
                 max_replicas=most_partitions(topics, raw), needs_pseudonym_key=True, needs_signing_key=True,
                 cpu="1", memory="1Gi", metrics_role="process"),
        RoleSpec("govbus-detect", ("detect",), Service.DETECTOR.value, HEALTH_PORT, groups.detector,
                 max_replicas=most_partitions(topics, raw), memory="1Gi", metrics_role="detect"),
    ]
    for recipient in sorted(set(recipients)):
        shared = names.shared(recipient, "x")[:-1]
        roles.append(RoleSpec(f"govbus-sink-{k8s_name(recipient)}", ("sink", "--recipient", recipient),
                              Service.SINK.value, HEALTH_PORT, groups.sink,
                              max_replicas=most_partitions(topics, shared), needs_pool=True, metrics_role="sink"))
    roles += [
        RoleSpec("govbus-audit-sink", ("audit", "sink"), Service.AUDIT.value, HEALTH_PORT, None, needs_pool=True,
                 metrics_role="audit-sink"),
        RoleSpec("govbus-feed", ("serve-feed", "--host", ALL_INTERFACES, "--port", str(FEED_PORT)),
                 Service.FEED.value, FEED_PORT, None, min_replicas=2, max_replicas=2, memory="256Mi",
                 metrics_role="feed"),
        RoleSpec("govbus-ingest", ("serve-ingest", "--host", ALL_INTERFACES, "--port", str(INGEST_PORT),
                                   "--tokens", INGEST_TOKENS_FILE),
                 Service.INGEST.value, INGEST_PORT, None, min_replicas=2, max_replicas=2, needs_ingest_tokens=True,
                 metrics_role="ingest"),
        # One worker: its periods span every partition (stream_processors/quality/role.py).
        RoleSpec("govbus-quality", ("quality", "run"), Service.QUALITY.value, HEALTH_PORT, None,
                 needs_pseudonym_key=True, memory="1Gi", metrics_role="quality"),
    ]
    return tuple(roles)


def recipients_of(acl_identities: Iterable[str]) -> list[str]:
    """The recipients holding ACLs now (an agreement in force), from their identities."""
    found = []
    for name in acl_identities:
        if identities.kind_of(name) == "recipient":
            found.append(name.partition(".")[2])
    return sorted(found)
