"""The audit sink's own Prometheus families (docs/architecture.md#metrics), labelled by ``pool``
(the chain's name, ``audit.deliveries``):

- ``govbus_audit_chain_length``: events on the chain (its head's seq), read at scrape time;
- ``govbus_audit_verify_ok`` / ``govbus_audit_verify_timestamp_seconds``: the result and time of the
  last verification, which a thread of the sink repeats every ``audit_verify_seconds`` over the
  rows up to the head it read first (rows appended meanwhile are the next round's);
- ``govbus_audit_checkpoint_timestamp_seconds``: when this process last anchored a signed checkpoint
  (no series before its first: a restarted sink on a quiet chain has anchored nothing yet).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Gauge

from consumers.audit.logic import Head
from consumers.audit.store import CHAIN, AuditStore

log = logging.getLogger(__name__)
POOL = CHAIN
RETRY_SECONDS = 60.0  # after a verification the database did not answer


@dataclass
class AuditGauges:
    chain_length: Gauge
    verify_ok: Gauge
    verify_time: Gauge
    checkpoint_time: Gauge
    known_head: Head = field(default_factory=Head)  # the head last read from the store

    @classmethod
    def register(cls, registry: CollectorRegistry) -> "AuditGauges":
        return cls(
            Gauge("govbus_audit_chain_length", "Events on the audit chain (its head's seq).", ["pool"],
                  registry=registry),
            Gauge("govbus_audit_verify_ok", "1 if the last verification of the chain found it intact, else 0.",
                  ["pool"], registry=registry),
            Gauge("govbus_audit_verify_timestamp_seconds", "When the chain was last verified (Unix time).",
                  ["pool"], registry=registry),
            Gauge("govbus_audit_checkpoint_timestamp_seconds", "When this sink last anchored a signed "
                  "checkpoint of the chain's head (Unix time).", ["pool"], registry=registry))

    def follow(self, store: AuditStore) -> None:
        """Chain length at scrape time: the head this process appended, else the one it read."""
        self.chain_length.labels(POOL).set_function(
            lambda: float(max(store.chain_head.seq if store.chain_head else 0, self.known_head.seq)))

    def checkpointed(self, at: float) -> None:
        self.checkpoint_time.labels(POOL).set(at)

    def verify_once(self, store: AuditStore) -> bool:
        """Verify the chain up to its stored head; sets the gauges, and says so in one line when broken."""
        head = store.stored_head()
        if head is not None:
            self.known_head = head
        result = store.verify(upto_head=True)
        self.verify_ok.labels(POOL).set(1.0 if result.ok else 0.0)
        self.verify_time.labels(POOL).set(time.time())
        if result.broken is not None:
            log.error("audit chain %s fails verification at seq %s (%s): run `govbus audit verify`",
                      POOL, result.broken.seq, result.broken.kind, extra={"event": "audit_verify_failed"})
        return result.ok


def verify_periodically(gauges: AuditGauges, store: AuditStore, every: float, stop: threading.Event) -> None:
    """``verify_once`` now and every ``every`` seconds until ``stop`` (0: only the head, once).
    A database that does not answer is the prober's to report; the next round tries again."""
    while not stop.is_set():
        try:
            if every <= 0:
                gauges.known_head = store.stored_head() or gauges.known_head
                return
            gauges.verify_once(store)
            wait = every
        except Exception as exc:  # noqa: BLE001 - an outage: the role's prober writes its line
            log.debug("audit verification not done: %s", exc)
            wait = min(every, RETRY_SECONDS)
        stop.wait(wait)


def start_verifier(gauges: AuditGauges, store: AuditStore, every: float, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=verify_periodically, args=(gauges, store, every, stop),
                              name="audit-verify", daemon=True)
    thread.start()
    return thread
