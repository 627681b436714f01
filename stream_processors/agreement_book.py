"""The agreements in force for a running worker, reloaded when their files change.

Reload is by fingerprint (names, sizes, mtimes of ``catalogue/agreements/*.yaml``), checked
every ``agreements_reload_seconds`` by the worker, so a revoked or edited agreement takes
effect within seconds without a restart. An agreement that fails validation is left out
(deny by default) and reported; the others keep flowing.

Each reload compares which agreements the worker applies before and after (``agreement_changes``)
and hands the activations and revocations to ``on_change``: the processor records them as its
actions on the audit chain (stream_processors/agreement_actions.py).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from govbus.core.agreement_checks import agreement_problems
from govbus.core.agreements import Status, load_agreement
from govbus.core.catalogue import Catalogue, CatalogueError
from govbus.core.schemas import DatasetSchema
from stream_processors.route.plan import AgreementPlan, compile_plan

log = logging.getLogger(__name__)


def fingerprint(folder: Path) -> tuple:
    if not folder.is_dir():
        return ()
    return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.glob("*.yaml")))


@dataclass(frozen=True)
class AgreementChange:
    """An agreement the worker starts (``activated``) or stops (``revoked``) applying, and why.
    ``seen`` names the state of the folder it was seen in, the same for every worker."""

    agreement_id: str
    version: int
    kind: str
    why: str
    seen: str
    purpose: str = ""


Applied = dict[str, tuple[int, bool, str]]  # agreement id -> (version, in force, purpose)


def applied_of(plans: list[AgreementPlan], now: datetime) -> Applied:
    return {p.agreement.id: (p.agreement.version, p.agreement.in_force(now), p.agreement.purpose) for p in plans}


def agreement_changes(before: Applied, after: Applied, seen: str) -> list[AgreementChange]:
    """Activations (in force now, and not before or at another version) and revocations (in
    force before, and no longer, or replaced by another version), by agreement id."""
    changes = []
    for agreement_id in sorted(set(before) | set(after)):
        old, new = before.get(agreement_id), after.get(agreement_id)
        old_on, new_on = old is not None and old[1], new is not None and new[1]
        if old is not None and old_on and (not new_on or new is None or new[0] != old[0]):
            why = ("no longer valid or no longer in its folder" if new is None
                   else f"replaced by version {new[0]}" if new[0] != old[0]
                   else "no longer in force (status or validity)")
            changes.append(AgreementChange(agreement_id, old[0], "revoked", why, seen, old[2]))
        if new is not None and new_on and (not old_on or old is None or old[0] != new[0]):
            changes.append(AgreementChange(agreement_id, new[0], "activated", "in force: its file is valid, "
                                           "active and within its validity", seen, new[2]))
    return changes


def agreement_gauges(plans: list[AgreementPlan], now: datetime) -> tuple[int, dict[tuple[str, str], float]]:
    """How many of ``plans`` are in force at ``now``, and for each active one (in force, or
    active but outside its validity) the seconds until its validity ends, negative once past,
    by (agreement id, recipient). Revoked and suspended agreements have no expiry to watch."""
    active = sum(1 for plan in plans if plan.agreement.in_force(now))
    expiry = {(plan.agreement.id, plan.recipient_id): (plan.agreement.valid_to - now).total_seconds()
              for plan in plans if plan.agreement.status is Status.active}
    return active, expiry


@dataclass
class AgreementBook:
    folder: Path
    catalogue: Catalogue
    schemas: dict[str, DatasetSchema]
    master_key: bytes
    plans: dict[str, list[AgreementPlan]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    _seen: tuple | None = None
    on_change: Callable[[list[AgreementChange]], None] | None = None

    def reload_if_changed(self) -> bool:
        """Recompile when the folder changed; True when it did."""
        current = fingerprint(self.folder)
        if current == self._seen:
            return False
        self._seen = current
        now = datetime.now(timezone.utc)
        before = applied_of(self.all_plans(), now)
        self.plans, self.problems = self._compile_all()
        for problem in self.problems:
            log.error("agreement refused: %s", problem, extra={"event": "agreement_refused"})
        changes = agreement_changes(before, applied_of(self.all_plans(), now),
                                    hashlib.sha256(repr(current).encode()).hexdigest()[:16])
        if changes and self.on_change is not None:
            self.on_change(changes)
        return True

    def _compile_all(self) -> tuple[dict[str, list[AgreementPlan]], list[str]]:
        plans: dict[str, list[AgreementPlan]] = {}
        problems: list[str] = []
        for path in sorted(self.folder.glob("*.yaml")) if self.folder.is_dir() else []:
            try:
                agreement = load_agreement(path)
            except CatalogueError as exc:
                problems.append(str(exc))
                continue
            found = agreement_problems(agreement, self.catalogue, self.schemas)
            if found:
                problems += [f"{path}: {where}: {msg}" for where, msg in found]
                continue
            level = self.catalogue.entries[agreement.dataset].provider.level.value
            plan = compile_plan(agreement, self.schemas[agreement.dataset], level, self.master_key)
            plans.setdefault(agreement.dataset, []).append(plan)
        return plans, problems

    def all_plans(self) -> list[AgreementPlan]:
        return [plan for plans in self.plans.values() for plan in plans]
