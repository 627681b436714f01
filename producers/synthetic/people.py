"""Plausible people, places and identifiers for synthetic records (deterministic by seed).

Identifiers carry correct check characters (GB 11643 resident IDs, GB 32100 credit codes with a
GB 11714 organisation code inside, GA 36 plates), so that only the records labelled dirty fail.
"""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

from govbus.core.identifiers import resident_id_check_char, uscc_check_char
from producers.synthetic.regions import FUZHOU_COUNTIES, Place, place

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官")
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌辉鹏宇浩然欣怡子涵梓轩雨桐"

# Birthplaces elsewhere in China (real GB/T 2260 county codes): people move to Fuzhou.
COUNTIES = (
    ("110101", "北京市东城区"), ("110105", "北京市朝阳区"), ("310115", "上海市浦东新区"),
    ("440106", "广州市天河区"), ("330106", "杭州市西湖区"), ("510107", "成都市武侯区"),
    ("429004", "湖北省仙桃市"), ("350203", "厦门市思明区"), ("350502", "泉州市鲤城区"),
    ("360102", "南昌市东湖区"), ("430102", "长沙市芙蓉区"), ("610113", "西安市雁塔区"),
)
ROADS = ("五一路", "八一七路", "东街", "杨桥路", "湖东路", "华林路", "工业路", "六一路", "福新路",
         "江滨大道", "乌山路", "南门兜", "白马路", "连江路")
MOBILE_PREFIXES = ("130", "131", "135", "136", "138", "139", "150", "151", "158", "159",
                   "177", "180", "186", "188", "199")
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # GA 36: no I or O
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def person_name(rng: random.Random) -> str:
    surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.03 else rng.choice(SURNAMES)
    return surname + "".join(rng.choice(GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def birth_date(rng: random.Random, oldest: int = 1935, youngest: int = 2008) -> date:
    start = date(oldest, 1, 1)
    return start + timedelta(days=rng.randrange((date(youngest, 12, 31) - start).days))


def birth_county(rng: random.Random) -> str:
    """Where a Fuzhou resident was registered at birth: mostly Fuzhou, sometimes elsewhere."""
    if rng.random() < 0.75:
        return rng.choice(FUZHOU_COUNTIES)[0]
    return rng.choice(COUNTIES)[0]


def resident_id(rng: random.Random, county: str, born: date | None = None,
                male: bool | None = None) -> str:
    born = born or birth_date(rng)
    sequence = rng.randrange(500) * 2 + (rng.randrange(2) if male is None else int(male))
    first17 = f"{county}{born:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


def street_address(rng: random.Random, where: Place) -> str:
    return f"{where.address}{rng.choice(ROADS)}{rng.randrange(1, 300)}号"


def village_code(rng: random.Random) -> tuple[str, str, str]:
    """(12-digit region code, county code, address text) of a random Fuzhou community."""
    where = place(rng)
    return where.village, where.county, street_address(rng, where)


def organisation_code(rng: random.Random) -> str:
    """A GB 11714 organisation code: 8 characters and its check character."""
    # Leading M/N/5: the prefixes issued to enterprises and individual businesses; letters
    # count A=10 … Z=35 (GB 11714), unlike the credit code's own charset.
    body = "".join(rng.choice("0123456789" if i else "MN5") for i in range(8))
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def uscc(rng: random.Random, county: str, kind: str = "1") -> str:
    """A unified social credit code registered by market regulation (9) in ``county``;
    ``kind`` 1 enterprise, 2 individual business."""
    first17 = f"9{kind}{county}{organisation_code(rng)}"
    return first17 + uscc_check_char(first17)


def plate(rng: random.Random, province: str = "闽", city_letter: str = "A") -> str:
    if rng.random() < 0.2:  # small new-energy vehicle: D/F, letter or digit, 4 digits
        return (f"{province}{city_letter}{rng.choice('DF')}"
                f"{rng.choice(PLATE_LETTERS + '0123456789')}{rng.randrange(10**4):04d}")
    serial = "".join(rng.choice(PLATE_LETTERS + "0123456789" * 3) for _ in range(5))
    return f"{province}{city_letter}{serial}"


CST = timezone(timedelta(hours=8))


def local_time(rng: random.Random, now: datetime, within_seconds: int = 86400) -> datetime:
    """A moment in the ``within_seconds`` before ``now``, in China time, whole seconds."""
    return (now - timedelta(seconds=rng.randrange(within_seconds))).astimezone(CST)
