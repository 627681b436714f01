"""Plausible people, places and identifiers for synthetic records (deterministic by seed)."""
from __future__ import annotations

import random
from datetime import date, timedelta

from govbus.core.identifiers import resident_id_check_char

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官")
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌辉鹏宇浩然欣怡子涵梓轩雨桐"

# (county code, county name, township names): real GB/T 2260 county-level codes of Fuzhou
# (350100), where the catalogue's provider departments sit.
COUNTIES = (
    ("350102", "福建省福州市鼓楼区", ("鼓东街道", "鼓西街道", "温泉街道")),
    ("350103", "福建省福州市台江区", ("瀛洲街道", "后洲街道", "义洲街道")),
    ("350104", "福建省福州市仓山区", ("仓山镇", "城门镇", "盖山镇")),
    ("350105", "福建省福州市马尾区", ("罗星街道", "马尾镇", "亭江镇")),
    ("350111", "福建省福州市晋安区", ("茶园街道", "王庄街道", "象园街道")),
    ("350112", "福建省福州市长乐区", ("吴航街道", "航城街道", "营前街道")),
    ("350121", "福建省福州市闽侯县", ("甘蔗街道", "上街镇", "南屿镇")),
    ("350181", "福建省福清市", ("玉屏街道", "龙山街道", "音西街道")),
)
ROADS = ("人民路", "解放路", "建设路", "中山路", "和平街", "文化路", "光明巷", "胜利大街")
MOBILE_PREFIXES = ("130", "131", "135", "136", "138", "139", "150", "151", "158", "159",
                   "177", "180", "186", "188", "199")


def person_name(rng: random.Random) -> str:
    surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.03 else rng.choice(SURNAMES)
    return surname + "".join(rng.choice(GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def birth_date(rng: random.Random, oldest: int = 1935, youngest: int = 2008) -> date:
    start = date(oldest, 1, 1)
    return start + timedelta(days=rng.randrange((date(youngest, 12, 31) - start).days))


def resident_id(rng: random.Random, county: str, born: date | None = None) -> str:
    born = born or birth_date(rng)
    first17 = f"{county}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + resident_id_check_char(first17)


def village_code(rng: random.Random) -> tuple[str, str, str]:
    """(12-digit region code, county code, address text) of a random community."""
    county, county_name, townships = rng.choice(COUNTIES)
    town_index = rng.randrange(len(townships))
    code = f"{county}{town_index + 1:03d}{rng.randrange(1, 30):03d}"
    address = f"{county_name}{townships[town_index]}{rng.choice(ROADS)}{rng.randrange(1, 300)}号"
    return code, county, address
