"""The region-name table and lookup (govbus.core.regions)."""
from __future__ import annotations

import pytest

from govbus.core.regions import UNKNOWN_MARKER, RegionTable, ancestors, load_region_table

SMALL = RegionTable({"350000": "福建省", "350100": "福州市", "350102": "鼓楼区",
                     "350102001000": "鼓东街道", "350102001001": "中山社区",
                     "110000": "北京市", "110100": "市辖区", "110101": "东城区",
                     "469000": "省直辖县级行政区划", "469001": "五指山市", "460000": "海南省"})


@pytest.mark.parametrize(("code", "label"), [
    ("350000", "福建省 (350000)"),
    ("350100", "福建省 福州市 (350100)"),
    ("350102", "福建省 福州市 鼓楼区 (350102)"),
    ("350102000000", "福建省 福州市 鼓楼区 (350102)"),          # a 12-digit county code
    ("350102001000", "福建省 福州市 鼓楼区 鼓东街道 (350102001000)"),
    ("350102001001", "福建省 福州市 鼓楼区 鼓东街道 中山社区 (350102001001)"),
    ("110101", "北京市 东城区 (110101)"),                        # 市辖区 left out of the path
    ("469001", "海南省 五指山市 (469001)"),                      # directly under the province
    ("350102001039", "福建省 福州市 鼓楼区 鼓东街道 350102001039" + UNKNOWN_MARKER),
    ("350199", "福建省 福州市 350199" + UNKNOWN_MARKER),
    ("990000", "990000" + UNKNOWN_MARKER),
    ("", UNKNOWN_MARKER),
    ("35010x", "35010x" + UNKNOWN_MARKER),
    (None, UNKNOWN_MARKER),
])
def test_label(code: object, label: str) -> None:
    assert SMALL.label(code) == label


@pytest.mark.parametrize(("code", "name", "short", "known"), [
    ("350102", "鼓楼区", "福州市 鼓楼区", True),
    ("350102001001", "中山社区", "鼓东街道 中山社区", True),
    ("350199", "350199" + UNKNOWN_MARKER, "福建省 福州市 350199" + UNKNOWN_MARKER, False),
])
def test_name_short_known(code: str, name: str, short: str, known: bool) -> None:
    place = SMALL.place(code)
    assert (place.name, place.short, place.known) == (name, short, known)


@pytest.mark.parametrize(("code", "chain"), [
    ("350000", ["350000"]),
    ("350100", ["350000", "350100"]),
    ("350102001001", ["350000", "350100", "350102", "350102001000", "350102001001"]),
    ("350102001000", ["350000", "350100", "350102", "350102001000"]),
])
def test_ancestors(code: str, chain: list[str]) -> None:
    assert ancestors(code) == chain


@pytest.mark.parametrize(("code", "label"), [
    ("350102", "福建省 福州市 鼓楼区 (350102)"),
    ("350104", "福建省 福州市 仓山区 (350104)"),
    ("350102001001", "福建省 福州市 鼓楼区 鼓东街道 中山社区 (350102001001)"),
    ("350102100000", "福建省 福州市 鼓楼区 洪山镇 (350102100000)"),
    ("440305", "广东省 深圳市 南山区 (440305)"),
    ("650000", "新疆维吾尔自治区 (650000)"),
])
def test_shipped_table(code: str, label: str) -> None:
    assert load_region_table().label(code) == label


def test_shipped_table_covers_every_county_the_generator_uses() -> None:
    from producers.synthetic.regions import FUZHOU_COUNTIES
    table = load_region_table()
    assert len(table) > 6000
    for county, name, streets, towns in FUZHOU_COUNTIES:
        assert table.name_of(county) == name
        township_names = {table.name_of(f"{county}{i:03d}000") for i in range(1, 400)}
        assert set(streets) | set(towns) <= township_names, county
