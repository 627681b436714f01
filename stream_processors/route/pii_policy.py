"""What personal data may leave in free text and in fields delivered in clear (pure).

Two rules of issue 16:
- **Free text is scrubbed at its strictest** (every kind the detector knows: names, addresses,
  phones, IDs, …) unless the agreement says why its recipient needs the wording
  (``free_text_purpose``) and the flow is not upward. With such a purpose, ``scrub_text``
  masks the identifiers only (IDs, phones, cards, plates, e-mail …) and keeps names and places
  readable; ``keep`` delivers the text, still scanned like any field in clear (next rule).
- **Every string field delivered in clear is scanned for identifiers**: one found in a field
  whose PII tag is not its own kind (a phone typed into ``address``, an ID in ``content``) is
  masked and counted, so a tag cannot be used to smuggle another kind of identifier out.
  The business key is not scanned: masking it would break every recipient's upsert, and the
  catalogue already requires it to be delivered ``keep`` or ``pseudonym``.
"""
from __future__ import annotations

from functools import lru_cache

from govbus.core.agreements import SCRUB_STRICT
from stream_processors.route.pii import PiiSpan, find_identifiers, mask_pii

# The detector kinds a field's PII tag is *for*: finding them there is what the field holds.
TAGGED_FOR: dict[str, frozenset[str]] = {
    "resident_id": frozenset({"id_card"}),
    "phone": frozenset({"mobile", "landline"}),
    "bank_card": frozenset({"bank_card"}),
    "plate": frozenset({"plate"}),
}


def free_text_operator(written: str, upward: bool, has_purpose: bool) -> str:
    """The operator a free-text field is delivered with, given the one the agreement wrote.

    ``drop`` stays dropped. Upward, or without a purpose naming free text, anything else
    becomes the strictest scrub; with a purpose (and not upward) the written operator stands.
    """
    if written == "drop":
        return written
    if upward or not has_purpose:
        return SCRUB_STRICT
    return written


# The caches below exist because one record's value goes to every agreement delivering it:
# the record in hand is all that hits, and 32 values cover it. With 4,096, each new work order
# evicted an older one that no later record asked for: ~1.5 MB of strings per cache, churned
# (issue 18, docs/capacity.md §6).
RECENT_VALUES = 32


def untagged_spans(text: str, pii_tag: str | None) -> list[PiiSpan]:
    """Identifiers in ``text`` that the field's tag is not for."""
    allowed = TAGGED_FOR.get(pii_tag or "", frozenset())
    return [span for span in find_identifiers(text) if span.kind not in allowed]


@lru_cache(maxsize=RECENT_VALUES)
def mask_untagged(text: str, pii_tag: str | None) -> tuple[str, tuple[str, ...]]:
    """(``text`` with identifiers not of its tag's kind masked, the kinds found in text order).

    Cached: the same value goes to every agreement that keeps the field."""
    spans = untagged_spans(text, pii_tag)
    if not spans:
        return text, ()
    return mask_pii(text, spans), tuple(span.kind for span in spans)


def scan_clear_value(value: object, pii_tag: str | None) -> tuple[object, tuple[str, ...]]:
    """A delivered value (a string, a list of strings, or anything else left as it is) with
    untagged identifiers masked, and the kinds found."""
    if isinstance(value, str):
        return mask_untagged(value, pii_tag)
    if isinstance(value, list):
        out: list[object] = []
        kinds: list[str] = []
        for item in value:
            masked, found = scan_clear_value(item, pii_tag)
            out.append(masked)
            kinds += found
        return out, tuple(kinds)
    return value, ()


@lru_cache(maxsize=RECENT_VALUES)
def scrub_strict(text: str) -> str:
    """Free text with every kind of personal data the detector finds masked."""
    return mask_pii(text)


@lru_cache(maxsize=RECENT_VALUES)
def scrub_identifiers(text: str) -> str:
    """Free text with the rule-checked identifiers masked; names and places stay readable."""
    return mask_pii(text, find_identifiers(text))
