"""Build the labelled PII corpus: tests/data/pii/tune.jsonl and heldout.jsonl (issue 16, part 4).

    python tests/data/pii/make_corpus.py          # rewrite both files (fixed seed: same output)
    python tests/data/pii/make_corpus.py --check  # exit 1 if the committed files differ

Four parts, two files: ``tune`` (ids t…) and the first held-out part ``heldout`` (ids h…), which
was looked at while the detector was tuned and so joined the tune file; and ``fresh`` (ids f…),
written afterwards by someone who never read or ran the detector: it alone is heldout.jsonl.
A second tune batch ``tune2`` (ids u…), written later without reading the fresh part or the detector,
is appended to tune.jsonl after the t… and h… records.

Each part merges hand-written texts (handwritten_<part>.txt, free-form, marked up inline)
with texts composed from hand-written sentence fragments (fragments_<part>.py) filled with
values from the part's own vocabulary (pools.py) and valid identifiers (values.py). Offsets
are computed while the text is assembled, never typed.

Labelling rules (README.md in this folder says the same, with examples):
- a personal span is the identifier as written, separators and brackets included; a mobile's
  +86/0086 prefix and letters glued to a number are outside the span;
- names: full names (陈大文, 欧阳娜) and surname + title (王先生, 李阿姨), the title included;
- addresses: below street level only (road + number, estate + building/unit/room, village +
  number); the district in front of it is a ``keep`` span of its own;
- ``keep``: districts, public places, departments, dates, times, amounts, reference numbers
  (work orders, parcels, invoices, orders), public service numbers (12345, 0591-12345: a
  5-digit local number is a service line, no one's phone), roads named without a number.
"""
from __future__ import annotations

import json
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

import fragments_fresh
import fragments_heldout
import fragments_tune
import fragments_tune2
import values as v
from pools import FRESH, HELDOUT, TUNE, TUNE2

HERE = Path(__file__).resolve().parent
SEED = 20261203
SIZES = {"tune": 430, "heldout": 200, "fresh": 185, "tune2": 210}   # generated texts; the hand-written ones come on top
PREFIX = {"tune": "t", "heldout": "h", "fresh": "f", "tune2": "u"}
FILES = {"tune.jsonl": ("tune", "heldout", "tune2"), "heldout.jsonl": ("fresh",)}   # file: the parts it holds, in order
_SLOT = re.compile(r"\{(\w+)\}")
_MARKUP = re.compile(r"\[\[(\w+):(.+?)\]\]|\{\{(\w+):(.+?)\}\}", re.S)


