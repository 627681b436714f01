"""The labelled PII corpus itself (tests/data/pii): well-formed, valid identifiers, honest split.

A corpus with a wrong offset or an invalid ID scores a detector wrongly without anyone noticing,
so the files are checked like code: offsets inside the text and non-overlapping, kinds from
the shared contract, every rule-checked identifier passing its rule, every reference number
labelled ``keep`` passing none, the committed files equal to what make_corpus.py writes, and
the held-out file sharing no person, address or public place with the tune file.

tune.jsonl holds the tune part (ids t…), the first held-out part (ids h…), which was seen while
the detector was tuned, and the second tune batch (ids u…); heldout.jsonl holds only the fresh part
(ids f…), written afterwards.
"""
from __future__ import annotations

import re
import subprocess
import sys
from datetime import date

import pytest

from govbus.core.identifiers import check_bank_card, check_mobile, check_plate, check_resident_id, normalise_text
from govbus.core.result import Fault, Ok
from tests.support.pii_score import CORPUS_DIR, KINDS, load_corpus

PARTS = ("tune", "heldout")
ID_PREFIXES = {"tune": ("t", "h", "u"), "heldout": ("f",)}   # file: the id prefixes of the parts it holds
KEEP_WHATS = {"district", "place", "department", "date", "time", "amount", "order_no", "public_phone", "road",
              "company_code"}
TITLES = ("先生", "女士", "阿姨", "师傅", "大爷", "老师", "小姐", "大姐", "总", "经理", "主任", "叔", "姐", "哥",
          "大妈", "老板", "科长", "医生", "队长", "局长", "书记", "护士", "婆婆", "嫂", "奶奶")
TODAY = date(2026, 1, 1)
_SPACES = re.compile(r"\s")
_SEPARATORS = re.compile(r"[\s.\-—]")
_NOT_CARD = ("0", "1", "7", "8", "20", "21")
# after the area code people also type a long dash (0371—68488664, the Chinese input method's dash)
_LANDLINE = re.compile(r"(?:[(（]?0[1-9][0-9]{1,2}[)）]?[ \-—]?)?[2-8][0-9]{2,3}[ -]?[0-9]{4}")
_PASSPORT = re.compile(r"[EG][0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|[PS]E[0-9]{7}")   # PE/SE: public-affairs passports
# trailer 挂, coach 学 and police 警 plates (check_plate leaves special plates out of scope)
_SPECIAL_PLATE = re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][·•\s-]?[0-9]{4}[挂学警]")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[a-z]{2,}")
_QQ = re.compile(r"[1-9][0-9]{4,10}")
_WECHAT = re.compile(r"[A-Za-z][-_A-Za-z0-9]{5,19}")


def _ok(result: Ok[str] | Fault) -> bool:
    return not isinstance(result, Fault)


RULES = {
    # people also group IDs and mobiles with dashes, long dashes and dots (350104-19581123-7380, 138.0855.0940)
    "id_card": lambda s: _ok(check_resident_id(_SEPARATORS.sub("", s), today=TODAY)),
    # the +86/0086 prefix is outside a mobile's span (README.md): the span starts at the 1
    "mobile": lambda s: _ok(check_mobile(_SEPARATORS.sub("", s))) and normalise_text(s).startswith("1"),
    # the issuer prefixes textscrub refuses (no card network's): a corpus card must not start so
    "bank_card": lambda s: _ok(check_bank_card(s)) and not _SPACES.sub("", s).startswith(_NOT_CARD),
    "plate": lambda s: _ok(check_plate(s)) or bool(_SPECIAL_PLATE.fullmatch(s)),
    "landline": lambda s: bool(_LANDLINE.fullmatch(normalise_text(s))),
    "passport": lambda s: bool(_PASSPORT.fullmatch(s)),
    "email": lambda s: bool(_EMAIL.fullmatch(s)),
    "qq": lambda s: bool(_QQ.fullmatch(s)),
    "wechat": lambda s: bool(_WECHAT.fullmatch(s)),
}


@pytest.fixture(scope="module", params=PARTS)
def part(request):
    return request.param, load_corpus(request.param)


