"""The agreements in force for a running worker, reloaded when their files change.

Reload is by fingerprint (names, sizes, mtimes of ``catalogue/agreements/*.yaml``), checked
every ``agreements_reload_seconds`` by the worker, so a revoked or edited agreement takes
effect within seconds without a restart. An agreement that fails validation is left out
(deny by default) and reported; the others keep flowing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from govbus.core.agreement_checks import agreement_problems
from govbus.core.agreements import load_agreement
from govbus.core.catalogue import Catalogue, CatalogueError
from govbus.core.schemas import DatasetSchema
from stream_processors.route.plan import AgreementPlan, compile_plan

log = logging.getLogger(__name__)


def fingerprint(folder: Path) -> tuple:
    if not folder.is_dir():
        return ()
    return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.glob("*.yaml")))


@dataclass
class AgreementBook:
    folder: Path
    catalogue: Catalogue
    schemas: dict[str, DatasetSchema]
    master_key: bytes
    plans: dict[str, list[AgreementPlan]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    _seen: tuple | None = None

    def reload_if_changed(self) -> bool:
        """Recompile when the folder changed; True when it did."""
        current = fingerprint(self.folder)
        if current == self._seen:
            return False
        self._seen = current
        self.plans, self.problems = self._compile_all()
        for problem in self.problems:
            log.error("agreement refused: %s", problem)
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
