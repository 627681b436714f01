"""Topic creation and alteration shared by every role and `govbus topics` (a real cluster may
forbid auto-creation). What to create comes from ``govbus.core.topic_plan``."""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    NewTopic,
    ResourceType,
)

from govbus.core.topic_plan import ActionKind, ExistingTopic, TopicAction, TopicSpec

TIMEOUT_SECONDS = 30


def new_topic(spec: TopicSpec) -> NewTopic:
    return NewTopic(spec.name, num_partitions=spec.partitions, replication_factor=spec.replication_factor,
                    config=dict(spec.config))


def create_missing_topics(admin: AdminClient, wanted: list[NewTopic]) -> None:
    """Create the topics of ``wanted`` that do not exist yet; one created meanwhile by another
    process is fine, any other failure raises (an infrastructure fault)."""
    existing = set(admin.list_topics(timeout=10).topics)
    missing = [t for t in wanted if t.topic not in existing]
    for _topic, future in (admin.create_topics(missing).items() if missing else []):
        try:
            future.result()
        except Exception as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise


def create_planned_topics(admin: AdminClient, specs: Iterable[TopicSpec]) -> None:
    """Create the missing ones of ``specs`` as planned; an existing topic is left as it is
    (growing and altering are `govbus topics apply`'s, run by the administrator)."""
    create_missing_topics(admin, [new_topic(spec) for spec in specs])


def existing_topics(admin: AdminClient, names: Iterable[str]) -> dict[str, ExistingTopic]:
    """Partitions, replicas and configuration of those of ``names`` the broker holds."""
    listed = admin.list_topics(timeout=10).topics
    found = [n for n in names if n in listed and listed[n].error is None]
    if not found:
        return {}
    resources = [ConfigResource(ResourceType.TOPIC, name) for name in found]
    configs = {resource.name: future.result(TIMEOUT_SECONDS)
               for resource, future in admin.describe_configs(resources).items()}
    result = {}
    for name in found:
        partitions = listed[name].partitions
        replicas = len(partitions[0].replicas) if 0 in partitions else 0
        values = {key: entry.value for key, entry in configs[name].items() if entry.value is not None}
        result[name] = ExistingTopic(len(partitions), replicas, values)
    return result


@dataclass
class Enacted:
    done: list[TopicAction] = field(default_factory=list)
    failed: list[tuple[TopicAction, str]] = field(default_factory=list)


def enact_topic_actions(admin: AdminClient, actions: Iterable[TopicAction]) -> Enacted:
    """Create, grow and alter as the actions say (never shrink, never delete); every action is
    tried, and each failure is kept with its broker's reason instead of stopping the rest."""
    chosen = [a for a in actions if a.enacted]
    requests = {ActionKind.create: _create, ActionKind.grow: _grow, ActionKind.alter: _alter}
    enacted = Enacted()
    for kind, request in requests.items():
        of_kind = [a for a in chosen if a.kind is kind]
        if not of_kind:
            continue
        futures = request(admin, of_kind)
        for action in of_kind:
            try:
                futures[action.spec.name].result(TIMEOUT_SECONDS)
                enacted.done.append(action)
            except KafkaException as exc:
                enacted.failed.append((action, exc.args[0].str() if exc.args else str(exc)))
    _await_metadata(admin, [a.spec for a in enacted.done if a.kind in (ActionKind.create, ActionKind.grow)])
    return enacted


def _await_metadata(admin: AdminClient, specs: list[TopicSpec]) -> None:
    """Wait (bounded) until the broker's metadata shows the created and grown topics: the
    controller acknowledges before every broker serves the new partitions, and `apply` means
    they are there when it returns (a producer right after would otherwise use the old count)."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while specs and time.monotonic() < deadline:
        listed = admin.list_topics(timeout=10).topics
        specs = [s for s in specs if s.name not in listed or len(listed[s.name].partitions) < s.partitions]
        if specs:
            time.sleep(0.2)


def _create(admin: AdminClient, actions: list[TopicAction]) -> dict:
    return admin.create_topics([new_topic(a.spec) for a in actions], request_timeout=TIMEOUT_SECONDS)


def _grow(admin: AdminClient, actions: list[TopicAction]) -> dict:
    return admin.create_partitions([NewPartitions(a.spec.name, a.spec.partitions) for a in actions],
                                   request_timeout=TIMEOUT_SECONDS)


def _alter(admin: AdminClient, actions: list[TopicAction]) -> dict:
    resources = [ConfigResource(ResourceType.TOPIC, a.spec.name, incremental_configs=[
        ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET) for key, value in a.changes.items()])
        for a in actions]
    return {resource.name: future for resource, future in admin.incremental_alter_configs(resources).items()}
