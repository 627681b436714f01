"""Where a role's /metrics is, and how Prometheus finds it (docs/operations.md#metrics-endpoints).

- The port: ``GOVBUS_METRICS_PORT`` when set (a fixed port: in use, the role stops with one line),
  else the role's default from ``metrics_ports`` shifted by ``worker_index``; a default in use
  (another worker of the role on this host) gives the next free port, said in a line.
- The line ``<role> metrics on http://host:port/metrics`` at start.
- A file-based service discovery file ``<stack dir>/targets/<role>-<pid>.json`` (Prometheus'
  ``file_sd_configs`` format), written atomically once the port is bound and removed at a clean
  exit. A file left by a killed process names a dead port: Prometheus shows that target down, and
  ``govbus stack up`` removes files whose process is gone. Written only where the stack folder
  exists (a local stack); a deployment is scraped through its pod annotations instead.

The decisions (ports to try, the file's content and name, which files are stale) are pure
functions; ``serve_role_metrics`` and ``publish_target`` do the binding and the writing.
"""
from __future__ import annotations

import atexit
import errno
import json
import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from prometheus_client import CollectorRegistry

from govbus.core.health_server import Health, serve_http
from govbus.core.metrics import role_label
from govbus.core.settings import GovbusSettings, served_metrics_port

log = logging.getLogger(__name__)

TARGETS_FOLDER = "targets"
# How many ports past a role's default a worker tries before it gives up (a host runs fewer
# workers of one role than this; the ports of the next role start 1 further on, so the eighth
# worker of ``process`` would take ``detect``'s port if it were free: harmless, said in the line).
NEXT_PORTS = 32


class MetricsPortInUse(Exception):
    """The fixed metrics port (or every port tried) is taken: no retry on this host fixes it."""


@dataclass(frozen=True)
class PortPlan:
    """The ports a worker tries, in order, and whether the first was asked for explicitly."""

    ports: tuple[int, ...]
    fixed: bool


def port_plan(settings: GovbusSettings, role: str) -> PortPlan:
    """The ports to try: the override alone when ``GOVBUS_METRICS_PORT`` is set (0 and -1 as
    they are), else the role's default and the ``NEXT_PORTS`` after it."""
    port = served_metrics_port(settings, role_label(role))
    if settings.metrics_port is not None or port <= 0:
        return PortPlan((port,), fixed=port > 0)
    return PortPlan(tuple(p for p in range(port, port + NEXT_PORTS) if p <= 65535), fixed=False)


def scrape_host(bound_host: str) -> str:
    """The address Prometheus on this host scrapes: loopback for a wildcard bind."""
    return {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(bound_host, bound_host)  # noqa: S104


def target_address(host: str, port: int) -> str:
    host = scrape_host(host)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def instance_name(role: str, worker_index: int, qualifier: str | None = None) -> str:
    """A name a person reads on the targets page: ``process-0``, ``sink-health_350100-0``."""
    parts = [role_label(role), *([qualifier] if qualifier else []), str(worker_index)]
    return "-".join(parts)


def target_document(role: str, address: str, instance: str) -> list[dict[str, Any]]:
    """One ``file_sd_configs`` entry: the target and the labels every series of it gets."""
    return [{"targets": [address], "labels": {"role": role_label(role), "instance_name": instance}}]


def target_path(stack_dir: Path, role: str, pid: int) -> Path:
    return stack_dir / TARGETS_FOLDER / f"{role_label(role)}-{pid}.json"


def pid_of_target(path: Path) -> int | None:
    """The process id in a targets file's name (``sink-4242.json`` → 4242); None for another file."""
    stem = path.name.removesuffix(".json")
    digits = stem.rpartition("-")[2]
    return int(digits) if path.name.endswith(".json") and digits.isdigit() else None


def stale_targets(files: Iterable[Path], alive: Callable[[int], bool]) -> list[Path]:
    """The targets files whose process is gone."""
    return [f for f in files if (pid := pid_of_target(f)) is not None and not alive(pid)]


def write_target(path: Path, document: list[dict[str, Any]]) -> None:
    """Atomically: Prometheus re-reads the folder on change and must never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(json.dumps(document, indent=2) + "\n")
    os.replace(partial, path)


def remove_target(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def publish_target(settings: GovbusSettings, role: str, host: str, port: int,
                   qualifier: str | None = None) -> Path | None:
    """Write this process's targets file (removed at exit); None where there is no local stack
    folder, or where it cannot be written (one WARNING line: the role runs on, unscraped)."""
    if not settings.stack_dir.is_dir():
        return None
    path = target_path(settings.stack_dir, role, os.getpid())
    document = target_document(role, target_address(host, port),
                               instance_name(role, settings.worker_index, qualifier))
    try:
        write_target(path, document)
    except OSError as exc:
        log.warning("cannot write the scrape target %s (%s): Prometheus will not find this %s", path,
                    exc.strerror or exc, role_label(role))
        return None
    atexit.register(remove_target, path)
    _remove_on_default_sigterm(path)
    return path


def _remove_on_default_sigterm(path: Path) -> None:
    """A SIGTERM that arrives while the role still has Python's default action for it (a Faust
    role before its worker runs) ends the process without ``atexit``: remove the file first,
    then end as the default action would. A role with a handler of its own stops through it and
    ``atexit`` removes the file; Faust's worker replaces this one once it runs."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL:
        return

    def stop(signum: int, _frame: object) -> None:
        remove_target(path)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    signal.signal(signal.SIGTERM, stop)


def announce(role: str, host: str, port: int) -> None:
    """The start line (stderr, so that it shows whatever the role's log level)."""
    print(f"{role_label(role)} metrics on http://{target_address(host, port)}/metrics", file=sys.stderr, flush=True)


def serve_role_metrics(settings: GovbusSettings, role: str, registry: CollectorRegistry, health: Health | None,
                       qualifier: str | None = None) -> int | None:
    """Serve /metrics (and /healthz, /readyz with ``health``) on the role's port, say where,
    and publish the scrape target. None when the port is -1. ``MetricsPortInUse`` when a fixed
    port, or every port tried, is taken."""
    plan = port_plan(settings, role)
    host = settings.metrics_host
    for port in plan.ports:
        try:
            bound = serve_http(registry, health, host, port)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise MetricsPortInUse(f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}") from None
            continue
        if bound is None:
            return None
        if port != plan.ports[0]:
            print(f"{role_label(role)} metrics port {plan.ports[0]} is in use (another worker?): "
                  f"took {bound}", file=sys.stderr, flush=True)
        announce(role, host, bound)
        publish_target(settings, role, host, bound, qualifier)
        return bound
    raise MetricsPortInUse(_in_use_line(plan, host))


def _in_use_line(plan: PortPlan, host: str) -> str:
    if plan.fixed:
        return (f"metrics port {host}:{plan.ports[0]} (GOVBUS_METRICS_PORT, shifted by GOVBUS_WORKER_INDEX) is in "
                f"use: stop what holds it, or set another port (0: a free one)")
    return (f"metrics ports {plan.ports[0]}-{plan.ports[-1]} on {host} are all in use: set GOVBUS_METRICS_PORT "
            f"(0: a free one)")
