"""Plausible people, places and identifiers for synthetic records (deterministic by seed)."""
from __future__ import annotations

import random
from datetime import date, timedelta

from govbus.core.identifiers import resident_id_check_char

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官")
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌辉鹏宇浩然欣怡子涵梓轩雨桐"

# (county code, county name, township names): real GB/T 2260 county-level codes.
COUNTIES = (
    ("110101", "北京市东城区", ("东华门街道", "景山街道", "交道口街道")),
    ("110105", "北京市朝阳区", ("建外街道", "朝外街道", "呼家楼街道")),
    ("110108", "北京市海淀区", ("万寿路街道", "羊坊店街道", "中关村街道")),
    ("310101", "上海市黄浦区", ("南京东路街道", "外滩街道", "半淞园路街道")),
    ("310115", "上海市浦东新区", ("潍坊新村街道", "陆家嘴街道", "周家渡街道")),
    ("440104", "广州市越秀区", ("洪桥街道", "北京街道", "六榕街道")),
    ("440106", "广州市天河区", ("五山街道", "员村街道", "车陂街道")),
    ("330106", "杭州市西湖区", ("北山街道", "西溪街道", "翠苑街道")),
    ("510107", "成都市武侯区", ("浆洗街街道", "望江路街道", "玉林街道")),
    ("429004", "湖北省仙桃市", ("沙嘴街道", "干河街道", "龙华山街道")),
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
