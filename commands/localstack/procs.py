"""Processes of the local stack: free loopback ports, starting a Java process in its own
session, stopping its process group, and the files it is started from."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from commands.localstack.tools import DEPLOY_DIR
from govbus.core.credentials import write_private


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_taken(port: int) -> bool:
    """True when something listens on the loopback ``port``. SO_REUSEADDR, as the servers bind:
    connections of a stopped server left in TIME_WAIT do not hold the port."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child still answers kill(0): check its state.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


def log_tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return f"(no log at {path})"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def spawn(cmd: list[str], log: Path, cwd: Path) -> int:
    with log.open("ab") as handle:
        proc = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, cwd=cwd,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    return proc.pid


def render(template: str, target: Path, **values: object) -> None:
    text = (DEPLOY_DIR / template).read_text()
    write_private(target, text.format(**values))  # server.properties holds bus-admin's password


def stop_pid(pid: int | None, timeout: float = 30.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after ``timeout``."""
    if pid is None or not pid_alive(pid):
        return
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.1)


def stop_pids(pids: list[int | None], timeout: float = 30.0) -> None:
    """``stop_pid`` for several process groups at once: all get SIGTERM before any is waited for."""
    live = [pid for pid in pids if pid is not None and pid_alive(pid)]
    for pid in live:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(pid_alive(pid) for pid in live):
        time.sleep(0.1)
    for pid in live:
        stop_pid(pid, 0.0)  # SIGKILL (after a no-wait SIGTERM) for whatever is left
