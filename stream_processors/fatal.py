"""Stopping a Faust worker on an infrastructure fault, before it can commit past the failure.

faust-streaming acknowledges an event whose agent raised (and ``take_events`` acknowledges the
whole batch in its ``finally``; the processor takes ``noack_take`` batches and acknowledges them
itself, but the detector's agents do not), so letting an exception leave an agent would skip records.
Data faults never raise (they are dead letters); anything that does raise is the registry, the
broker or a bug in I/O code, and the process must stop so that a restart resumes from the last
committed offset.
"""
from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)
EXIT_INFRASTRUCTURE = 70


def die(reason: str) -> None:
    log.critical(reason)
    logging.shutdown()
    os._exit(EXIT_INFRASTRUCTURE)