class Text:
    """A text being assembled, with its labels; offsets come from the length so far."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.spans: list[dict[str, object]] = []
        self.keep: list[dict[str, object]] = []

    def add(self, piece: v.Piece) -> None:
        start = self.length + piece.label_from
        end = self.length + (len(piece.text) if piece.label_to is None else piece.label_to)
        if piece.kind:
            self.spans.append({"start": start, "end": end, "kind": piece.kind})
        elif piece.keep:
            self.keep.append({"start": start, "end": end, "what": piece.keep})
        self.parts.append(piece.text)
        self.length += len(piece.text)

    def record(self, text_id: str, source: str) -> dict[str, object]:
        return {"id": text_id, "text": "".join(self.parts), "spans": self.spans, "keep": self.keep, "source": source}


class Filler:
    """Fills the slots of one text; the speaker and the second person stay the same within it."""

    def __init__(self, rng: random.Random, pool: v.Pool, part: str) -> None:
        self.rng, self.pool, self.fresh, self.tune2 = rng, pool, part == "fresh", part == "tune2"
        if self.tune2:
            self.me, self.p2 = v.person_tune2(rng, pool), v.person_tune2(rng, pool)
            self.me_title, self.p2_title = v.titled_tune2(rng, self.me), v.titled_tune2(rng, self.p2)
            self.hotline = ("12345", "12345", "12345", "110", "119", "120", "12315", "12333", "96166", "95598",
                            "027-12345", "023-12345")
            return
        if self.fresh:
            self.me, self.p2 = v.person_fresh(rng, pool), v.person_fresh(rng, pool)
            self.me_title, self.p2_title = self.me.titled(rng), self.p2.titled(rng)
            self.hotline = ("12345", "12345", "12345", "12315", "110", "028-12345", "0371-12345", "95598")
            return
        self.me, self.p2 = v.person(rng, pool), v.person(rng, pool)
        self.me_title, self.p2_title = self.me.titled(rng), self.p2.titled(rng)
        self.area = "FZ" if part == "tune" else "XM"
        self.hotline = (("12345", "12345", "0591-12345", "110") if part == "tune"
                        else ("12345", "0592-12345", "12345", "96178"))

    def slot(self, name: str) -> list[v.Piece]:
        rng, pool = self.rng, self.pool
        simple: dict[str, Callable[[], v.Piece]] = {
            "me": lambda: v.Piece(self.me.full, "name"), "me_t": lambda: v.Piece(self.me_title, "name"),
            "p2": lambda: v.Piece(self.p2.full, "name"), "p2_t": lambda: v.Piece(self.p2_title, "name"),
            "addr": lambda: v.Piece(v.address(rng, pool), "address"),
            "mobile": lambda: v.mobile(rng), "landline": lambda: v.landline(rng, pool),
            "phone": lambda: v.mobile(rng) if rng.random() < 0.7 else v.landline(rng, pool),
            "id": lambda: v.id_card(rng, pool), "card": lambda: v.bank_card(rng), "passport": lambda: v.passport(rng),
            "plate": lambda: v.plate(rng, pool), "email": lambda: v.email(rng, pool), "qq": lambda: v.qq(rng),
            "wechat": lambda: v.wechat(rng, pool),
            "district": lambda: v.Piece(rng.choice(pool.districts), keep="district"),
            "place": lambda: v.Piece(rng.choice(pool.places), keep="place"),
            "dept": lambda: v.Piece(rng.choice(pool.departments), keep="department"),
            "date": lambda: v.Piece(v.keep_date(rng), keep="date"),
            "time": lambda: v.Piece(v.keep_time(rng), keep="time"),
            "amount": lambda: v.Piece(v.keep_amount(rng), keep="amount"),
            "hotline": lambda: v.Piece(rng.choice(self.hotline), keep="public_phone"),
            "road": lambda: v.Piece(rng.choice(pool.roads), keep="road"),
        }
        if self.tune2:
            return self.slot_tune2(name, simple)
        if self.fresh:
            simple.update({
                "addr": lambda: v.Piece(v.address_fresh(rng, pool), "address"),
                "mobile": lambda: v.mobile_fresh(rng), "passport": lambda: v.passport_fresh(rng),
                "plate": lambda: v.plate_fresh(rng, pool), "wechat": lambda: v.wechat_fresh(rng, pool),
                "date": lambda: v.Piece(v.keep_date_fresh(rng), keep="date"),
                "time": lambda: v.Piece(v.keep_time_fresh(rng), keep="time"),
                "amount": lambda: v.Piece(v.keep_amount_fresh(rng), keep="amount"),
            })
            if name == "h12345":   # the hotline's own number, typed in the sentence
                return [v.Piece("12345", keep="public_phone")]
            if name == "landline" or (name == "phone" and rng.random() < 0.35):
                return v.landline_fresh(rng, pool)
            if name == "phone":
                return [v.mobile_fresh(rng)]
            if name == "daddr":
                return [v.Piece(rng.choice(pool.districts), keep="district"),
                        v.Piece(v.address_fresh(rng, pool), "address")]
            if name == "order":
                label, number = v.keep_order_fresh(rng)
                return [v.Piece(label + rng.choice(("", "：", " ", ":", "是"))), v.Piece(number, keep="order_no")]
        if name in simple:
            return [simple[name]()]
        if name == "daddr":   # district (kept) + address below street level
            return [v.Piece(rng.choice(pool.districts), keep="district"), v.Piece(v.address(rng, pool), "address")]
        if name == "order":
            label, number = v.keep_order(rng, self.area)
            return [v.Piece(label + rng.choice(("", "：", " ", ":"))), v.Piece(number, keep="order_no")]
        raise KeyError(f"unknown slot {{{name}}}")


    def slot_tune2(self, name: str, simple: dict[str, Callable[[], v.Piece]]) -> list[v.Piece]:
        """The second tune batch: its own generators for every kind (more forms, see values.py)."""
        rng, pool = self.rng, self.pool
        simple.update({
            "addr": lambda: v.Piece(v.address_tune2(rng, pool), "address"),
            "mobile": lambda: v.mobile_tune2(rng), "id": lambda: v.id_card_tune2(rng, pool),
            "card": lambda: v.bank_card_tune2(rng), "passport": lambda: v.passport_fresh(rng),
            "plate": lambda: v.plate_tune2(rng, pool), "email": lambda: v.email_tune2(rng, pool),
            "qq": lambda: v.qq_tune2(rng), "wechat": lambda: v.wechat_fresh(rng, pool),
            "date": lambda: v.Piece(v.keep_date_fresh(rng), keep="date"),
            "time": lambda: v.Piece(v.keep_time_fresh(rng), keep="time"),
            "amount": lambda: v.Piece(v.keep_amount_tune2(rng), keep="amount"),
        })
        if name == "h12345":
            return [v.Piece("12345", keep="public_phone")]
        if name == "landline" or (name == "phone" and rng.random() < 0.35):
            return v.landline_fresh(rng, pool)
        if name == "phone":
            return [v.mobile_tune2(rng)]
        if name == "daddr":
            return [v.Piece(rng.choice(pool.districts), keep="district"),
                    v.Piece(v.address_tune2(rng, pool), "address")]
        if name == "order":
            label, number = v.keep_order_tune2(rng)
            return [v.Piece(label + rng.choice(("", "：", " ", ":", "是", "为"))), v.Piece(number, keep="order_no")]
        if name == "p3":   # a third person, named in full
            return [v.Piece(v.person_tune2(rng, pool).full, "name")]
        if name in simple:
            return [simple[name]()]
        raise KeyError(f"unknown slot {{{name}}}")


def _casual(rng: random.Random, template: str) -> str:
    """Some callers type without Chinese punctuation, with ASCII commas, or with spaces."""
    r = rng.random()
    if r < 0.08:
        return template.replace("，", " ").replace("。", " ")
    if r < 0.14:
        return template.replace("，", ",").replace("：", ":")
    return template


def render(text: Text, template: str, filler: Filler) -> None:
    cursor = 0
    for m in _SLOT.finditer(template):
        if m.start() > cursor:
            text.add(v.Piece(template[cursor:m.start()]))
        for piece in filler.slot(m.group(1)):
            text.add(piece)
        cursor = m.end()
    if cursor < len(template):
        text.add(v.Piece(template[cursor:]))


def compose(rng: random.Random, frags: object, pool: v.Pool, part: str) -> Text:
    """One text: a one-liner, a text without personal data, or opening + body + contact + extras."""
    filler, text = Filler(rng, pool, part), Text()
    r = rng.random()
    if r < 0.10:
        templates = [rng.choice(frags.SHORT)]
    elif r < 0.22:
        templates = rng.sample(frags.NO_PII, rng.choice((1, 1, 2, 3)))
    else:
        body = rng.choice((frags.COMPLAINT, frags.CONSULT, frags.REPORT, frags.HELP, frags.COMPLAINT, frags.THANKS))
        templates = [rng.choice(frags.OPEN)] if rng.random() < 0.7 else []
        templates += rng.sample(body, min(len(body), rng.choice((1, 1, 2, 2, 3))))
        templates += [rng.choice(frags.CONTACT)] if rng.random() < 0.75 else []
        templates += rng.sample(frags.EXTRA, rng.choice((0, 0, 0, 1, 1, 2)))
        templates += [rng.choice(frags.CLOSE)]
    joiner = rng.choices(("", "\n", " "), (6, 2, 1))[0]
    for i, template in enumerate(templates):
        if i and joiner:
            text.add(v.Piece(joiner))
        render(text, _casual(rng, template), filler)
    return text


def parse_handwritten(block: str) -> Text:
    """A hand-written text: [[kind:personal data]] and {{what:ordinary detail}} marked inline."""
    text, cursor = Text(), 0
    for m in _MARKUP.finditer(block):
        if m.start() > cursor:
            text.add(v.Piece(block[cursor:m.start()]))
        if m.group(1):
            text.add(v.Piece(m.group(2), kind=m.group(1)))
        else:
            text.add(v.Piece(m.group(4), keep=m.group(3)))
        cursor = m.end()
    text.add(v.Piece(block[cursor:]))
    return text


def handwritten(part: str) -> list[Text]:
    """Texts of handwritten_<part>.txt: separated by lines of ``---``; ``#`` lines are comments."""
    raw = (HERE / f"handwritten_{part}.txt").read_text(encoding="utf-8")
    blocks = re.split(r"^---\s*$", raw, flags=re.M)
    texts = []
    for block in blocks:
        lines = [line for line in block.split("\n") if not line.startswith("#")]
        body = "\n".join(lines).strip("\n")
        if body.strip():
            texts.append(parse_handwritten(body))
    return texts


