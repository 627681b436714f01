"""Addresses below street level in Chinese free text: road + door number, estate + building /
unit / room, village + group + number.

District, street and public place names are ordinary details and stay readable; what makes an
address personal is the door number and the building/unit/room inside an estate. An address is
found from its numbered parts (88号, 5号楼, 2单元, 301室, 6组, A区 ...): parts that follow each
other, directly or across a short estate name (五四路88号|融侨锦江|26座408室), form one
cluster; the name before the first part (up to 8 characters, cut after the last administrative
word or verb of place: 区, 县, 市, 在, 住 ...) starts the span. A cluster is an address when it
holds a building/unit/room/group part, or when its door number follows a road, town or village
name (五四路88号, 琯头镇91号): "3号窗口" and "5月3号" are not addresses.

The mask keeps the names and stars the numbers. Operates on folded text (see pii_rules.fold);
returns (start, end, "address").
"""
from __future__ import annotations

import re
from functools import lru_cache

from stream_processors.route.pii_rules import Finder, bmp_alnum_bits, found_natively

try:  # the compiled finder (native/src/address.rs); without it, address_findings_python
    from govbus_native import AddressFinder as _NativeFinder
except ImportError:  # pragma: no cover - CI builds the extension
    _NativeFinder = None

_HAN = "\u4e00-\u9fff"
_NUM = "0-9零一二三四五六七八九十百"
# A numbered part; "号" last among the alternatives so that 号楼 / 号院 win. Door, building
# and room numbers have at most 5 digits: a longer run before 座 is an invoice or order number.
_PART = re.compile(
    rf"(?<![0-9])(?P<num>[A-Za-z]?[{_NUM}]{{1,5}}[A-Za-z]?(?:-[0-9]+)?)(?P<unit>号楼|号院|栋|幢|座|#楼|#|单元|梯|室|层|楼|组|社|弄|期|"
    rf"号(?![线码窗车台机位])(?:之[0-9]+)?)"
    rf"|(?P<letter>[A-Za-z])(?P<lunit>区|座|栋)(?=[{_NUM}])")
_ROOM_TAIL = re.compile(r"[0-9]{3,4}(?![0-9号栋幢座层室单元组])")   # 2单元|301, 8栋|1201
# 5-2-301 (the first digit before the look-behind: re then skips ahead to the next digit)
_SHORTHAND = re.compile(r"[0-9](?<![0-9]{2})[0-9]{0,2}-[0-9]{1,2}-[0-9]{3,4}(?![0-9])")
# Parts below a door number; 组 (a village's group) and 号 need a village or road name before them.
_INSIDE = frozenset(("号楼", "号院", "栋", "幢", "座", "#楼", "#", "单元", "梯", "室", "层", "期", "区"))
_ROADS = ("路", "街", "道", "巷", "弄", "胡同", "镇", "村", "乡", "里", "坊",
          "兜", "埕", "厝", "营", "庄", "屯", "岭", "坪", "湾")  # the last ones: Fujian place-name endings
_NAME_CHARS = re.compile(rf"[{_HAN}A-Za-z0-9]{{1,10}}$")
# A span's name starts after these: administrative units, verbs and particles of place.
_STOP_CHARS = frozenset("省市区县在住于是的到近旁边靠往从和与及对向给被了把我们他她")
_STOP_WORDS = ("街道", "社区", "家住", "住在", "位于", "地址", "发现", "举报", "反映", "房子")
_GAP = 8  # an estate name between two numbered parts is at most this long


def _is_stop(text: str, i: int) -> bool:
    if text[i] == "区" and i and text[i - 1] in "小园校厂营景":  # 金山小区 is an estate, not a district
        return False
    if text[i] == "市" and i and text[i - 1] in "城都":  # 金色城市 is an estate's name
        return False
    return text[i] in _STOP_CHARS


# 城市, 都市 inside an estate's name (万科金色城市, 楚天都市花园) are no city.
_STOP = re.compile("|".join(_STOP_WORDS) + "|(?<![小园校厂营景])区|(?<![城都])市|["
                   + "".join(sorted(_STOP_CHARS - {"区", "市"})) + "]")


def _name_start(text: str, at: int) -> int:
    """Start of the road / estate / village name that ends at ``at``: after the last stop."""
    before = _NAME_CHARS.search(text, max(0, at - 10), at)
    if before is None:
        return at
    start = before.start()
    for m in _STOP.finditer(text, start, at):
        # 太和镇, 新和村: 和/与/及 one or two characters before a place unit belongs to the name
        if m.group() in "和与及" and any(ch in "镇乡村路街县" for ch in text[m.end():m.end() + 2]):
            continue
        start = m.end()
    return start


def _parts(folded: str) -> list[tuple[int, int, bool]]:
    """(start, end, inside) of each numbered part; ``inside``: building/unit/room/group level."""
    parts = []
    for m in _PART.finditer(folded):
        unit = m.group("unit") or m.group("lunit")
        end = m.end()
        if unit in ("单元", "梯", "栋", "幢", "座", "号楼", "#楼", "#"):
            tail = _ROOM_TAIL.match(folded, end)
            end = tail.end() if tail else end
        parts.append((m.start(), end, unit in _INSIDE))
    parts += [(m.start(), m.end(), True) for m in _SHORTHAND.finditer(folded)]
    return sorted(parts)


def _joinable(folded: str, end: int, start: int) -> bool:
    gap = folded[end:start]
    return len(gap) <= _GAP and all(not _is_stop(gap, i) and ("\u4e00" <= ch <= "\u9fff" or ch.isalnum())
                                    for i, ch in enumerate(gap))


def address_findings(folded: str) -> list[tuple[int, int, str]]:
    """Road + number, estate + door and village + group spans: natively (a running processor's
    free-text scrub spent a fifth of its time in the Python finder, issue 18), or in Python
    when the module is absent or declines (a lone surrogate, a character past the basic plane)."""
    return found_natively(_native_finder(), folded, address_findings_python)


@lru_cache(maxsize=1)
def _native_finder() -> Finder | None:
    """The compiled finder, given this module's word lists; built on first use."""
    if _NativeFinder is None:
        return None
    return _NativeFinder("".join(sorted(_STOP_CHARS)), list(_STOP_WORDS), list(_ROADS), bmp_alnum_bits(), _GAP)


def address_findings_python(folded: str) -> list[tuple[int, int, str]]:
    """``address_findings`` in Python: the reference, and the path without the native module."""
    if not _ANY_NUMBERED.search(folded):
        return []
    found = []
    clusters: list[list[tuple[int, int, bool]]] = []
    for part in _parts(folded):
        if clusters and part[0] < clusters[-1][-1][1]:
            continue
        if clusters and _joinable(folded, clusters[-1][-1][1], part[0]):
            clusters[-1].append(part)
        else:
            clusters.append([part])
    for cluster in clusters:
        first = cluster[0][0]
        start = _name_start(folded, first)
        name = folded[start:first]
        if any(inside for _, _, inside in cluster) and (name or len(cluster) > 1) \
                or name.endswith(_ROADS) and name[:-1]:
            found.append((start, cluster[-1][1], "address"))
    return found


# Every address form has a number before one of these (or a lettered 区/座): the cheap test first.
# (The number or letter first, then which it was: a pattern that starts with a character class
# lets re skip ahead to the next candidate instead of trying every position.)
_ANY_NUMBERED = re.compile(rf"[{_NUM}A-Za-z](?:(?<=[{_NUM}])(?:号|栋|幢|座|单元|梯|室|层|组|社|弄|#|-[0-9])"
                           rf"|(?<=[A-Za-z])[座栋区][0-9])")
