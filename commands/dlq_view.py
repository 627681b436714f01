"""What `govbus dlq show` prints of a letter (pure): never a person's data in clear.

A dead letter holds the refused record's original bytes, full ID numbers included; a terminal
and its scroll-back are not a pool. So the record is masked before it is printed:
- bytes that decode (Avro through the registry, or an adapter's JSON row) are masked **by the
  dataset's field tags**: each PII kind through its display mask (ID 6…4, name 张*, mobile
  3-4-4, address to the district, free text scrubbed at its strictest, …), kinds without one
  hidden, and every other string scanned for identifiers (a phone typed into ``address``);
- bytes that do not decode are shown as a printable prefix with personal data masked and any
  long run of digits cut down (a length byte of the Avro encoding can glue a digit to an ID,
  which would hide it from a detector that respects number boundaries).
The steward still sees which field failed (``field_path``, ``reason``, ``message``).
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from govbus.core.schemas import FieldTag
from stream_processors.route import masking
from stream_processors.route.pii_policy import mask_untagged, scrub_strict

PREFIX_BYTES = 200
HIDDEN = "***"
_LONG_DIGITS = re.compile(r"[0-9０-９][0-9０-９Xx]{10,}")

# PII kind → how a steward sees it. Kinds not listed (coordinates, health, other) are hidden.
DISPLAY_MASK: dict[str, Callable[[Any], Any]] = {
    "resident_id": masking.mask_resident_id,
    "name": masking.mask_name,
    "phone": masking.mask_phone,
    "address": masking.generalise_address,
    "free_text": lambda v: scrub_strict(str(v)),
    "bank_card": lambda v: masking.mask(v, 6, 4),
    "plate": lambda v: masking.mask(v, 2, 0),
    "birth_date": masking.year_only,
    "region": masking.to_county,
    "uscc": masking.keep,  # a legal person's code, public on its licence
}


def _display(value: Any, tag: FieldTag | None) -> Any:
    """One field's value as a steward may see it."""
    if value is None:
        return None
    if isinstance(value, list):
        return [_display(item, tag) for item in value]
    if tag is not None and tag.pii:
        show = DISPLAY_MASK.get(tag.pii)
        if show is None:
            return HIDDEN
        try:
            value = show(value)
        except (ValueError, TypeError):  # a value the mask cannot read is what made the letter
            return HIDDEN
    if isinstance(value, str):
        return mask_untagged(value, tag.pii if tag else None)[0]
    return value


def masked_record(record: dict[str, Any], tags: dict[str, FieldTag]) -> dict[str, Any]:
    """A decoded record with every field through its display mask; fields the schema does not
    know (a raw JSON row's own column names) are scrubbed at the strictest."""
    out: dict[str, Any] = {}
    for name, value in record.items():
        if name == "envelope" and isinstance(value, dict):
            out[name] = value  # the bus's own metadata: ids, times, region, lineage
        elif name in tags:
            out[name] = _display(value, tags[name])
        else:
            out[name] = _scrub_unknown(value)
    return out


def _scrub_unknown(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_strict(value)
    if isinstance(value, list):
        return [_scrub_unknown(item) for item in value]
    if isinstance(value, dict):
        return {key: _scrub_unknown(item) for key, item in value.items()}
    return value


def scrubbed_prefix(data: bytes, limit: int = PREFIX_BYTES) -> str:
    """The printable prefix of bytes that do not decode, personal data masked."""
    text = data[:limit].decode("utf-8", errors="replace")
    printable = "".join(ch if ch.isprintable() else "·" for ch in text)
    return cut_long_digits(scrub_strict(printable))


def cut_long_digits(text: str) -> str:
    """Long runs of digits masked: an ID with a wrong check character is no ID to a detector."""
    return _LONG_DIGITS.sub(lambda m: masking.mask(m.group(), 3, 2) or "", text)


def _json_row(data: bytes) -> Any:
    """An adapter's rejected row (JSON object or list of cells), or None."""
    try:
        row = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return row if isinstance(row, (dict, list)) else None


def original_value_text(data: bytes, decoded: dict[str, Any] | None, tags: dict[str, FieldTag]) -> str:
    """The ``original_value`` line of `dlq show`."""
    size = f"{len(data)} bytes"
    if decoded is not None:
        return f"{size}, decoded, masked by the field tags: {_dumps(masked_record(decoded, tags))}"
    row = _json_row(data)
    if isinstance(row, dict):
        return f"{size} of JSON, masked by the field tags: {_dumps(masked_record(row, tags))}"
    if isinstance(row, list):
        return f"{size} of JSON, scrubbed: {_dumps(_scrub_unknown(row))}"
    shown = scrubbed_prefix(data)
    cut = f"first {PREFIX_BYTES}, " if len(data) > PREFIX_BYTES else ""
    return f"{size}, not decodable ({cut}personal data masked): {shown!r}"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def masked_message(text: str) -> str:
    """A letter's text with identifiers masked: a pool's refusal message may quote the value."""
    return mask_untagged(text, None)[0]


def letter_lines(letter: dict[str, Any], decoded: dict[str, Any] | None,
                 tags: dict[str, FieldTag]) -> list[tuple[str, str]]:
    """(key, text) of every item of a letter, ready to print."""
    lines = []
    for key, value in letter.items():
        if key == "original_value" and isinstance(value, bytes):
            text = original_value_text(value, decoded, tags)
        elif isinstance(value, bytes):
            text = f"{len(value)} bytes: {scrubbed_prefix(value)!r}"
        elif isinstance(value, dict):
            text = _dumps({k: scrubbed_prefix(v) if isinstance(v, bytes) else v for k, v in value.items()})
        elif isinstance(value, str):
            text = masked_message(value)
        else:
            text = str(value)
        lines.append((key, text))
    return lines
