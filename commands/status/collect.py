"""Gather every input of `govbus status` and build its view (commands/status/model.py)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from commands.status import model, sources
from govbus.core.settings import GovbusSettings

DEAD_LETTER_WINDOW = timedelta(hours=1)
EXPIRY_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Counters:
    """The counters rates are computed from, and when they were read (monotonic seconds)."""

    at: float
    deliveries: dict[str, float]
    records: dict[str, float]


def scrape_all(targets_dir: Path) -> tuple[list[model.Scrape], Counters, list[str]]:
    targets, problems = sources.read_targets(targets_dir)
    if not targets:
        problems.append(f"no scrape targets in {targets_dir} (a role lists itself there when it serves /metrics)")
    scrapes = [sources.scrape(target) for target in targets]
    counters = Counters(time.monotonic(), model.counter_totals(scrapes, "govbus_deliveries_total", "recipient"),
                        model.counter_totals(scrapes, "govbus_records_total", "outcome"))
    return scrapes, counters, problems


def broker_view(settings: GovbusSettings, now: datetime) -> tuple[list[model.GroupLag], dict[str, int]]:
    """Group lags and dead letters of the last hour by department (BrokerUnreachable if down)."""
    committed, ends = sources.group_offsets(settings)
    departments = sources.dataset_departments(settings)
    letters = sources.dead_letters_since(settings, sorted(departments), now - DEAD_LETTER_WINDOW)
    return model.group_lags(committed, ends), model.dead_letters_by_department(letters, departments)


def build_view(settings: GovbusSettings, scrapes: list[model.Scrape], counters: Counters,
               previous: Counters | None, problems: list[str]) -> model.StatusView:
    now = datetime.now(timezone.utc)
    lags, letters = broker_view(settings, now)
    seconds = counters.at - previous.at if previous is not None else 0.0
    return model.StatusView(
        taken_at=now.isoformat(timespec="seconds"),
        roles=[model.role_row(scrape) for scrape in scrapes],
        group_lags=lags,
        deliveries_per_second=model.rates(previous.deliveries, counters.deliveries, seconds) if previous else None,
        records_per_second=model.rates(previous.records, counters.records, seconds) if previous else None,
        deliveries_total=counters.deliveries,
        dead_letters_last_hour=letters,
        incidents_open=model.incidents_by_grade(scrapes),
        agreements_expiring=model.expiring_agreements(sources.agreement_rows(settings), now, EXPIRY_WINDOW_DAYS),
        audit=model.audit_pools(scrapes, now.timestamp()),
        problems=problems,
    )
