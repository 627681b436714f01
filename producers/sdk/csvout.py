"""Write records as a department's CSV export would hold them (for the generator, tests and
the benchmark): optionally with the mapping's headers and labels, in any encoding (e.g. GBK).
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterable

from producers.sdk.mapping import Mapping, to_text


def cell_of(value: Any) -> str:
    """A record value as CSV text: lists joined with ';' (as ``split_list`` reads them)."""
    if isinstance(value, list):
        return ";".join(to_text(v) or "" for v in value)
    return to_text(value) or ""


def write_csv(records: Iterable[dict[str, Any]], path: Path, fields: list[str],
              mapping: Mapping | None = None, encoding: str = "utf-8") -> int:
    """Write ``records`` (annotation keys ignored); returns the number of rows written.
    With ``mapping``, headers are the department's and enum values its labels."""
    mapping = mapping or Mapping()
    header_of = {field: header for header, field in mapping.columns.items()}
    label_of = {f: {v: label for label, v in reversed(list(labels.items()))}
                for f, labels in mapping.values.items()}
    count = 0
    with path.open("w", encoding=encoding, newline="") as handle:
        out = csv.writer(handle)
        out.writerow([header_of.get(f, f) for f in fields])
        for record in records:
            cells = [cell_of(record.get(f)) for f in fields]
            out.writerow([label_of.get(f, {}).get(c, c) for f, c in zip(fields, cells, strict=True)])
            count += 1
    return count
