"""The free-text PII detector against the held-out corpus (issue 16): fails below the targets.

tests/data/pii/heldout.jsonl is not used for tuning; the targets (tests/support/pii_score.py,
TARGETS) are the issue's: recall >= 0.95 over all kinds, >= 0.92 for names, >= 0.98 for each
rule-checked kind (id_card, mobile, bank_card, plate, email, landline); ordinary details kept
readable >= 0.9. On failure the message is the per-kind table and counts only, never the missed
texts: whoever tunes the detector next must not see the held-out part through this test.
"""
from __future__ import annotations

import importlib

from tests.support.pii_score import load_corpus, score_corpus, shortfalls, table


def _find_pii():  # noqa: ANN202
    """stream_processors.route.pii.find_pii, imported when the test runs: the detector is written
    in its own lane (issue 16, `pii`), and a missing module should fail this test with a line
    saying so, not break collection of the whole folder."""
    try:
        module = importlib.import_module("stream_processors.route.pii")
    except ModuleNotFoundError as exc:
        raise AssertionError(f"stream_processors.route.pii is missing ({exc}): the detector of issue 16 "
                             "is not there, so the held-out corpus cannot be scored") from None
    return module.find_pii


def test_detector_meets_the_targets_on_the_heldout_corpus():
    score = score_corpus(_find_pii(), load_corpus("heldout"))
    missed = shortfalls(score)
    assert not missed, "held-out corpus below target: " + "; ".join(missed) + "\n" + table(score, examples=0)
