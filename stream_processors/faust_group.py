"""How a Faust worker takes part in its consumer group (docs/operations.md#running-more-workers).

Every worker started with the same group id shares the input topics' partitions; Kafka's group
coordinator hands them out and moves them when a worker joins, leaves or goes silent.

- A rebalance (a worker joins or stops cleanly): Faust stops fetching, clears the buffers the
  agents have not started on, and with ``stream_wait_empty`` waits for the batches in hand (the
  one being processed, and the one before it whose outputs may still be in flight) to be
  processed and acknowledged (their outputs on the broker: stream_processors/app.py), then commits
  before it gives the partitions up. The next owner starts after the last processed record:
  nothing lost. Usually nothing is redone either, but not always: the commit can land after the
  new owner has read the offsets (faust-streaming issue #502; seen in tests/e2e/scale as a few
  hundred of 20,000 records), and then the batch in hand is processed again, as after a kill.
  (faust's own default is the same; govbus had turned it off.)
- A worker killed (kill -9, a lost host): nothing is committed for it; after the session timeout
  (``group_session_timeout_seconds``) its partitions move and the new owner starts from the last
  commit: the records since then are processed twice (at-least-once); the pools and the audit
  chain take each once (pool rows are upserts by key, audit events carry deterministic ids).
- Workers on one host: each keeps Faust's local state in its own folder (``worker_index``);
  its metrics port is chosen by govbus.core.settings.served_metrics_port.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from govbus.core.settings import GovbusSettings, member_client_id, session_timeouts_ms


def worker_state_dir(settings: GovbusSettings, role: str) -> Path:
    """Faust's data folder of this worker: RocksDB tables cannot be opened by two processes."""
    return settings.state_dir / "faust" / f"{role}-{settings.worker_index}"


def group_member_config(settings: GovbusSettings, role: str) -> dict[str, Any]:
    """faust.App settings for a member of the role's consumer group."""
    session, heartbeat = session_timeouts_ms(settings)
    return {
        "datadir": str(worker_state_dir(settings, role)),
        "broker_client_id": member_client_id(settings, role, os.getpid()),
        "broker_session_timeout": session / 1000,
        "broker_heartbeat_interval": heartbeat / 1000,
        # Finish and commit the batch in hand before a partition is handed over.
        "stream_wait_empty": True,
    }
