"""Where `govbus status` reads from: the file_sd targets files, each role's /metrics (and
/readyz), the broker (group offsets, end offsets, dead letters of the last hour) and the
catalogue's agreements. Thin I/O around commands/status/model.py.

The broker is asked as the identity of the command (bus-admin on the local stack, like
`govbus dlq`); a broker that stops answering half-way raises ``BrokerUnreachable``.
"""
from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterable
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from pathlib import Path

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from commands.status.model import Scrape, Target, parse_metrics, parse_targets
from govbus.core.agreements import Status, load_agreements
from govbus.core.catalogue import load_catalogue
from govbus.core.kafka_access import BrokerUnreachable
from govbus.core.kafka_errors import client_logger
from govbus.core.result import Fault
from govbus.core.settings import GovbusSettings, kafka_config, topic_names

BROKER_TIMEOUT = 10.0  # seconds for one admin request
SCRAPE_TIMEOUT = 3.0   # seconds for one /metrics or /readyz


def read_targets(folder: Path) -> tuple[list[Target], list[str]]:
    """Every target of ``folder/*.json``, and a line for each file that could not be read."""
    targets, problems = [], []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            parsed = parse_targets(path.read_text(encoding="utf-8"), str(path))
        except OSError as exc:  # removed by a role stopping between the glob and the read
            problems.append(f"{path}: {exc.strerror}")
            continue
        if isinstance(parsed, Fault):
            problems.append(parsed.message)
        else:
            targets.extend(parsed.value)
    return targets, problems


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=SCRAPE_TIMEOUT) as answer:  # noqa: S310 (http from file_sd)
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def scrape(target: Target) -> Scrape:
    """The target's /metrics, and its /readyz when it has no govbus_role_ready gauge."""
    base = f"http://{target.address}"
    try:
        status, text = _get(f"{base}/metrics")
        if status != 200:
            return Scrape(target, error=f"/metrics answered {status}")
        parsed = parse_metrics(text)
        if isinstance(parsed, Fault):
            return Scrape(target, error=parsed.message)
        ready = None if "govbus_role_ready" in parsed.value else _get(f"{base}/readyz")[0] == 200
        return Scrape(target, parsed.value, ready_answer=ready)
    except (OSError, ValueError) as exc:  # refused, timed out, not HTTP
        return Scrape(target, error=f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}")


def _admin(settings: GovbusSettings) -> AdminClient:
    return AdminClient({**kafka_config(settings, "admin"), "log_level": 0,
                        "logger": client_logger(None, "govbus.librdkafka.status")})  # type: ignore[dict-item]


def committed_offsets(admin: AdminClient) -> dict[str, dict[tuple[str, int], int]]:
    """Every consumer group's committed offsets, by (topic, partition)."""
    listed = admin.list_consumer_groups(request_timeout=BROKER_TIMEOUT).result(timeout=BROKER_TIMEOUT + 5)
    found: dict[str, dict[tuple[str, int], int]] = {}
    for listing in sorted(listed.valid, key=lambda g: g.group_id):
        request = [ConsumerGroupTopicPartitions(listing.group_id)]  # one group a request (the API's rule)
        for group, future in admin.list_consumer_group_offsets(request, request_timeout=BROKER_TIMEOUT).items():
            answer = future.result(timeout=BROKER_TIMEOUT + 5)
            found[group] = {(tp.topic, tp.partition): tp.offset for tp in answer.topic_partitions or []
                            if tp.error is None}
    return found


def end_offsets(admin: AdminClient, partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """The end offset of each partition that still exists (a group may keep offsets of a topic
    deleted since)."""
    existing = admin.list_topics(timeout=BROKER_TIMEOUT).topics
    wanted = {TopicPartition(topic, partition): OffsetSpec.latest() for topic, partition in set(partitions)
              if topic in existing and partition in existing[topic].partitions}
    if not wanted:
        return {}
    answers = admin.list_offsets(wanted, request_timeout=BROKER_TIMEOUT)
    return {(tp.topic, tp.partition): future.result(timeout=BROKER_TIMEOUT + 5).offset
            for tp, future in answers.items()}


def group_offsets(settings: GovbusSettings) -> tuple[dict[str, dict[tuple[str, int], int]], dict[tuple[str, int], int]]:
    """Committed offsets of every group and the end offsets of their partitions; a broker that
    does not answer within the timeouts raises BrokerUnreachable."""
    admin = _admin(settings)
    try:
        committed = committed_offsets(admin)
        return committed, end_offsets(admin, [tp for offsets in committed.values() for tp in offsets])
    except (KafkaException, FutureTimeout) as exc:
        raise BrokerUnreachable(_unreachable(settings, exc)) from exc


def dead_letters_since(settings: GovbusSettings, datasets: Iterable[str], since: datetime) -> dict[str, int]:
    """Records on each dataset's dead-letter topic written since ``since`` (by offsets: a letter
    written again after a crash counts twice, as on the topic)."""
    consumer = Consumer(kafka_config(settings, "consumer", **{
        "group.id": "govbus-status", "log_level": 0, "logger": client_logger(None, "govbus.librdkafka.status")}))
    names = topic_names(settings)
    try:
        return {dataset: _written_since(consumer, names.dlq(dataset), int(since.timestamp() * 1000))
                for dataset in datasets}
    except (KafkaException, FutureTimeout) as exc:
        raise BrokerUnreachable(_unreachable(settings, exc)) from exc
    finally:
        consumer.close()


def _written_since(consumer: Consumer, topic: str, since_ms: int) -> int:
    meta = consumer.list_topics(topic, timeout=BROKER_TIMEOUT).topics.get(topic)
    if meta is None or meta.error is not None:
        return 0  # no dead letter yet (the topic is made with the first)
    asked = [TopicPartition(topic, partition, since_ms) for partition in meta.partitions]
    count = 0
    for found in consumer.offsets_for_times(asked, timeout=BROKER_TIMEOUT):
        _low, high = consumer.get_watermark_offsets(TopicPartition(topic, found.partition), timeout=BROKER_TIMEOUT)
        count += high - found.offset if found.offset >= 0 else 0
    return count


def _unreachable(settings: GovbusSettings, exc: Exception) -> str:
    error = exc.args[0] if exc.args else type(exc).__name__
    said = error.str() if hasattr(error, "str") else str(error) or "no answer in time"
    return (f"the broker at {settings.bootstrap_servers} did not answer ({said}): "
            "check it runs (`govbus stack status`), then retry")


def agreement_rows(settings: GovbusSettings) -> list[tuple[str, str, str, datetime, bool]]:
    """(id, recipient, dataset, valid_to, active) of every agreement in the catalogue."""
    agreements = load_agreements(settings.catalogue_dir).agreements.values()
    return [(a.id, a.recipient_id, a.dataset, a.valid_to, a.status is Status.active) for a in agreements]


def dataset_departments(settings: GovbusSettings) -> dict[str, str]:
    """Dataset → the department that provides it (the owner of its dead letters)."""
    return {dataset: entry.provider.department
            for dataset, entry in load_catalogue(settings.catalogue_dir).entries.items()}
