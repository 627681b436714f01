"""Webhook notifications, pure parts: which hooks fire, the body, signing and its check, retries."""
from __future__ import annotations

import json

import pytest

from consumers.feed.logic import Change
from consumers.feed.webhook_logic import (WebhookSpec, change_kind, hooks_for, load_webhooks, payload,
                                          retry_delays, retryable, sign, verify)
from govbus.core.catalogue import CatalogueError
from govbus.core.result import Fault, Ok
from tests.support.feed_samples import incident

SECRET = b"s3cret"
OPENED = Change(None, incident(grade="IV", rule_id="fire.alarm_burst"))


def hook(**fields) -> WebhookSpec:
    return WebhookSpec(**({"id": "duty", "url": "http://127.0.0.1:1/hook", "secret": "duty"} | fields))


@pytest.mark.parametrize(("previous", "current", "kind"), [
    (None, {}, "opened"),
    (None, {"state": "resolved"}, "resolved"),
    ({}, {"version": 2}, "updated"),
    ({}, {"version": 2, "state": "acknowledged"}, "acknowledged"),
    ({}, {"version": 2, "state": "escalated", "grade": "II"}, "escalated"),
    ({"state": "acknowledged"}, {"version": 2, "state": "acknowledged", "grade": "II"}, "escalated"),
    ({}, {"version": 2, "state": "resolved"}, "resolved"),
])
def test_change_kind(previous, current, kind):
    change = Change(None if previous is None else incident(**previous), incident(**current))
    assert change_kind(change) == kind


@pytest.mark.parametrize(("fields", "fires"), [
    ({}, True),                                          # any rule, any grade, opened
    ({"rules": ["fire.alarm_burst"]}, True),
    ({"rules": ["city.aqi_above_limit"]}, False),
    ({"grades": ["I", "II"]}, False),
    ({"grades": ["IV"]}, True),
    ({"on": ["resolved"]}, False),
])
def test_hooks_for(fields, fires):
    assert (hooks_for([hook(**fields)], OPENED) != []) is fires


def test_the_body_reads_in_chinese_with_the_place():
    body = json.loads(payload(Change(None, incident(title_zh="鼓楼区 火警", region_code="350102"))))
    assert body["change"] == "opened"
    assert body["incident"]["title_zh"] == "鼓楼区 火警"
    assert body["incident"]["place"]["label"] == "福建省 福州市 鼓楼区 (350102)"


@pytest.mark.parametrize(("header", "body", "now", "outcome"), [
    (sign(SECRET, 1000, b"{}"), b"{}", 1000, Ok(1000)),
    (sign(SECRET, 1000, b"{}"), b"{}", 1299, Ok(1000)),
    (sign(SECRET, 1000, b"{}"), b"{}", 1301, "stale"),
    (sign(SECRET, 1000, b"{}"), b'{"x":1}', 1000, "mismatch"),     # body changed on the way
    (sign(b"other", 1000, b"{}"), b"{}", 1000, "mismatch"),         # not our sender
    ("t=1000,v1=abc", b"{}", 1000, "malformed"),
    ("", b"{}", 1000, "malformed"),
])
def test_verify(header, body, now, outcome):
    result = verify(SECRET, header, body, now)
    assert result == outcome if isinstance(outcome, Ok) else (isinstance(result, Fault) and result.reason == outcome)


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    import hashlib
    import hmac
    expected = hmac.new(SECRET, b"1000.{}", hashlib.sha256).hexdigest()
    assert sign(SECRET, 1000, b"{}") == f"t=1000,v1={expected}"


@pytest.mark.parametrize(("attempts", "first", "cap", "delays"), [
    (1, 1.0, 60, []),
    (5, 1.0, 60, [1.0, 2.0, 4.0, 8.0]),
    (6, 10.0, 30, [10.0, 20.0, 30.0, 30.0, 30.0]),
])
def test_retry_delays(attempts, first, cap, delays):
    assert retry_delays(attempts, first, cap) == delays


@pytest.mark.parametrize(("status", "again"), [(None, True), (500, True), (503, True), (429, True), (408, True),
                                               (400, False), (401, False), (404, False)])
def test_retryable(status, again):
    assert retryable(status) is again


def test_load_webhooks(tmp_path):
    assert load_webhooks(tmp_path) == []
    (tmp_path / "notifications").mkdir()
    path = tmp_path / "notifications" / "webhooks.yaml"
    path.write_text("webhooks:\n  - {id: duty, url: 'https://duty.example/h', secret: duty, grades: [I, II]}\n")
    assert [h.grades for h in load_webhooks(tmp_path)] == [["I", "II"]]
    path.write_text("webhooks:\n  - {id: duty, url: 'https://duty.example/h', secret: 'abc', token: x}\n")
    with pytest.raises(CatalogueError, match="token"):
        load_webhooks(tmp_path)
