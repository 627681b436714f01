"""CPU seconds a process has used (all its threads, librdkafka's included), from /proc (Linux).

On a shared machine a role's wall-clock rate says more about its neighbours than about it;
records per CPU-second of the role's own process is its rate on a core of its own."""
from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