def build(part: str) -> list[dict[str, object]]:
    rng = random.Random(f"{SEED}-{part}")  # noqa: S311 (reproducible test data, not a secret)
    frags, pool = {"tune": (fragments_tune, TUNE), "heldout": (fragments_heldout, HELDOUT),
                   "fresh": (fragments_fresh, FRESH), "tune2": (fragments_tune2, TUNE2)}[part]
    items = [(t, "hand") for t in handwritten(part)]
    seen = {"".join(t.parts) for t, _ in items}
    generated = 0
    while generated < SIZES[part]:
        text = compose(rng, frags, pool, part)
        if "".join(text.parts) not in seen:   # short one-liners can come out twice
            seen.add("".join(text.parts))
            items.append((text, "generated"))
            generated += 1
    rng.shuffle(items)
    return [t.record(f"{PREFIX[part]}{i:04d}", source) for i, (t, source) in enumerate(items, 1)]


def dumps(records: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def main(argv: list[str]) -> int:
    stale = []
    for name, parts in FILES.items():
        path, content = HERE / name, "".join(dumps(build(part)) for part in parts)
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != content:
                stale.append(path.name)
        else:
            path.write_text(content, encoding="utf-8")
            print(f"{path.name}: {content.count(chr(10))} texts")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python tests/data/pii/make_corpus.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
