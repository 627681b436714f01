"""Wiring for `govbus detect`: settings and rules in, a running Faust worker out."""
from __future__ import annotations

import logging

from confluent_kafka.admin import AdminClient, NewTopic

from govbus.core.catalogue import load_catalogue
from govbus.core.deadletter import load_bus_schema
from govbus.core.health_server import Health
from govbus.core.kafka_admin import create_missing_topics, new_topic
from govbus.core.kafka_errors import client_logger
from govbus.core.lag_gauges import LagGauges
from govbus.core.metrics import Metrics, new_metrics
from govbus.core.outage import Service
from govbus.core.outage_watch import ride_out
from govbus.core.probes import start_role_health, wait_for_broker
from govbus.core.rule_lists import load_rule_lists
from govbus.core.rules import RuleSet, load_rules
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config, topic_names
from govbus.core.topic_plan import planned_topics, specs_of
from stream_processors.detect.app import DetectOptions, build_app, changelog_topics
from stream_processors.detect.extract import Extractor
from stream_processors.detect.feed import IncompleteRead, read_incidents
from stream_processors.detect.logic import Detector
from stream_processors.detect.metrics import detect_metrics
from stream_processors.detect.pipeline import DetectPipeline
from stream_processors.detect.state import Stores
from stream_processors.faust_fix import QuietWorker
from stream_processors.faust_health import install_heartbeat, quiet_client_logs

log = logging.getLogger(__name__)
INCIDENT_SCHEMA = "govbus.bus.EmergencyIncident"


def detector_id(settings: GovbusSettings) -> str:
    """The Faust app id (consumer group, prefix of its internal topics). Carries the topic
    prefix, so that isolated buses on one broker (tests, demos) keep their detectors apart."""
    return f"{settings.topic_prefix}-govbus-detector" if settings.topic_prefix else "govbus-detector"


def observations_topic(app_id: str) -> str:
    """The internal repartition topic, named like Faust's own internal topics."""
    return f"{app_id}-observations"


def load_detection_rules(settings: GovbusSettings) -> RuleSet:
    return load_rules(settings.catalogue_dir, load_schemas(settings.schemas_dir))


def build_pipeline(settings: GovbusSettings, idle_ms: int, health: Health | None = None,
                   metrics: Metrics | None = None) -> DetectPipeline:
    schemas = load_schemas(settings.schemas_dir)
    rules = list(load_rules(settings.catalogue_dir, schemas).rules.values())
    metrics = metrics or new_metrics()
    extra = detect_metrics(metrics.registry)
    pipeline = DetectPipeline(
        serde=Serde.from_settings(settings), topics=topic_names(settings), schemas=schemas,
        extractor=Extractor(rules), detector=Detector(rules, Stores.in_memory(), extra, idle_ms),
        metrics=metrics, detect_metrics=extra,
        incident_schema=load_bus_schema(settings.schemas_dir, INCIDENT_SCHEMA),
        rule_lists=load_rule_lists(settings.catalogue_dir))
    if health is None:
        pipeline.prepare()
    else:  # the registry may be down at start: wait for it like for any outage
        ride_out(health.watch, pipeline.prepare, lambda: False, on_wait=health.beat)
    return pipeline


def ensure_detector_topics(settings: GovbusSettings, pipeline: DetectPipeline, options: DetectOptions,
                           changelogs: list[str]) -> None:
    """Create missing topics: raw and incidents as the topic plan sizes them (the catalogue's
    partitions, as the processor creates them), the internal ones with the detector's partition
    count, changelogs compacted."""
    admin = AdminClient(kafka_config(settings, "admin", logger=client_logger(None, "govbus.librdkafka.admin")))
    existing = admin.list_topics(timeout=10).topics
    found = existing.get(options.observations_topic)
    if found is not None and len(found.partitions) != options.partitions:
        raise SystemExit(f"{options.observations_topic} has {len(found.partitions)} partitions, not "
                         f"{options.partitions}: the detector's state is sharded by it; run with "
                         f"--partitions {len(found.partitions)}")
    plan = planned_topics(settings, load_catalogue(settings.catalogue_dir), [])
    wanted = [new_topic(spec) for spec in specs_of(settings, plan, pipeline.raw_topics() +
                                                   [pipeline.topics.emergency_incidents])]
    wanted.append(NewTopic(options.observations_topic, num_partitions=options.partitions, replication_factor=-1))
    wanted += [NewTopic(t, num_partitions=options.partitions, replication_factor=-1,
                        config={"cleanup.policy": "compact"}) for t in changelogs]
    create_missing_topics(admin, wanted)


def _published(settings: GovbusSettings, pipeline: DetectPipeline) -> dict[str, int]:
    try:
        return {i: r["version"] for i, r in read_incidents(settings, pipeline.serde).items()}
    except IncompleteRead as exc:  # then more versions are re-sent: duplicates, never losses
        log.warning("incidents topic not fully read at start-up: %s", exc)
        return {}


def run_detector(settings: GovbusSettings, partitions: int, idle_seconds: float, tick_seconds: float) -> None:
    metrics = new_metrics()
    lag = {"lag_known": False}  # written by the heartbeat timer (faust_health), read by /readyz
    health = start_role_health(settings, "detector", metrics.registry, (Service.BROKER, Service.REGISTRY),
                               lag_known=lambda: lag["lag_known"])
    wait_for_broker(settings, health)
    pipeline = build_pipeline(settings, int(idle_seconds * 1000), health, metrics)
    app_id = detector_id(settings)
    options = DetectOptions(app_id, observations_topic(app_id), partitions, tick_seconds)
    app, tables = build_app(settings, pipeline, options, health)
    install_heartbeat(app, health, LagGauges(metrics, "detect", app_id), lag)
    ride_out(health.watch, lambda: ensure_detector_topics(settings, pipeline, options, changelog_topics(tables)),
             lambda: False, on_wait=health.beat)
    pipeline.published = ride_out(health.watch, lambda: _published(settings, pipeline), lambda: False,
                                  on_wait=health.beat)
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    quiet_client_logs(health.watch)
    worker = QuietWorker(app, loglevel=settings.log_level or "WARNING", quiet=True)
    worker.log_format, worker.role = settings.log_format, "detect"
    worker.execute_from_commandline()
