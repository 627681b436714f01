"""Wiring for `govbus process`: settings in, a running Faust worker out."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from govbus.core.agreements import AGREEMENTS_DIR
from govbus.core.catalogue import load_catalogue
from govbus.core.credentials import CredentialsError
from govbus.core.deadletter import load_bus_schema, load_dead_letter_schema
from govbus.core.health_server import Health
from govbus.core.kafka_admin import create_planned_topics
from govbus.core.kafka_errors import ClientErrorLatch, client_logger
from govbus.core.key_topic import publish_keys
from govbus.core.metrics import Metrics, new_metrics
from govbus.core.outage import Service
from govbus.core.outage_watch import ride_out
from govbus.core.probes import start_role_health, wait_for_broker
from govbus.core.result import Fault
from govbus.core.rule_lists import load_rule_lists
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, kafka_config, pseudonym_master_key, signing_key_pem, topic_names
from govbus.core.signing import SigningKey, load_signing_key, published
from govbus.core.topic_plan import planned_topics, specs_of
from stream_processors.agreement_actions import AgreementRecorder
from stream_processors.agreement_book import AgreementBook, AgreementChange
from stream_processors.app import build_app
from stream_processors.clean.dedup import SeenEvents
from stream_processors.faust_fix import QuietWorker
from stream_processors.faust_group import worker_state_dir
from stream_processors.faust_health import quiet_client_logs
from stream_processors.faust_lean import use_event_loop
from stream_processors.output import OUTAGE_CONFIG, OutputProducer
from stream_processors.pipeline import Pipeline
from stream_processors.route.logic import audit_key


def ensure_topics(settings: GovbusSettings, pipeline: Pipeline, names: list[str]) -> None:
    """Create those of ``names`` that are missing, sized by the topic plan (the catalogue's
    partitions and retention): a real cluster may forbid auto-creation, and a topic is sized
    right only where it is first created. Existing topics are `govbus topics apply`'s."""
    agreements = [plan.agreement for plan in pipeline.book.all_plans()]
    plan = planned_topics(settings, pipeline.book.catalogue, agreements)
    admin = AdminClient(kafka_config(settings, "admin", logger=client_logger(None, "govbus.librdkafka.admin")))
    create_planned_topics(admin, specs_of(settings, plan, names))


def load_signer(settings: GovbusSettings) -> SigningKey | None:
    """The key every delivery is signed with; None only when signing is switched off."""
    if not settings.sign_deliveries:
        return None
    loaded = load_signing_key(signing_key_pem(settings))
    if isinstance(loaded, Fault):
        raise CredentialsError(f"GOVBUS_SIGNING_KEY_FILE={settings.signing_key_file}: {loaded.message}")
    return loaded.value


def publish_signer(settings: GovbusSettings, producer: Producer, signer: SigningKey | None,
                   health: Health) -> None:
    """Put the processor's public key on bus.keys (created: when its key file was written), so
    that the sinks and the recipients can verify what it signs; waits out a broker outage."""
    if signer is None or settings.signing_key_file is None:
        return
    created = datetime.fromtimestamp(settings.signing_key_file.stat().st_mtime, timezone.utc)
    left = publish_keys(producer, settings, [published(signer.public_key, created)], timeout=5.0)
    while left:
        health.beat()
        left = publish_keys(producer, settings, [], timeout=5.0)


def build_pipeline(settings: GovbusSettings, health: Health | None = None, metrics: Metrics | None = None,
                   on_agreement_change: Callable[[list[AgreementChange]], None] | None = None) -> Pipeline:
    schemas = load_schemas(settings.schemas_dir)
    catalogue = load_catalogue(settings.catalogue_dir)
    master_key = pseudonym_master_key(settings)
    book = AgreementBook(settings.catalogue_dir / AGREEMENTS_DIR, catalogue, schemas, master_key,
                         on_change=on_agreement_change)
    pipeline = Pipeline(
        serde=Serde.from_settings(settings), topics=topic_names(settings), schemas=schemas,
        book=book, metrics=metrics or new_metrics(),
        dead_letter_schema=load_dead_letter_schema(settings.schemas_dir),
        audit_schema=load_bus_schema(settings.schemas_dir, "govbus.bus.AuditDelivery"),
        audit_key=audit_key(master_key),
        seen=SeenEvents(settings.dedup_horizon_seconds, settings.dedup_max_entries),
        signing_key=load_signer(settings), rule_lists=load_rule_lists(settings.catalogue_dir))
    if health is None:
        pipeline.prepare()
    else:  # the registry may be down at start: wait for it like for any outage
        ride_out(health.watch, pipeline.prepare, lambda: False, on_wait=health.beat)
    return pipeline


def run_processor(settings: GovbusSettings) -> None:
    use_event_loop(settings.processor_event_loop)  # before anything makes a loop
    metrics = new_metrics()
    lag = {"lag_known": False}  # written by the heartbeat timer (faust_health), read by /readyz
    health = start_role_health(settings, "processor", metrics.registry, (Service.BROKER, Service.REGISTRY),
                               lag_known=lambda: lag["lag_known"])
    wait_for_broker(settings, health)
    # Activations and revocations as this worker sees them, on the audit chain (its first load too).
    pipeline = build_pipeline(settings, health, metrics, on_agreement_change=AgreementRecorder(settings))
    raw_topics = [pipeline.topics.raw(d) for d in pipeline.schemas]
    start_topics = raw_topics + pipeline.output_topics() + [pipeline.topics.bus_keys]
    ride_out(health.watch, lambda: ensure_topics(settings, pipeline, start_topics),
             lambda: False, on_wait=health.beat)
    worker_state_dir(settings, "processor").mkdir(parents=True, exist_ok=True)  # Faust makes only the last level
    latch = ClientErrorLatch(health.watch)
    producer = Producer(kafka_config(settings, "producer", **OUTAGE_CONFIG, error_cb=latch,
                                     logger=client_logger(health.watch)))
    output = OutputProducer(producer, client_error=latch)
    publish_signer(settings, producer, pipeline.signing_key, health)
    app = build_app(settings, pipeline, raw_topics, output, health, lag,
                    on_agreements_changed=lambda: ensure_topics(settings, pipeline, pipeline.output_topics()))
    quiet_client_logs(health.watch)
    worker = QuietWorker(app, loglevel=settings.log_level or "WARNING", quiet=True)
    worker.log_format, worker.role = settings.log_format, "process"
    worker.execute_from_commandline()
