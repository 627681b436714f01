"""Region codes at every govbus level, for synthetic records of Fuzhou's departments.

Every catalogue provider is a Fuzhou (350100) department, so records lie in Fuzhou's counties.
County codes are GB/T 2260; township names are real, and township/village numbers follow the
statistical numbering rules (001-099 street offices, 100-199 towns, 200-399 townships; villages
001-199 residents' committees, 200-399 villagers' committees) — check exact numbers before
using them as ground truth.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

PROVINCE = ("350000", "福建省")
CITY = ("350100", "福州市")

# (county code, county name, street offices, towns)
FUZHOU_COUNTIES = (
    ("350102", "鼓楼区", ("鼓东街道", "鼓西街道", "温泉街道", "东街街道", "南街街道", "安泰街道",
                        "华大街道", "水部街道", "五凤街道"), ("洪山镇",)),
    ("350103", "台江区", ("瀛洲街道", "后洲街道", "义洲街道", "新港街道", "上海街道", "苍霞街道",
                        "茶亭街道", "洋中街道", "鳌峰街道", "宁化街道"), ()),
    ("350104", "仓山区", ("仓前街道", "东升街道", "对湖街道", "临江街道", "上渡街道", "下渡街道",
                        "金山街道"), ("盖山镇", "建新镇", "城门镇")),
    ("350105", "马尾区", ("罗星街道",), ("马尾镇", "亭江镇", "琅岐镇")),
    ("350111", "晋安区", ("茶园街道", "王庄街道", "象园街道"), ("岳峰镇", "新店镇", "鼓山镇")),
    ("350112", "长乐区", ("吴航街道", "航城街道", "营前街道"), ("首占镇", "玉田镇")),
    ("350121", "闽侯县", ("甘蔗街道",), ("上街镇", "南屿镇", "南通镇")),
    ("350122", "连江县", (), ("凤城镇", "敖江镇", "琯头镇")),
    ("350181", "福清市", ("玉屏街道", "龙山街道", "音西街道", "宏路街道"), ("龙田镇", "江阴镇")),
)
COMMUNITY_NAMES = ("东湖", "西湖", "温泉", "三坊", "七巷", "乌山", "屏山", "梅峰", "福屿", "桂湖",
                   "江滨", "金港", "龙潭", "凤凰", "文山", "新村", "洪塘", "双湖")


@dataclass(frozen=True)
class Place:
    """A village/community with its codes at every level and its address prefix."""

    village: str   # 12 digits
    township: str  # 12 digits, village part 000
    county: str    # 6 digits
    address: str   # 福州市鼓楼区鼓东街道东湖社区

    @property
    def city(self) -> str:
        return self.county[:2] + "0000" if self.county[2:4] == "90" else self.county[:4] + "00"

    @property
    def province(self) -> str:
        return self.county[:2] + "0000"

    def at(self, level: str) -> str:
        return {"province": self.province, "city": self.city, "county": self.county,
                "township": self.township, "village": self.village}[level]


def place(rng: random.Random) -> Place:
    """A random community or village in Fuzhou."""
    county, county_name, streets, towns = rng.choice(FUZHOU_COUNTIES)
    townships = [(f"{i + 1:03d}", n) for i, n in enumerate(streets)] + \
                [(f"{100 + i:03d}", n) for i, n in enumerate(towns)]
    number, township_name = rng.choice(townships)
    rural = number >= "100" and rng.random() < 0.6
    village = f"{rng.randrange(200, 230) if rural else rng.randrange(1, 40):03d}"
    name = rng.choice(COMMUNITY_NAMES) + ("村" if rural else "社区")
    return Place(f"{county}{number}{village}", f"{county}{number}000", county,
                 f"{CITY[1]}{county_name}{township_name}{name}")


def region_at_random_level(rng: random.Random) -> tuple[str, str]:
    """(level, code) with the level weighted towards county and below, as indicators are."""
    level = rng.choice(("province", "city", "county", "county", "township", "village"))
    return level, place(rng).at(level)
