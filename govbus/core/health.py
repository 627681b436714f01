"""What ``/healthz`` and ``/readyz`` answer, from plain values (pure; served by
``govbus.core.health_server`` and the aiohttp roles).

- liveness (``/healthz``): the role's loop beat recently. A role waiting out an outage still
  beats: it is alive and must not be restarted for the outage.
- readiness (``/readyz``): started, every service it needs reachable, and its consumer lag
  known. 503 with a JSON body naming what is not ready.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from govbus.core.outage import Service

Answer = tuple[int, dict[str, Any]]


def liveness(last_beat: float | None, now: float, stale_after: float) -> Answer:
    """200 while the loop beat within ``stale_after`` seconds; 503 before its first beat or after."""
    if last_beat is None:
        return 503, {"status": "starting", "detail": "the role's loop has not run yet"}
    age = max(0.0, now - last_beat)
    if age > stale_after:
        return 503, {"status": "stalled", "detail": f"the role's loop last ran {age:.0f}s ago",
                     "last_beat_seconds": round(age, 1)}
    return 200, {"status": "ok", "last_beat_seconds": round(age, 1)}


def readiness(required: Iterable[Service], down: Mapping[Service, str], started: bool,
              lag_known: bool | None, unchecked: Iterable[Service] = ()) -> Answer:
    """200 when ready; else 503 and ``not_ready``: each failing check with the reason.

    ``lag_known`` None: the role consumes nothing (lag does not apply). ``unchecked``: services
    not seen answering yet (just started): not ready either."""
    unchecked = set(unchecked)
    checks: dict[str, str] = {}
    not_ready: dict[str, str] = {}
    if not started:
        not_ready["start"] = "still starting"
    for service in required:
        if service in down:
            checks[service.value] = not_ready[service.value] = f"unreachable: {down[service]}"
        elif service in unchecked:
            checks[service.value] = not_ready[service.value] = "not checked yet"
        else:
            checks[service.value] = "ok"
    if lag_known is not None:
        checks["lag"] = "known" if lag_known else "unknown"
        if not lag_known:
            not_ready["lag"] = "consumer lag not known yet (no partitions assigned, or no end offsets fetched)"
    if not_ready:
        return 503, {"status": "not ready", "not_ready": not_ready, "checks": checks}
    return 200, {"status": "ready", "checks": checks}
