"""Readiness probes: a real metadata request to the broker, a real API call to the registry."""
from __future__ import annotations

import http.client
import logging
import time
import urllib.error
import urllib.request
from typing import Any, Callable

from confluent_kafka.admin import AdminClient

from commands.localstack.procs import pid_alive


def broker_ready(bootstrap: str, security: dict[str, Any], timeout: float = 5.0) -> bool:
    """True once the broker answers a metadata request from a client configured by ``security``
    (the stack asks as bus-admin over SASL_SSL)."""
    return bool(broker_ids(bootstrap, security, timeout))


def broker_ids(bootstrap: str, security: dict[str, Any], timeout: float = 5.0) -> set[int] | None:
    """The ids of the brokers a metadata request lists, or None when none answers in ``timeout``.
    librdkafka sends the first request to a bootstrap address, so one address asks that node."""
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0, **security,
                         # librdkafka's Python client takes a Logger here; its stub types config values as scalars.
                         "logger": _silent_logger()})  # type: ignore[dict-item]
    try:
        metadata = admin.list_topics(timeout=timeout)
    except Exception:  # noqa: BLE001 - not ready yet is any failure to answer
        return None
    return set(metadata.brokers)


def registry_ready(url: str, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/subjects", timeout=timeout) as response:  # noqa: S310 - the registry's URL
            return response.status == 200
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        # HTTPException: something that is not an HTTP server (a TLS listener) holds the port.
        return False


def wait_until(check: Callable[[], bool], timeout: float, pid: int | None = None) -> bool:
    """Poll ``check`` until it holds; give up early if the process ``pid`` has died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        if pid is not None and not pid_alive(pid):
            return False
        time.sleep(0.5)
    return False


def _silent_logger() -> logging.Logger:
    logger = logging.getLogger("govbus.probe")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return logger
