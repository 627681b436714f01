"""Outages of the services a role depends on, as values: when one starts, goes on and ends, which
WARNING line each of those moments gets, and how long to wait before the next try.

Pure: time comes in as an argument (seconds on a monotonic clock) and notices go out as values;
``govbus.core.outage_watch`` adds the clock, a lock and the logger. Every long-running role
(processor, detector, sinks, feed, ingest) shares it, so an outage reads the same everywhere:
one line when it starts, one a minute while it lasts, one when it ends, naming what is down.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum


class Service(str, Enum):
    """What a role depends on and can find unreachable."""

    BROKER = "broker"
    REGISTRY = "registry"
    DATABASE = "database"


# One WARNING line a minute while an outage lasts (docs/operations.md#outages).
REMIND_SECONDS = 60.0


@dataclass(frozen=True)
class Backoff:
    """Waits between tries: ``first``, then ``factor`` times longer each try, never over ``ceiling``.
    The ceiling keeps the end of a long outage noticed within seconds, not minutes."""

    first: float = 0.5
    factor: float = 2.0
    ceiling: float = 10.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed try number ``attempt`` (0: the first failure)."""
        if attempt < 0:
            return 0.0
        return min(self.ceiling, self.first * self.factor ** min(attempt, 64))


@dataclass(frozen=True)
class Outage:
    service: Service
    since: float       # when the first failure was seen
    warned_at: float   # when the last WARNING line about it was written
    detail: str        # the latest failure, in a few words
    failures: int = 1


@dataclass(frozen=True)
class Notice:
    """One WARNING line: an outage ``started``, is ``ongoing`` or ``ended``."""

    kind: str
    service: Service
    seconds: float
    detail: str
    role: str = ""

    def line(self) -> str:
        who = f"{self.role}: " if self.role else ""
        if self.kind == "started":
            return f"{who}{self.service.value} unreachable ({self.detail}): waiting and retrying"
        if self.kind == "ongoing":
            return (f"{who}{self.service.value} still unreachable after {self.seconds:.0f}s "
                    f"({self.detail}): waiting and retrying")
        return f"{who}{self.service.value} reachable again after {self.seconds:.0f}s: resuming"


def on_failure(current: Outage | None, service: Service, detail: str, now: float,
               remind: float = REMIND_SECONDS) -> tuple[Outage, Notice | None]:
    """A try failed: a new outage (``started``), or the same one, reminded once per ``remind``."""
    if current is None:
        return Outage(service, now, now, detail), Notice("started", service, 0.0, detail)
    updated = replace(current, detail=detail or current.detail, failures=current.failures + 1)
    return on_tick(updated, now, remind)


def on_tick(current: Outage, now: float, remind: float = REMIND_SECONDS) -> tuple[Outage, Notice | None]:
    """Time passed: a reminder when the last line about the outage is ``remind`` seconds old."""
    if now - current.warned_at < remind:
        return current, None
    return replace(current, warned_at=now), Notice("ongoing", current.service, now - current.since,
                                                   current.detail)


def on_success(current: Outage | None, now: float) -> Notice | None:
    """A try succeeded: the outage, if there was one, ``ended``."""
    if current is None:
        return None
    return Notice("ended", current.service, now - current.since, current.detail)


@dataclass
class OutageBoard:
    """The outages of one process, one per service at most. No clock, no logging: each method
    takes the time and returns the notices to write."""

    remind: float = REMIND_SECONDS
    role: str = ""

    def __post_init__(self) -> None:
        self.current: dict[Service, Outage] = {}

    def failed(self, service: Service, detail: str, now: float) -> list[Notice]:
        outage, notice = on_failure(self.current.get(service), service, detail, now, self.remind)
        self.current[service] = outage
        return self._tagged([notice])

    def recovered(self, service: Service, now: float) -> list[Notice]:
        return self._tagged([on_success(self.current.pop(service, None), now)])

    def tick(self, now: float) -> list[Notice]:
        notices = []
        for service, outage in list(self.current.items()):
            self.current[service], notice = on_tick(outage, now, self.remind)
            notices.append(notice)
        return self._tagged(notices)

    def down(self) -> dict[Service, str]:
        """What is down now, with the latest failure's detail."""
        return {s: o.detail for s, o in self.current.items()}

    def _tagged(self, notices: list[Notice | None]) -> list[Notice]:
        return [replace(n, role=self.role) for n in notices if n is not None]