def test_records_are_well_formed(part):
    name, records = part
    assert len({r["id"] for r in records}) == len(records)
    for r in records:
        assert r["id"].startswith(ID_PREFIXES[name]) and r["text"] and r["source"] in ("hand", "generated"), r["id"]
        labels = [(s["start"], s["end"]) for s in r["spans"]] + [(k["start"], k["end"]) for k in r["keep"]]
        for start, end in labels:
            assert 0 <= start < end <= len(r["text"]), r["id"]
            piece = r["text"][start:end]
            assert piece == piece.strip(), f"{r['id']}: label {piece!r} starts or ends with a space"
        ordered = sorted(labels)
        assert all(a[1] <= b[0] for a, b in zip(ordered, ordered[1:], strict=False)), f"{r['id']}: labels overlap"
        assert {s["kind"] for s in r["spans"]} <= set(KINDS), r["id"]
        assert {k["what"] for k in r["keep"]} <= KEEP_WHATS, r["id"]


def test_every_identifier_passes_its_rule(part):
    _, records = part
    bad = [f"{r['id']} {s['kind']} {r['text'][s['start']:s['end']]!r}" for r in records for s in r["spans"]
           if s["kind"] in RULES and not RULES[s["kind"]](r["text"][s["start"]:s["end"]])]
    assert bad == []


def test_reference_numbers_and_service_lines_pass_no_identifier_rule(part):
    _, records = part
    look_alikes = [r["text"][k["start"]:k["end"]] for r in records for k in r["keep"]
                   if k["what"] in ("order_no", "public_phone", "amount", "date")]
    assert len(look_alikes) > 50
    rules = {kind: RULES[kind] for kind in ("id_card", "mobile", "bank_card", "landline", "plate", "passport")}
    passing = [(value, kind) for value in look_alikes for kind, rule in rules.items() if rule(value)]
    assert passing == []


def test_names_are_full_names_or_surname_and_title(part):
    _, records = part
    names = [r["text"][s["start"]:s["end"]] for r in records for s in r["spans"] if s["kind"] == "name"]
    # names of minorities are written with a · between the parts (买买提·依明)
    assert all((2 <= len(n) <= 4 or (re.fullmatch(r"[^·]{2,6}·[^·]{2,6}", n) is not None))
               and not re.search(r"[\sA-Za-z0-9，。]", n) for n in names), names


def test_the_corpus_is_big_varied_and_covers_every_kind():
    records = {name: load_corpus(name) for name in PARTS}
    assert len(records["tune"]) + len(records["heldout"]) >= 500
    assert len(records["heldout"]) >= 250 and sum(r["source"] == "hand" for r in records["heldout"]) >= 100
    assert sum(r["source"] == "hand" for rs in records.values() for r in rs) >= 100
    for rs in records.values():
        kinds = {s["kind"] for r in rs for s in r["spans"]}
        assert kinds == set(KINDS)
        assert sum(not r["spans"] for r in rs) >= len(rs) // 10   # texts without personal data
        assert len({r["text"] for r in rs}) == len(rs)


def test_heldout_shares_no_person_address_or_place_with_tune():
    def labelled(records, pick):
        return {r["text"][a["start"]:a["end"]] for r in records for a in pick(r)}
    tune, heldout = load_corpus("tune"), load_corpus("heldout")
    def full_names(r: dict) -> list:   # surname + title (王先生, 潘叔) and 小陈/老李 name no one in particular
        return [s for s in r["spans"] if s["kind"] == "name" and not r["text"][:s["end"]].endswith(TITLES)
                and not re.fullmatch(r"[小老].", r["text"][s["start"]:s["end"]])]
    addresses = lambda r: [s for s in r["spans"] if s["kind"] == "address"]  # noqa: E731
    places = lambda r: [k for k in r["keep"] if k["what"] in ("place", "district", "road")]  # noqa: E731
    for pick in (full_names, addresses, places):
        assert labelled(tune, pick) & labelled(heldout, pick) == set()


def test_committed_files_are_what_make_corpus_writes():
    result = subprocess.run([sys.executable, str(CORPUS_DIR / "make_corpus.py"), "--check"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
