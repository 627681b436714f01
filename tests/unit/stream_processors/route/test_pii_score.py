"""The corpus scorer (tests/support/pii_score.py) on a tiny hand-made corpus with fake detectors."""
from __future__ import annotations

from typing import NamedTuple

import pytest

from tests.support.pii_baseline import scrub_text_find_pii
from tests.support.pii_score import Tally, as_span, score_corpus, shortfalls, table

#            0123456789012345678901234567
TEXT = "我是陈大文，电话13800138000，住鼓楼区五四路88号。"
RECORD = {
    "id": "x1", "text": TEXT,
    "spans": [{"start": 2, "end": 5, "kind": "name"}, {"start": 8, "end": 19, "kind": "mobile"},
              {"start": 24, "end": 30, "kind": "address"}],
    "keep": [{"start": 21, "end": 24, "what": "district"}],
}
PLAIN = {"id": "x2", "text": "五一广场的厕所没水", "spans": [], "keep": [{"start": 0, "end": 4, "what": "place"}]}


class PiiSpan(NamedTuple):
    start: int
    end: int
    kind: str


def test_a_perfect_detector_scores_one_everywhere():
    def perfect(text):
        return [(s["start"], s["end"], s["kind"]) for r in (RECORD, PLAIN) if r["text"] == text for s in r["spans"]]
    score = score_corpus(perfect, [RECORD, PLAIN])
    assert (score.overall.hits, score.overall.total) == (3, 3)
    assert score.precision.rate == score.keep.rate == score.kind_agreement.rate == 1.0
    assert shortfalls(score) == []


def test_partial_cover_is_a_miss_and_cover_by_several_spans_or_another_kind_is_a_hit():
    detected = {TEXT: [PiiSpan(2, 4, "name"), PiiSpan(8, 12, "mobile"), PiiSpan(12, 19, "bank_card"),
                       PiiSpan(20, 31, "address")]}
    score = score_corpus(lambda text: detected.get(text, []), [RECORD, PLAIN])
    assert (score.recall["name"].hits, score.recall["name"].total) == (0, 1)       # 陈大 of 陈大文
    assert (score.recall["mobile"].hits, score.recall["mobile"].total) == (1, 1)   # two spans cover it
    assert (score.recall["address"].hits, score.recall["address"].total) == (1, 1)  # wider span covers it
    assert score.missed == ["x1 name '陈大文'"]
    assert (score.keep.hits, score.keep.total) == (1, 2)                            # 鼓楼区 touched
    assert score.kept_broken == ["x1 district '鼓楼区'"]
    assert score.precision.rate == 1.0
    assert (score.kind_agreement.hits, score.kind_agreement.total) == (2, 2)


def test_precision_counts_detected_spans_over_plain_text():
    detected = {TEXT: [(8, 19, "mobile")], PLAIN["text"]: [(0, 2, "name"), (5, 7, "address")]}
    score = score_corpus(lambda text: detected.get(text, []), [RECORD, PLAIN])
    assert (score.precision.hits, score.precision.total) == (1, 3)
    assert score.false_alarms == ["x2 name '五一'", "x2 address '厕所'"]
    assert (score.keep.hits, score.keep.total) == (1, 2)


def test_shortfalls_name_each_target_missed_and_the_table_shows_them():
    score = score_corpus(lambda text: [(8, 19, "mobile")] if text == TEXT else [], [RECORD, PLAIN])
    missed = shortfalls(score)
    assert "overall: 0.333 < 0.95" in missed
    assert "name: 0.000 < 0.92" in missed
    assert not any(line.startswith(("mobile", "keep", "id_card")) for line in missed)  # met, or nothing to miss
    rendered = table(score)
    assert "mobile       1.000         1/1    0.98" in rendered
    assert "x1 name '陈大文'" in rendered


@pytest.mark.parametrize(("found", "expected"), [
    ((1, 3, "name"), (1, 3, "name")),
    (PiiSpan(4, 9, "email"), (4, 9, "email")),
])
def test_as_span_takes_tuples_and_named_spans(found, expected):
    assert as_span(found) == expected


def test_an_empty_tally_has_nothing_to_miss():
    assert Tally().rate == 1.0


def test_the_scrub_text_baseline_finds_ids_mobiles_and_cards_only():
    text = "陈大文 身份证11010519491231002X 电话13800138000 卡号6222020200001234562 闽A12345"
    assert [kind for _, _, kind in scrub_text_find_pii(text)] == ["id_card", "mobile", "bank_card"]
