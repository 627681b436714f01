"""Long-running roles as child processes (the real CLI), and what their consumer groups say about
them: for the scale-out tests (tests/e2e/scale) and the workers benchmark (bench/workers_bench.py)."""
from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.groups import group_assignment, settled
from govbus.core.settings import GovbusSettings

# Where the kernel hands out client ports (net.ipv4.ip_local_port_range), when /proc does not say.
EPHEMERAL_LOW = 32768


def free_port_run(count: int) -> int:
    """The first of ``count`` consecutive free loopback ports, all below the kernel's client-port range.
    A worker index shifts a fixed metrics port (govbus.core.settings.served_metrics_port); the port after
    one that bind(0) gave is a client port like any other, and a broker connection took it once between
    the test picking it and worker 1 binding it (CI, stop 30). Below that range only a listener can."""
    low = _ephemeral_low()
    for _ in range(500):
        base = random.randrange(10_000, low - count)
        if all(_bindable(port) for port in range(base, base + count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports below {low}")


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return EPHEMERAL_LOW


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# `govbus <args>` of each role.
ROLE_ARGS = {"process": ["process"], "sink": ["sink", "--all"], "audit": ["audit", "sink"]}


@dataclass
class Worker:
    role: str
    index: int
    process: subprocess.Popen
    log: Path
    metrics_port: int

    @property
    def pid(self) -> int:
        return self.process.pid

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Workers:
    """Children started by a test; ``stop_all`` ends every one still running."""
    env: dict[str, str]
    logs: Path
    started: list[Worker] = field(default_factory=list)

    def start(self, role: str, index: int, metrics_port: int = -1, **extra: str) -> Worker:
        log = self.logs / f"{role}-{index}.log"
        env = self.env | {"GOVBUS_WORKER_INDEX": str(index), "GOVBUS_METRICS_PORT": str(metrics_port)} | extra
        with log.open("wb") as handle:
            child = subprocess.Popen([sys.executable, "-m", "commands.main", *ROLE_ARGS[role]], env=env,
                                     stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        # A fixed port is shifted by the worker index (govbus.core.settings.served_metrics_port).
        worker = Worker(role, index, child, log, metrics_port + index if metrics_port > 0 else metrics_port)
        self.started.append(worker)
        return worker

    def kill(self, worker: Worker) -> None:
        """kill -9: no commit, no leaving the group, no goodbye."""
        os.kill(worker.pid, signal.SIGKILL)
        worker.process.wait(10)

    def stop_all(self) -> None:
        running = [w for w in self.started if w.process.poll() is None]
        for worker in running:
            worker.process.terminate()
        for worker in running:
            try:
                worker.process.wait(30)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(10)

    def assert_running(self, *workers: Worker) -> None:
        for worker in workers:
            assert worker.process.poll() is None, \
                f"{worker.role} {worker.index} exited {worker.process.returncode}:\n{worker.tail()}"


def wait_for_group(settings: GovbusSettings, group: str, pids: set[int], workers: Workers,
                   timeout: float, every_member_busy: bool = True) -> dict[int, set[tuple[str, int]]]:
    """Wait until the group is Stable with exactly the members ``pids`` (each holding partitions
    when ``every_member_busy``); the assignment then."""
    deadline = time.monotonic() + timeout
    found: dict[int, set[tuple[str, int]]] | None = None
    while time.monotonic() < deadline:
        workers.assert_running(*[w for w in workers.started if w.pid in pids])
        found = group_assignment(settings, group)
        if found is not None and settled(found, pids, every_member_busy):
            return found
        time.sleep(0.5)
    raise AssertionError(f"group {group} did not settle on members {sorted(pids)} in {timeout:.0f}s: {found}")
