"""Synthetic city-operation indicators, IoT fire alarms and road-traffic incidents."""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from producers.synthetic.people import local_time, mobile, plate
from producers.synthetic.regions import place, region_at_random_level

# (code, name, unit, low, high)
INDICATORS = (("ENV.AQI", "空气质量指数", "1", 15, 180), ("ENV.PM25", "细颗粒物浓度", "ug/m3", 5, 120),
              ("TRAFFIC.FLOW", "路段车流量", "vehicles/h", 200, 5000),
              ("WATER.LEVEL", "闽江水位", "m", 2, 8), ("POWER.LOAD", "用电负荷", "MW", 800, 3000))
# (device type, id prefix, unit, low, high, threshold); unit None: the device measures nothing.
DEVICES = (("smoke_detector", "SD", "dB/m", 0.05, 0.5, 0.2),
           ("heat_detector", "HD", "degC", 40, 90, 57),
           ("gas_detector", "GD", "%LEL", 5, 60, 25),
           ("water_pressure", "WP", "MPa", 0.05, 0.4, 0.1),
           ("electrical_fire", "EF", "mA", 200, 1000, 500),
           ("manual_call_point", "MC", None, 0, 0, 0))
BUILDINGS = ("东街口商业大厦", "三坊七巷文创园", "万象城", "榕城花园3号楼", "温泉公寓", "福州火车站",
             "海峡国际会展中心", "金山工业区厂房", "江滨小区7号楼", "台江步行街")
ROADS = ("福州绕城高速K{k}+{m:03d}", "福银高速K{k}+{m:03d}", "二环路与五四路交叉口", "杨桥路与白马路交叉口",
         "三环快速路K{k}+{m:03d}", "国道G316线K{k}+{m:03d}")
INCIDENT_TYPES = ("vehicle_collision", "vehicle_collision", "pedestrian_collision",
                  "single_vehicle", "rollover", "vehicle_fire", "road_obstruction")
REPORTERS = ("police", "road_operator", "hotline_122", "camera", "other")
# (severity, deaths range, serious injuries range)
SEVERITIES = (("minor", (0, 0), (0, 0)), ("ordinary", (0, 0), (0, 2)),
              ("major", (1, 2), (3, 10)), ("extraordinary", (3, 5), (5, 20)))


def _fuzhou_point(rng: random.Random) -> tuple[float, float]:
    return round(rng.uniform(119.1, 119.6), 6), round(rng.uniform(25.9, 26.2), 6)


def indicator(rng: random.Random, seq: int, now: datetime) -> dict[str, Any]:
    code, name, unit, low, high = rng.choice(INDICATORS)
    _level, region = region_at_random_level(rng)
    observed = local_time(rng, now, 86400).replace(minute=0, second=0)
    return {"series_id": f"{code}:{region}", "indicator_code": code, "indicator_name": name,
            "region_code": region, "value": round(rng.uniform(low, high), 2), "unit": unit,
            "period": rng.choice(("hour", "hour", "day", "instant")),
            "observed_at": observed.isoformat(),
            "quality": rng.choice(("good",) * 8 + ("estimated", "suspect")),
            "source_system": rng.choice((None, "城市运行管理平台", "生态环境监测网"))}


def fire_alarm(rng: random.Random, seq: int, now: datetime) -> dict[str, Any]:
    where = place(rng)
    device, prefix, unit, low, high, threshold = rng.choice(DEVICES)
    at = local_time(rng, now, 86400)
    located = rng.random() < 0.7
    longitude, latitude = _fuzhou_point(rng) if located else (None, None)
    building = rng.randrange(1, 3000)
    kind = rng.choice(("fire", "pre_alarm", "fault", "fault", "supervisory", "test"))
    return {"alarm_id": f"FA-{at:%Y%m%d}-{seq:06d}",
            "device_id": f"{prefix}-{building:04d}-{rng.randrange(1, 60):02d}",
            "device_type": device, "building_id": f"BLD-{where.county}-{building:04d}",
            "building_name": rng.choice(BUILDINGS),
            "address": where.address + f"{building % 300 + 1}号",
            "floor": rng.randrange(-2, 31) if rng.random() < 0.9 else None,
            "region_code": where.village, "longitude": longitude, "latitude": latitude,
            "alarm_type": kind, "value": round(rng.uniform(low, high), 3) if unit else None,
            "unit": unit, "threshold": threshold if unit else None, "alarm_at": at.isoformat(),
            "confirmation": rng.choice(("unconfirmed", "true_alarm", "false_alarm", "false_alarm")),
            "cleared_at": (at + timedelta(minutes=rng.randrange(3, 120))).isoformat()
            if rng.random() < 0.6 else None}


def traffic_incident(rng: random.Random, seq: int, now: datetime) -> dict[str, Any]:
    where = place(rng)
    severity, deaths, serious = rng.choice(SEVERITIES)
    plates = [plate(rng) for _ in range(rng.choice((1, 2, 2, 3)))]
    at = local_time(rng, now, 86400)
    longitude, latitude = _fuzhou_point(rng)
    caller = mobile(rng)
    return {"incident_no": f"SG{at:%Y%m%d}{seq:05d}", "occurred_at": at.isoformat(),
            "incident_type": rng.choice(INCIDENT_TYPES),
            "severity": severity,
            "location": rng.choice(ROADS).format(k=rng.randrange(1, 80), m=rng.randrange(1000)),
            "region_code": where.county, "longitude": longitude, "latitude": latitude,
            "plate_numbers": plates, "vehicles_involved": len(plates),
            "deaths": rng.randint(*deaths), "serious_injuries": rng.randint(*serious),
            "minor_injuries": rng.randrange(0, 4),
            "direct_loss_cny": float(rng.randrange(1, 500) * 1000) if rng.random() < 0.8 else None,
            "road_closed": severity in ("major", "extraordinary") or rng.random() < 0.1,
            "reported_by": rng.choice(REPORTERS),
            "description": rng.choice((None, f"两车追尾，报警人电话{caller}，请尽快派员处置。",
                                       "车辆侧翻，占用两条车道，现场有油污。"))}
