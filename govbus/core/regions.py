"""Region names for GB/T 2260 codes: code → name and full path (福建省 福州市 鼓楼区). Pure lookup.

The table is data shipped in ``govbus/data/regions`` (source and date in its README): every
province, city and county of mainland China, and the townships and villages of the demo region.
A code the table lacks is shown as the code itself with the marker ``（未登记）`` after the names
of the ancestors it does have, so a person still sees where it is and that the name is missing.

Codes are 6 digits (province ``xx0000``, city ``xxxx00``, county) or 12 (township ``…000``,
village); a 12-digit code ending in ``000000`` names its county. The table is read on first use,
never at import.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "regions"
DATA_FILES = ("china-counties.csv", "fuzhou-townships-villages.csv")
UNKNOWN_MARKER = "（未登记）"
# Placeholder city rows of the municipalities (北京市 市辖区): true in the list, noise in a path.
_PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})


@dataclass(frozen=True)
class Place:
    """A region code with the names of it and its ancestors, province first."""

    code: str
    names: tuple[str, ...]   # known names, province first; the leaf may be the code + marker
    known: bool              # whether the code itself is in the table

    @property
    def name(self) -> str:
        """The place's own name (or its code with the marker)."""
        return self.names[-1] if self.names else self.code + UNKNOWN_MARKER

    @property
    def path(self) -> str:
        """``福建省 福州市 鼓楼区``."""
        return " ".join(self.names)

    @property
    def label(self) -> str:
        """The path with the code beside it, as people read it: ``福建省 福州市 鼓楼区 (350102)``."""
        return f"{self.path} ({self.code})" if self.known else self.path

    @property
    def short(self) -> str:
        """The last two names, for titles: ``福州市 鼓楼区`` (``鼓楼区 鼓东街道`` for a township)."""
        return " ".join(self.names[-2:]) if self.known else self.path


def ancestors(code: str) -> list[str]:
    """The codes of ``code`` and its ancestors, province first (only those that differ)."""
    chain = [code[:2] + "0000", code[:4] + "00", code[:6]]
    if len(code) == 12 and code[6:] != "000000":
        chain.append(code[:9] + "000")
        chain.append(code)
    out: list[str] = []
    for c in chain:
        if c not in out:
            out.append(c)
    return out


class RegionTable:
    """code → name, with paths; build with :func:`load_region_table` or from a dict in tests."""

    def __init__(self, names: dict[str, str]) -> None:
        self._names = names

    def __len__(self) -> int:
        return len(self._names)

    def name_of(self, code: str) -> str | None:
        return self._names.get(code)

    def place(self, code: object) -> Place:
        """The place of ``code``; unknown or malformed codes come back as themselves, marked."""
        text = str(code or "").strip()
        if not (text.isdigit() and len(text) in (6, 12)):
            return Place(text, (text + UNKNOWN_MARKER,), False)
        if len(text) == 12 and text[6:] == "000000":
            text = text[:6]
        names: list[str] = []
        for c in ancestors(text):
            name = self._names.get(c)
            if name is None:
                if c == text:
                    names.append(text + UNKNOWN_MARKER)
                continue
            if name not in _PLACEHOLDER_NAMES:
                names.append(name)
        return Place(text, tuple(names), text in self._names)

    def label(self, code: object) -> str:
        return self.place(code).label


def read_region_files(paths: list[Path]) -> dict[str, str]:
    names: dict[str, str] = {}
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                names[row["code"]] = row["name"]
    return names


@lru_cache(maxsize=1)
def load_region_table() -> RegionTable:
    """The shipped table (read once per process)."""
    return RegionTable(read_region_files([DATA_DIR / f for f in DATA_FILES]))
