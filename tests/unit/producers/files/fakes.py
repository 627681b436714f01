"""A Publisher stand-in for unit tests: keeps what would have been sent, in memory."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govbus.core.deadletter import Origin
from govbus.core.result import Fault


@dataclass
class FakePublisher:
    published: list[tuple[bytes, bytes]] = field(default_factory=list)
    rejected: list[tuple[Fault, Origin]] = field(default_factory=list)
    flushed: int = 0
    keep: bool = True  # False: count only (memory tests)
    count: int = 0
    failures: list[str] = field(default_factory=list)

    def in_flight(self, timeout: float = 0.0) -> int:
        return 0

    def schema_id(self, dataset: str) -> int:
        return 7

    def prepare(self, schema: Any, dead_letter_schema: Any) -> None:
        pass

    def publish_encoded(self, schema: Any, department: str, items: Any) -> int:
        items = list(items)
        self.count += len(items)
        if self.keep:
            self.published += items
        return len(items)

    def publish_reject(self, schema: Any, fault: Fault, origin: Origin, owner: str) -> None:
        self.rejected.append((fault, origin))

    def flush(self, timeout: float = 60.0) -> int:
        self.flushed += 1
        return self.count
