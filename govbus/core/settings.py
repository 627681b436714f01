"""The one settings object. Read once at the edge (the CLI) and passed down.

Every value comes from a ``GOVBUS_`` environment variable (or ``.env``) or its default.
No module reads the environment anywhere else.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from govbus.core.credentials import (
    DEFAULT_MECHANISM,
    ClientIdentity,
    CredentialsError,
    librdkafka_security,
    read_secret_file,
)
from govbus.core.topics import TopicNames

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HEARTBEAT_MS = 3000  # Kafka clients' default heartbeat interval
# Default metrics port of each role (the ``role`` label of its series and its scrape file's name).
ROLE_METRICS_PORTS = {"process": 9401, "detect": 9402, "sink": 9403, "audit-sink": 9404, "feed": 9405,
                      "ingest": 9406, "sql-producer": 9407, "quality": 9408}


class GovbusSettings(BaseSettings):
    # An empty variable means "not set" (a child process can clear an inherited identity).
    model_config = SettingsConfigDict(env_prefix="GOVBUS_", env_file=".env", frozen=True, extra="ignore",
                                      env_ignore_empty=True)

    # Empty: use the local stack started by `govbus stack up` (its state file names the ports).
    bootstrap_servers: str = ""
    registry_url: str = ""
    # Who registry clients are: a JSON file {client_id, client_secret, token_url}, mode 0600
    # (govbus.core.registry_auth). None: anonymous, which reads only. Against the local stack,
    # commands use its governance identity (commands/endpoints.py).
    registry_identity_file: Path | None = None
    pool_url: str = "sqlite:///govbus-pool.db"
    # The port /metrics (and /healthz, /readyz) is served on. None: the role's default from
    # ``metrics_ports``; a number overrides it for every role: 0 picks a free port, -1 serves
    # nothing, a fixed port in use stops the role with one line (docs/operations.md#metrics-endpoints).
    metrics_port: int | None = Field(default=None, ge=-1, le=65535)
    # Each role's default metrics port (the metrics contract): a second worker on one host whose
    # default is taken takes the next free port and logs it. The feed and HTTP ingest serve
    # /metrics on their web port (--port), so theirs are used only where that is not given.
    metrics_ports: dict[str, int] = Field(default_factory=lambda: dict(ROLE_METRICS_PORTS))
    # The N-th worker of a role on one host (0, 1, ...; docs/operations.md#running-more-workers):
    # a fixed metrics port is shifted by it (worker 1 of port 9401 serves 9402), and the
    # worker's local Faust state lives in a folder of its own. With metrics_port 0 every worker
    # picks a free port and the index only separates the state.
    worker_index: int = Field(default=0, ge=0)
    metrics_host: str = "127.0.0.1"
    # The long-running roles serve /healthz and /readyz on the metrics port too (docs/operations.md).
    # How often each service a role needs is probed for /readyz and for an outage's start and end.
    health_probe_seconds: float = 5.0
    # /healthz answers 503 when the role's loop has not run for this long (waiting out an
    # outage counts as running: the loop beats between tries).
    liveness_seconds: float = 120.0
    # The roles' log lines (govbus.core.logs): "text" (one line each) or "json" (JSON lines with
    # time, level, role, event, topic, partition, offset, event_id, message) for a log collector.
    log_format: Literal["text", "json"] = "text"
    # The lowest level of line the roles write; unset, each role's own (WARNING for the long-running
    # roles, INFO for ingest, the SQL adapter and the feed). INFO on `process` and `detect` adds
    # Faust's rebalance and recovery lines: which partitions a worker took and where it sought them.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] | None = None
    # How often the audit sink re-verifies its whole chain (govbus_audit_verify_ok); it reads
    # every row, so keep it minutes apart on a large chain. 0: never (only `govbus audit verify`).
    audit_verify_seconds: float = Field(default=300.0, ge=0)
    schemas_dir: Path = PROJECT_ROOT / "schemas" / "avro"
    catalogue_dir: Path = PROJECT_ROOT / "catalogue"
    # Local stack (govbus stack up): where it keeps data, logs and pids, and its ports.
    stack_dir: Path = Path.home() / ".cache" / "govbus" / "stack"
    cache_dir: Path = Path.home() / ".cache" / "govbus"
    # Faust's local table state (RocksDB/memory spill) and other per-host state.
    state_dir: Path = Path.home() / ".cache" / "govbus" / "state"
    # Kafka nodes of a new local stack: 1 (the demo, the main CI run) or 3 (combined KRaft nodes,
    # replication factor 3, min.insync.replicas 2: docs/cluster.md). `stack up --brokers` wins;
    # an existing stack keeps the number it was formatted with.
    stack_brokers: int = 1
    # Node 1's ports (0: free ones); further nodes always take free ones.
    kafka_port: int = 0
    controller_port: int = 0
    registry_port: int = 0
    # Prefix of every topic name (empty in production; tests use their own to stay isolated).
    topic_prefix: str = Field(default="", pattern=r"^([a-z0-9_]+(\.[a-z0-9_]+)*)?$")
    # Topics (govbus.core.topic_plan): replicas of every topic the bus creates, -1 the broker's
    # default.replication.factor; min.insync.replicas set on each, None leaves the broker's.
    replication_factor: int = Field(default=-1, ge=-1, le=32)
    min_insync_replicas: int | None = Field(default=None, ge=1, le=32)
    # Processing
    processor_group: str = "govbus-processor"
    sink_group: str = "govbus-sink"
    # How long a consumer group waits for a silent member (killed, hung, cut off) before its
    # partitions move to the others; members heartbeat every third of it. Kafka's default
    # (45 s); the broker bounds it (group.min/max.session.timeout.ms, 6 s to 30 min by default).
    group_session_timeout_seconds: float = Field(default=45.0, ge=6.0, le=1800.0)
    sink_batch_size: int = 500
    sink_batch_seconds: float = 1.0
    # Master key for keyed pseudonyms (per-agreement keys derive from it): a file only (mode
    # 0600, from a secret store), never an inline value or a default. The local stack makes one.
    pseudonym_key_file: Path | None = None
    # The processor's Ed25519 signing key (PKCS#8 PEM, mode 0600; govbus.core.signing): every
    # delivery is signed with it. A file only, like the pseudonym key; the local stack makes one
    # (<stack dir>/secrets/signing.key) and `govbus keys rotate` replaces it.
    signing_key_file: Path | None = None
    # Sign deliveries (default on). Off only for `bench.processor_bench --compare-signing`, which
    # measures what signing costs; a sink refuses every unsigned record (docs/security.md).
    sign_deliveries: bool = True
    # The audit store's database (GOVBUS_AUDIT_URL); None: the pool database. An auditor may keep
    # the chain apart from the pools (consumers/audit/store.py).
    audit_url: str | None = None
    # The audit sink's Ed25519 key for signed checkpoints of the chain (consumers/audit/checkpoint.py):
    # PKCS#8 PEM, mode 0600; the local stack makes <stack dir>/secrets/audit-signing.key. None:
    # the sink writes no checkpoints (and says so), and `audit verify` reports the anchor missing.
    audit_signing_key_file: Path | None = None
    # The public key verifiers trust; None: the signing key file's name + ".pub".
    audit_public_key_file: Path | None = None
    # A checkpoint after this many appended events or this many seconds, whichever comes first.
    audit_checkpoint_events: int = Field(default=1000, ge=1)
    audit_checkpoint_seconds: float = Field(default=30.0, gt=0)
    agreements_reload_seconds: float = 2.0
    dedup_horizon_seconds: float = 600.0
    dedup_max_entries: int = 1_000_000
    # HTTP ingest: librdkafka's message.timeout.ms for its records. A request is answered once
    # every record has its final report, so within this (plus ~2 s): a 503 then means librdkafka
    # has given up on the records and they will not appear when the broker returns.
    ingest_delivery_timeout_seconds: float = Field(default=15.0, gt=0)
    # CSV imports through the compiled reader (native/) when it is installed; false: Python.
    native_import: bool = True
    # The longest line (CSV, JSON lines) an import reads, in bytes; a longer one is a reject
    # naming its line, read in chunks and never held whole. Capped at the producer's
    # message.max.bytes (librdkafka's default 1,000,000), the largest record the bus takes.
    import_max_line_bytes: int = Field(default=1_000_000, ge=1)
    # How long an import waits for the broker to acknowledge before it stops part-way (and
    # says where to resume); also the most it waits for the broker at its start.
    import_broker_wait_seconds: float = Field(default=30.0, gt=0)
    # The identity clients connect as (SASL_SSL, docs/security.md). Empty user: the commands take
    # one from the local stack's identities/ folder; the password is read from its file when a
    # client is configured, never held here.
    kafka_user: str = ""
    kafka_password_file: Path | None = None
    kafka_ca_file: Path | None = None
    kafka_sasl_mechanism: str = DEFAULT_MECHANISM
    # Other librdkafka overrides as JSON, e.g. {"client.id": "x"}; security comes from the above.
    kafka_extra: dict[str, Any] = Field(default_factory=dict)
    # speed-bench lane (issue 18): the sinks' batches (consumers/batch_fill.py). sink_batch_size
    # caps a batch; sink_batch_seconds is how long a read waits for a first record while nothing
    # comes (the loop then beats and checks its stop); a batch is written as soon as the consumer
    # has nothing more to give, and never gathers for longer than this after its first record.
    sink_batch_max_wait_seconds: float = Field(default=0.1, gt=0, le=60.0)

    # --- quality-score lane (issue 19: stream_processors/quality, `govbus quality`) ---
    # The quality role's consumer group (one worker: its scorecards are per department × dataset).
    quality_group: str = "govbus-quality"
    # How far event time may run behind the newest seen before a period closes: an hour (or
    # day) scorecard is emitted once the watermark (newest event time − this) passes its end.
    quality_lateness_seconds: float = Field(default=3600.0, ge=0)
    # At most this many reference keys (pseudonyms, USCCs) kept per consistency check; the
    # oldest go first (a check against an evicted key counts as broken: raise it for big bases).
    quality_reference_keys_max: int = Field(default=2_000_000, ge=1)

    # --- console-places lane (issue 20): webhook notifications of incidents (consumers/feed/webhooks.py).
    # Hooks are catalogue data (catalogue/notifications/webhooks.yaml); each names a secret whose
    # bytes are the file <webhook_secrets_dir>/<name>.key (mode 0600, from a secret store), never
    # in the catalogue. None: hooks that need a secret stop the feed at start, saying so.
    webhook_secrets_dir: Path | None = None
    # Tries per notification (the first included), the wait before the second (doubling after
    # each, at most the max) and the time one try may take.
    webhook_attempts: int = Field(default=5, ge=1)
    webhook_backoff_seconds: float = Field(default=1.0, gt=0)
    webhook_backoff_max_seconds: float = Field(default=60.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)

    # --- console-actions (issue 20): the feed's operators, their actions, the triggering records ---
    # Operator accounts of the feed page (`govbus feed accounts add`): JSON with scrypt hashes,
    # mode 0600. None: <stack dir>/config/feed-accounts.json.
    feed_accounts_file: Path | None = None
    # A signed-in session lasts this long (one shift); sessions live in the feed's memory, so a
    # restart of the feed signs everybody out.
    feed_session_seconds: int = Field(default=8 * 3600, gt=0)
    # Mark the session cookie Secure even on plain HTTP (a TLS proxy in front that does not say
    # X-Forwarded-Proto); it is Secure anyway when the request came over TLS.
    feed_secure_cookies: bool = False
    # The recipients (shared.<recipient>.*) whose deliveries the incident view lists as its
    # triggering records, masked as their agreements say: the city's emergency command centre
    # (fire alarms, indicators, traffic incidents) and the province's emergency management, the
    # one recipient of hotline work orders (scrubbed text). JSON list in GOVBUS_FEED_RECORDS_RECIPIENTS.
    feed_records_recipients: tuple[str, ...] = ("emergency_management_350100", "emergency_management_350000")
    # Records held for that (bounded memory), and how far back the feed reads them at start.
    feed_records_max: int = Field(default=20000, ge=100)
    feed_records_lookback_hours: float = Field(default=72.0, gt=0)
    # How long an action from the page waits for the detector's new version before it answers
    # "sent, pending" (is `govbus detect` running?).
    feed_action_wait_seconds: float = Field(default=30.0, gt=0)
    # The person named on `govbus incident` actions when --operator is not given; None: the
    # login name of the shell user.
    operator_name: str | None = None

    # --- speed-faust lane (issue 18): the processor's Faust worker ---
    # The asyncio event loop `govbus process` runs Faust on: "uvloop" (libuv's, ~7 % less CPU
    # per input record, docs/capacity.md §6) or "asyncio" (the standard library's selector loop).
    processor_event_loop: Literal["uvloop", "asyncio"] = "uvloop"
    # How long the broker may hold a Faust worker's fetch (processor, detector) when it has nothing
    # to send: Faust's own 1.5 s held a busy partition back behind idle ones for up to 1.5 s
    # (stream_processors/faust_fetch.py); a fetch round trip this often while the bus is idle.
    faust_fetch_max_wait_ms: int = Field(default=100, ge=1, le=1500)

    @field_validator("replication_factor")
    @classmethod
    def _replicas(cls, value: int) -> int:
        if value == 0:
            raise ValueError("0 replicas hold nothing: give -1 (the broker's default) or 1 and more")
        return value


def pseudonym_master_key(settings: GovbusSettings) -> bytes:
    """The pseudonym master key from ``pseudonym_key_file``. There is no default: pseudonyms made
    with a key anyone can read in the source could be reversed by recomputing them."""
    return read_secret_file(settings.pseudonym_key_file, "GOVBUS_PSEUDONYM_KEY_FILE",
                            "a file holding the pseudonym master key (the local stack makes "
                            "<stack dir>/secrets/pseudonym.key)")


def signing_key_pem(settings: GovbusSettings) -> bytes:
    """The processor's signing key file's content (PEM), checked like every secret file."""
    return read_secret_file(settings.signing_key_file, "GOVBUS_SIGNING_KEY_FILE",
                            "the processor's Ed25519 signing key, PKCS#8 PEM (the local stack makes "
                            "<stack dir>/secrets/signing.key)")


def registry_identity_env(settings: GovbusSettings) -> dict[str, str]:
    """The registry identity for a child process's environment: the file's path, not its secret."""
    path = settings.registry_identity_file
    return {"GOVBUS_REGISTRY_IDENTITY_FILE": str(path)} if path is not None else {}


def served_metrics_port(settings: GovbusSettings, role: str | None = None) -> int:
    """The port this worker of ``role`` serves /metrics on: ``GOVBUS_METRICS_PORT`` when set, else
    the role's default (0, a free one, for a role without one); 0 (a free one) and -1 (none) as
    given, a fixed port shifted by ``worker_index`` so that the workers of one host do not collide."""
    port = settings.metrics_port
    if port is None:
        port = settings.metrics_ports.get(role, 0) if role else 0
    return port + settings.worker_index if port > 0 else port


def session_timeouts_ms(settings: GovbusSettings) -> tuple[int, int]:
    """(session timeout, heartbeat interval) in milliseconds for a group member. Members learn of
    a rebalance from a heartbeat's answer, so heartbeats stay at Kafka's 3 s however long the
    session; a short session gets a third of it, so two may be lost before the member is dead."""
    session = int(settings.group_session_timeout_seconds * 1000)
    return session, min(HEARTBEAT_MS, session // 3)


def member_client_id(settings: GovbusSettings, role: str, pid: int) -> str:
    """The client id a group member shows in the group's description (``kafka-consumer-groups
    --describe``, AdminClient.describe_consumer_groups): role, worker index and process id, so
    that an operator can tell which process owns which partitions. ``client.id`` in
    ``kafka_extra`` wins."""
    given = settings.kafka_extra.get("client.id")
    return str(given) if given else f"govbus-{role}-{settings.worker_index}-{pid}"


def topic_names(settings: GovbusSettings) -> TopicNames:
    return TopicNames(settings.topic_prefix)


def client_identity(settings: GovbusSettings) -> ClientIdentity | None:
    """The identity to connect as, or None when no user is set (a plaintext broker)."""
    if not settings.kafka_user:
        return None
    if settings.kafka_password_file is None:
        raise CredentialsError(f"GOVBUS_KAFKA_USER is {settings.kafka_user!r} but no GOVBUS_KAFKA_PASSWORD_FILE "
                               f"is set: point it at the identity's file")
    return ClientIdentity(settings.kafka_user, settings.kafka_password_file, settings.kafka_ca_file,
                          settings.kafka_sasl_mechanism)


def connection_env(settings: GovbusSettings) -> dict[str, str]:
    """The ``GOVBUS_*`` variables that make a child process connect where and as whom these
    settings do (file paths only: a password never travels in an environment)."""
    env = {"GOVBUS_BOOTSTRAP_SERVERS": settings.bootstrap_servers, "GOVBUS_REGISTRY_URL": settings.registry_url,
           "GOVBUS_KAFKA_USER": settings.kafka_user, "GOVBUS_KAFKA_SASL_MECHANISM": settings.kafka_sasl_mechanism}
    for name, path in (("GOVBUS_KAFKA_PASSWORD_FILE", settings.kafka_password_file),
                       ("GOVBUS_KAFKA_CA_FILE", settings.kafka_ca_file)):
        env[name] = str(path) if path else ""
    if settings.pseudonym_key_file is not None:
        env["GOVBUS_PSEUDONYM_KEY_FILE"] = str(settings.pseudonym_key_file)
    if settings.signing_key_file is not None:
        env["GOVBUS_SIGNING_KEY_FILE"] = str(settings.signing_key_file)
    return env | registry_identity_env(settings)


def kafka_config(settings: GovbusSettings, role: str, **overrides: Any) -> dict[str, Any]:
    """librdkafka configuration for a confluent-kafka client of ``role`` (producer/consumer/admin).

    Producers are idempotent with acks=all (docs/architecture.md#guarantees); consumers never
    auto-commit, because offsets are committed only after outputs are acknowledged or stored.
    """
    config: dict[str, Any] = {"bootstrap.servers": settings.bootstrap_servers}
    identity = client_identity(settings)
    if identity is not None:
        config |= librdkafka_security(identity)
    if role == "producer":
        # murmur2_random: the Java client's partitioner (and Faust's, and Kafka Connect's), so a
        # business key lands in the same partition whichever client a department publishes with;
        # librdkafka's default (CRC32) would split one key's versions over two partitions.
        config |= {"enable.idempotence": True, "acks": "all", "linger.ms": 5,
                   "compression.type": "lz4", "partitioner": "murmur2_random"}
    elif role == "consumer":
        session, heartbeat = session_timeouts_ms(settings)
        config |= {"enable.auto.commit": False, "auto.offset.reset": "earliest",
                   "enable.auto.offset.store": False,
                   "session.timeout.ms": session, "heartbeat.interval.ms": heartbeat}
    config |= settings.kafka_extra
    config |= overrides
    return config
