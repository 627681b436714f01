"""Addresses below street level in Chinese free text: road + door number, estate + building /
unit / room.

District, street and public place names are ordinary details and stay readable; what makes an
address personal is the door number and the building/unit/room inside an estate. A span covers
the road or estate name and its numbers (the mask keeps the names and hides the numbers), and
starts after the last administrative word (区, 县, 镇 ...) or verb of place (住, 在 ...), so a
district name is never part of it.

Operates on folded text (see pii_rules.fold); returns (start, end, "address").
"""
from __future__ import annotations

import re

_HAN = "\u4e00-\u9fff"
_NUM = "0-9零一二三四五六七八九十百"
_ROAD = r"(?:路|街|大道|巷|弄|胡同|大街)"
_ESTATE = (r"(?:小区|花园|苑|公寓|新村|家园|大厦|广场|山庄|宿舍|公馆|华府|名城|雅居|新城|"
           r"嘉园|佳园|府|庭|里|坊|城|湾|园|村)")
# One building / unit / floor / room component, or the 5-2-301 shorthand.
_DOOR_PART = (
    rf"(?:[A-Za-z]?[{_NUM}]+[A-Za-z]?(?:号楼|栋|幢|座|#楼|#|号院|期|区(?=[{_NUM}]))|[A-Za-z]座"
    rf"|[{_NUM}]+单元|[0-9]+(?:层|楼)(?![{_HAN}]{{0,1}}[道梯房])|[0-9]+(?:室|号房|房间|房)"
    rf"|[0-9]{{1,3}}-[0-9]{{1,2}}-[0-9]{{3,4}})"
)
_DOOR_CHAIN = rf"(?:{_DOOR_PART}[ ,，]?)*{_DOOR_PART}(?:[0-9]{{3,4}}(?![0-9]))?"
# Anchored on the suffix and numbers; the name before them is found by walking back (a regex
# with a lazy name prefix would be tried from every character of the text: 3x slower).
_ROAD_ADDRESS = re.compile(
    rf"{_ROAD}(?P<no>[{_NUM}]+(?:之[0-9]+|-[0-9]+)?号(?:院|之[0-9]+)?)(?P<door>{_DOOR_CHAIN})?")
_ESTATE_ADDRESS = re.compile(rf"{_ESTATE}(?P<door>{_DOOR_CHAIN})")
# Every address form has a number before one of these (or a lettered 座): the cheap test first.
_ANY_NUMBERED = re.compile(rf"[{_NUM}](?:号|栋|幢|单元|室|房|座|层|楼|#|期|-[0-9])|[A-Za-z]座")
_NAME_CHARS = re.compile(rf"[{_HAN}A-Za-z0-9]{{1,8}}$")
_BARE_DOOR = re.compile(rf"(?<![{_NUM}A-Za-z])(?P<door>[{_NUM}]+(?:号楼|栋|幢)(?:{_DOOR_CHAIN})?)")
# A span's name starts after these: administrative units, verbs and particles of place.
_NAME_STOPS = set("省市区县镇乡街道在住于是的到近旁边靠往从和与及、，,。：: 我家映诉称说向对")
_NAME_STOP_WORDS = ("街道", "社区", "家住", "住在", "位于", "地址")


def _name_start(text: str, suffix_start: int, suffix_end: int) -> int:
    """Where the road/estate name starts: up to 8 name characters before its suffix, after the
    last stop character or stop word among them."""
    before = _NAME_CHARS.search(text, max(0, suffix_start - 8), suffix_start)
    start = before.start() if before else suffix_start
    name = text[start:suffix_end]
    cut = 0
    for word in _NAME_STOP_WORDS:
        at = name.rfind(word)
        if at >= 0:
            cut = max(cut, at + len(word))
    # the suffix itself (the last character) may be a stop character such as 街; never cut it
    for i, ch in enumerate(name[:suffix_start - start]):
        if ch in _NAME_STOPS:
            cut = max(cut, i + 1)
    return start + min(cut, suffix_start - start)


def address_findings(folded: str) -> list[tuple[int, int, str]]:
    """Road + number and estate + door spans; a bare "5号楼2单元" counts too."""
    if not _ANY_NUMBERED.search(folded):
        return []
    found = []
    for pattern, group in ((_ROAD_ADDRESS, "no"), (_ESTATE_ADDRESS, "door")):
        for m in pattern.finditer(folded):
            found.append((_name_start(folded, m.start(), m.start(group)), m.end(), "address"))
    taken = [range(a, b) for a, b, _ in found]
    for m in _BARE_DOOR.finditer(folded):
        if not any(m.start() in r for r in taken):
            found.append((m.start(), m.end(), "address"))
    return found
