"""Lists a cleaning rule refers to (``catalogue/lists/<name>.yaml``), loaded with the catalogue.

Today one list: ``uscc-allow``, the genuine unified social credit codes whose check character
fails GB 32100 (early-pilot codes) and that a department vouches for, so that rule
``GB32100.check`` lets them through instead of dead-lettering the record. A list is data, not a
setting: it is reviewed like the rest of the catalogue, every entry says why and who approved it,
and the dead letter of a refused code names the file to edit.

Loading is strict, like the catalogue's: a file that does not parse, an unknown key or an entry
that is not what its list holds raises ``CatalogueError`` naming the file, the entry and the
problem (``govbus catalogue validate`` prints them all), so no role runs with a list that review
would refuse. No directory or no file means an empty list.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, ValidationError

from govbus.core.catalogue import CatalogueError, load_yaml_mapping, pydantic_errors
from govbus.core.identifiers import USCC_CHARSET, uscc_check_char

LISTS_DIR = "lists"
USCC_ALLOW = "uscc-allow"


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    reason: str
    approved_by: str
    approved_on: str | None = None


class _ListFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    list: str
    rule: str
    description: str = ""
    entries: tuple[_Entry, ...] = ()


def _uscc_problem(code: str) -> str | None:
    """Why ``code`` does not belong on the USCC allow-list, or None."""
    if len(code) != 18 or any(ch not in USCC_CHARSET for ch in code):
        return (f"{code!r} is not a credit code: 18 characters from {USCC_CHARSET} "
                "(upper case, without I, O, Z, S, V)")
    if code[17] == uscc_check_char(code[:17]):
        return f"{code!r} passes the check already: it needs no allow-list entry (a typo?)"
    return None


# list name → (the rule it excuses, what an entry's code must be)
KNOWN_LISTS: dict[str, tuple[str, Callable[[str], str | None]]] = {
    USCC_ALLOW: ("GB32100.check", _uscc_problem),
}


@dataclass(frozen=True)
class RuleList:
    name: str
    rule: str
    path: Path
    codes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RuleLists:
    """Every list by name; ``display_root`` is how a message names a list's file."""

    lists: dict[str, RuleList] = field(default_factory=dict)
    display_root: str = "catalogue"

    def codes(self, name: str) -> frozenset[str]:
        found = self.lists.get(name)
        return found.codes if found else frozenset()

    def file_of(self, name: str) -> str:
        """The file to edit for list ``name``, as an operator finds it in the repository."""
        return f"{self.display_root}/{LISTS_DIR}/{name}.yaml"


NO_LISTS = RuleLists()


def entry_problems(name: str, data: dict[str, Any]) -> list[tuple[str, str]]:
    """(field path, problem) of one list file's content; empty when it is sound."""
    known = KNOWN_LISTS.get(name)
    if known is None:
        return [("", f"no rule uses a list {name!r}; known lists: {', '.join(sorted(KNOWN_LISTS))}")]
    try:
        parsed = _ListFile.model_validate(data)
    except ValidationError as exc:
        return pydantic_errors(exc)
    rule, code_problem = known
    problems = []
    if parsed.list != name:
        problems.append(("list", f"{parsed.list!r} does not match the file name; expected {name!r}"))
    if parsed.rule != rule:
        problems.append(("rule", f"{parsed.rule!r}: list {name} excuses rule {rule}"))
    seen: set[str] = set()
    for index, entry in enumerate(parsed.entries):
        where = f"entries[{index}]"
        problem = code_problem(entry.code)
        if problem is not None:
            problems.append((f"{where}.code", problem))
        if entry.code in seen:
            problems.append((f"{where}.code", f"{entry.code!r} is listed twice"))
        seen.add(entry.code)
        for key in ("reason", "approved_by"):
            if not getattr(entry, key).strip():
                problems.append((f"{where}.{key}", f"every entry needs {key.replace('_', ' ')}"))
    return problems


def load_rule_lists(catalogue_dir: Path) -> RuleLists:
    """Every ``catalogue_dir/lists/*.yaml``; CatalogueError (all problems of the first bad file)."""
    folder = catalogue_dir / LISTS_DIR
    found: dict[str, RuleList] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        data = load_yaml_mapping(path)
        problems = entry_problems(path.stem, data)
        if problems:
            raise CatalogueError(path, problems)
        found[path.stem] = RuleList(path.stem, str(data["rule"]), path,
                                    frozenset(str(e["code"]) for e in data.get("entries") or ()))
    return RuleLists(found, catalogue_dir.name)
