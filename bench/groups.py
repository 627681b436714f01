"""What a consumer group says about its members: which govbus process owns which partitions.
Shared by the workers benchmark and the scale-out tests (tests/support/workers.py)."""
from __future__ import annotations

import re

from confluent_kafka import ConsumerGroupState, KafkaException
from confluent_kafka.admin import AdminClient

from govbus.core.settings import GovbusSettings, kafka_config

# The client id a member shows (govbus.core.settings.member_client_id): govbus-<role>-<index>-<pid>.
CLIENT_ID = re.compile(r"^govbus-[a-z-]+-\d+-(?P<pid>\d+)$")


def group_assignment(settings: GovbusSettings, group: str) -> dict[int, set[tuple[str, int]]] | None:
    """pid -> partitions of each member of a Stable group (govbus members only); None while the
    group rebalances, is empty, or the broker does not answer."""
    admin = AdminClient(kafka_config(settings, "admin"))
    try:
        found = admin.describe_consumer_groups([group], request_timeout=10)[group].result(15)
    except KafkaException:
        return None
    if found.state != ConsumerGroupState.STABLE:
        return None
    owners: dict[int, set[tuple[str, int]]] = {}
    for member in found.members:
        matched = CLIENT_ID.match(member.client_id or "")
        if matched is None:
            continue
        parts = member.assignment.topic_partitions if member.assignment else []
        owners[int(matched["pid"])] = {(tp.topic, tp.partition) for tp in parts}
    return owners


def settled(owners: dict[int, set[tuple[str, int]]] | None, pids: set[int], every_member_busy: bool = True) -> bool:
    """True when the group's members are exactly ``pids`` (each holding partitions when asked)."""
    return owners is not None and set(owners) == pids and (not every_member_busy or all(owners.values()))
