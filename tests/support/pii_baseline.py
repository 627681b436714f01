"""The old detector as a ``find_pii`` stand-in: the rules of ``scrub_text`` (resident IDs, mobiles,
bank cards in their usual forms), with the corpus's kind names.

A baseline to report the new detector against (issue 16), and what the corpus test would score
if stream_processors.route.pii did not exist. Not a detector to tune.
"""
from __future__ import annotations

from stream_processors.route.textscrub import scrub_findings

_KIND = {"resident_id": "id_card", "mobile": "mobile", "bank_card": "bank_card"}


def scrub_text_find_pii(text: str) -> list[tuple[int, int, str]]:
    return [(start, end, _KIND[kind]) for kind, start, end in scrub_findings(text)]
