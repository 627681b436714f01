"""An operator works an incident from the feed's page, end to end: the real broker and registry,
`govbus detect` and `govbus serve-feed` as child processes, the page in headless Chromium.

A gas-leak work order and a burst of five fire alarms go to their raw topics; the detector opens
two incidents. The records as the emergency-management recipients received them (masked: the
work order's text scrubbed) are put on their shared topics, as the processor would, and their
deliveries in the audit store. Then: alice (operator) signs in, opens the gas incident, sees its
triggering record and the audit trail of its delivery, acknowledges with a note, escalates to a
grade, adds a note and resolves; each step is a new version on emergency.incidents carrying her
name, and an action on the audit chain (actor: the identity the feed connects as; the person:
alice). bob (viewer) sees but cannot act; requests without a session or a CSRF token are refused.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from typer.testing import CliRunner

from commands.localstack.stack import free_port
from commands.main import app as govbus_app
from consumers.audit.actions_sink import ActionsSink
from consumers.audit.main import open_audit_stores
from consumers.feed.accounts import Account, hash_password, load_accounts, save_accounts
from govbus.core.schemas import load_schemas
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, connection_env, topic_names
from govbus.core.topics import value_subject
from producers.sdk import Source, envelope_for
from stream_processors.route.pii import mask_pii
from tests.e2e.feed.test_feed_page import CHROMIUM_ARGS, _chromium
from tests.integration.stream_processors.detect.harness import Detector, all_versions, publish
from tests.support.audit_samples import audit_event

PASSWORD = "correct horse battery"
CONTENT = "302室王建国家里燃气泄漏，很浓的燃气味，电话13912345678，请马上来人！"
CITY, PROVINCE = "emergency_management_350100", "emergency_management_350000"


def _records(now: datetime) -> list[tuple[str, dict[str, Any]]]:
    order = {"order_no": "GD9000000000001", "channel": "phone", "accepted_at": now, "demand_type": "help",
             "category_code": "0110", "content": CONTENT, "address": None, "region_code": "350102001001",
             "caller_name": None, "caller_phone": None, "caller_id_no": None, "anonymous": True, "urgency": "urgent"}
    alarms = [{"alarm_id": f"FA-E2E-{i}", "device_id": f"SD-{i:04d}-01", "device_type": "smoke_detector",
               "building_id": "BLD-1", "building_name": "东街口商业大厦", "address": "福州市东街口8号", "floor": 3 + i,
               "region_code": "350102001001", "longitude": None, "latitude": None, "alarm_type": "fire",
               "value": 0.3 + i / 10, "unit": "dB/m", "threshold": 0.2, "alarm_at": now + timedelta(seconds=20 * i),
               "confirmation": "unconfirmed", "cleared_at": None} for i in range(5)]
    return [("hotline.work_order", order)] + [("fire.alarm", a) for a in alarms]


def _share(settings: GovbusSettings, records: list[tuple[str, dict[str, Any]]], event_ids: dict[str, str]) -> None:
    """Put the records on the recipients' shared topics as the processor delivers them: masked
    (the work order's text scrubbed), with the agreement's hop in the lineage."""
    from confluent_kafka import Producer

    from govbus.core.settings import kafka_config

    schemas, names = load_schemas(settings.schemas_dir), topic_names(settings)
    serde, producer = Serde.from_settings(settings), Producer(kafka_config(settings, "producer"))
    for dataset, record in records:
        schema = schemas[dataset]
        recipient, agreement = ((PROVINCE, "hotline-to-province-emergency") if dataset == "hotline.work_order"
                                else (CITY, "fire-alarm-to-emergency-fz"))
        topic = names.shared(recipient, dataset)
        serde.prepare(value_subject(topic), schema.schema)
        envelope = envelope_for(schema, record, Source(dataset.split(".")[0], "city", "350100", "tests.feed"))
        key = str(record[schema.key_field])
        envelope["event_id"] = event_ids[key]
        envelope["lineage"].append({"stage": "route", "component": "tests", "version": "0", "agreement_id": agreement,
                                    "agreement_version": 1, "time": datetime.now(timezone.utc)})
        shared = record | {"envelope": envelope, "content": mask_pii(record["content"])} \
            if dataset == "hotline.work_order" else record | {"envelope": envelope}
        producer.produce(topic, serde.encode(value_subject(topic), shared), key.encode())
    assert producer.flush(30) == 0


@pytest.fixture
def world(broker, tmp_path, unique) -> Iterator[dict[str, Any]]:
    audit_url = f"sqlite:///{tmp_path / 'audit.db'}"
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}", audit_url=audit_url,
                               feed_accounts_file=tmp_path / "feed-accounts.json")
    now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5)
    records = _records(now)
    detector = Detector(settings, tmp_path, free_port(), tick_seconds=1)
    detector.start()  # while the rest is prepared: Faust takes seconds to join
    event_ids = publish(settings, records)
    _share(settings, records, event_ids)
    store, _ = open_audit_stores(settings)
    store.append([audit_event(i, event_id=e, recipient=PROVINCE if k.startswith("GD") else CITY)
                  for i, (k, e) in enumerate(sorted(event_ids.items()))])
    store.close()
    env = os.environ | connection_env(settings) | {
        "GOVBUS_TOPIC_PREFIX": settings.topic_prefix, "GOVBUS_AUDIT_URL": audit_url,
        "GOVBUS_FEED_ACCOUNTS_FILE": str(settings.feed_accounts_file), "GOVBUS_METRICS_PORT": "-1"}
    log = tmp_path / "serve-feed.log"
    with log.open("wb") as out:
        feed = subprocess.Popen([sys.executable, "-m", "commands.main", "serve-feed", "--port", "0"], env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        yield {"settings": settings, "env": env, "event_ids": event_ids, "detector": detector,
               "base": _listening(feed, log), "log": log}
    finally:
        for proc in (feed,):
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
        detector.kill()


def _listening(proc: subprocess.Popen, log: Path, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"serve-feed exited with {proc.returncode}:\n{log.read_text()}"
        found = re.search(r"feed listening on (http://\S+/)", log.read_text())
        if found:
            return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"serve-feed not listening within {timeout}s:\n{log.read_text()}")


def _call(url: str, method: str = "GET", body: Any = None, cookie: str = "",
          headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    """(status, JSON body, session cookie set) of one request."""
    sent = {"Content-Type": "application/json"} | ({"Cookie": cookie} if cookie else {}) | (headers or {})
    request = urllib.request.Request(url, method=method, headers=sent,
                                     data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, raw, set_cookie = response.status, response.read(), response.headers.get("Set-Cookie", "")
    except urllib.error.HTTPError as error:
        status, raw, set_cookie = error.code, error.read(), ""
    return status, json.loads(raw or b"{}"), set_cookie.split(";")[0]


def _sign_in(base: str, name: str) -> tuple[str, str]:
    status, body, cookie = _call(base + "api/session", "POST", {"name": name, "password": PASSWORD})
    assert status == 200, body
    return cookie, body["csrf"]


def _incidents(base: str, timeout: float, detector: Detector) -> dict[str, dict[str, Any]]:
    """rule id → incident once the detector has opened both and the feed shows them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        detector.check_alive()
        _, body, _ = _call(base + "api/incidents")
        found = {i["rule_id"]: i for i in body["incidents"]}
        if {"hotline.triage_accident", "fire.alarm_burst"} <= set(found):
            return found
        time.sleep(0.2)
    raise AssertionError(f"no incidents on the feed within {timeout}s:\n{detector.log.read_text()[-3000:]}")


def _add_accounts(path: Path) -> None:
    # alice through the command an administrator uses; bob straight into the file.
    result = CliRunner().invoke(govbus_app, ["feed", "accounts", "add", "alice", "--role", "operator",
                                             "--password-stdin"], input=PASSWORD + "\n",
                                env={"GOVBUS_FEED_ACCOUNTS_FILE": str(path)})
    assert result.exit_code == 0, result.output
    save_accounts(path, load_accounts(path) | {"bob": Account("bob", "viewer", hash_password(PASSWORD))})
    assert path.stat().st_mode & 0o777 == 0o600


VIEW_STATE = ("(() => { const v = document.getElementById('incident-view'); "
              "return v ? [v.open, JSON.stringify(v.dataset), v.innerText] : null; })()")


def _wait_view(page: Page, condition: str, timeout: float = 45) -> None:
    """Until the incident view meets ``condition`` (``v`` is the dialog); says what it shows if not."""
    try:
        page.wait_for_function(f"(() => {{ const v = document.getElementById('incident-view'); "
                               f"return !!v && ({condition}); }})()", timeout=timeout * 1000, polling=50)
    except PlaywrightTimeout as exc:
        raise AssertionError(f"{condition} never held at {page.url}: {page.evaluate(VIEW_STATE)}") from exc


def _act(page: Page, button: str, note: str, condition: str) -> None:
    page.fill("#act-note", note)
    page.click(button)
    _wait_view(page, condition)


def _late_incident_script(route: Any) -> None:
    """incident.js arrives after feed.js has its first answer (what a slow link does; it once made
    the page drop #incident=<id> before incident.js read it)."""
    time.sleep(0.5)
    route.continue_()


def _operator_walks_through(page: Page, base: str, gas: dict[str, Any], gas_event: str) -> None:
    page.route("**/static/incident.js", _late_incident_script)
    page.goto(base + "signin?next=" + urllib.request.quote("/#incident=" + gas["incident_id"], safe=""))
    page.fill("#name", "alice")
    page.fill("#password", PASSWORD)
    page.click("#signin button[type=submit]")
    _wait_view(page, f"v.open && v.dataset.incidentId === {json.dumps(gas['incident_id'])} "
                     "&& document.querySelectorAll('#iv-records .record').length === 1")
    assert page.text_content("#who").startswith("alice")
    record = page.locator(f'#iv-records .record[data-event-id="{gas_event}"]')
    text = record.text_content()
    assert "燃气泄漏" in text and "13912345678" not in text and "王建国" not in text, text  # scrubbed
    record.locator(".audit-link").click()
    page.wait_for_function("document.querySelectorAll('#iv-records .audit li[data-kind=\"delivery\"]').length === 1",
                           timeout=15_000, polling=50)
    assert PROVINCE in record.locator(".audit").text_content()

    _act(page, "#act-ack", "已电话联系燃气公司抢修", "v.dataset.state === 'acknowledged'")
    page.select_option("#act-grade", "II")
    _act(page, "#act-escalate", "多户受影响，升级处置", "v.dataset.state === 'escalated' && v.dataset.grade === 'II'")
    version = int(page.get_attribute("#incident-view", "data-version"))
    _act(page, "#act-add-note", "抢修队已到场", f"v.dataset.version === '{version + 1}'")
    _act(page, "#act-resolve", "阀门已关闭，险情排除", "v.dataset.state === 'resolved'")
    assert page.locator("#iv-actions li[data-operator='alice']").count() == 4
    assert page.locator("#act").is_hidden()


def _refusals(base: str, gas_id: str) -> None:
    action = {"incident_id": gas_id, "action": "note", "note": "不该成功"}
    assert _call(base + "api/actions", "POST", action)[0] == 401                       # no session
    cookie, csrf = _sign_in(base, "alice")
    assert _call(base + "api/actions", "POST", action, cookie)[0] == 403               # no CSRF token
    assert _call(base + "api/actions", "POST", action, cookie, {"X-CSRF-Token": "x" + csrf})[0] == 403
    assert _call(base + "api/incident?id=" + urllib.request.quote(gas_id))[0] == 401   # records need a session
    viewer, viewer_csrf = _sign_in(base, "bob")
    status, body, _ = _call(base + "api/actions", "POST", action, viewer, {"X-CSRF-Token": viewer_csrf})
    assert status == 403 and "viewer" in body["error"], body
    assert _call(base + "api/incident?id=" + urllib.request.quote(gas_id), cookie=viewer)[0] == 200
    assert _call(base + "api/session", "DELETE", None, cookie, {"X-CSRF-Token": csrf})[0] == 200
    assert _call(base + "api/session", cookie=cookie)[0] == 401                        # signed out
    assert _call(base + "api/session", "POST", {"name": "alice", "password": "wrong password!"})[0] == 401


def _on_the_chain(settings: GovbusSettings, gas_id: str) -> list[dict[str, Any]]:
    store, actions = open_audit_stores(settings)
    try:
        ActionsSink(settings, Serde.from_settings(settings), actions).run(idle_exit_seconds=3)
        return [a for a in actions.by_operator(settings.kafka_user) if a["target"] == gas_id]
    finally:
        store.close()


def test_an_operator_acts_from_the_page_and_every_step_is_recorded(world):
    base, settings = world["base"], world["settings"]
    _add_accounts(settings.feed_accounts_file)
    found = _incidents(base, 60, world["detector"])
    gas, fire = found["hotline.triage_accident"], found["fire.alarm_burst"]
    gas_event = world["event_ids"]["GD9000000000001"]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(45_000)
            _operator_walks_through(page, base, gas, gas_event)
        finally:
            browser.close()
    _refusals(base, gas["incident_id"])

    # The fire incident's records: the sensors and their readings, newest first.
    cookie, _ = _sign_in(base, "bob")
    _, detail, _ = _call(base + "api/incident?id=" + urllib.request.quote(fire["incident_id"]), cookie=cookie)
    assert [r["sensor"][1]["value"] for r in detail["records"]] == [f"SD-{i:04d}-01" for i in (4, 3, 2, 1, 0)]
    assert {"field": "value", "value": "0.7"} in detail["records"][0]["readings"]

    # emergency.incidents: one version per step, each carrying alice and her note.
    versions = sorted((v for v in all_versions(settings) if v["incident_id"] == gas["incident_id"]),
                      key=lambda v: v["version"])
    assert [(v["state"], v["grade"]) for v in versions] == [
        ("open", "IV"), ("acknowledged", "IV"), ("escalated", "II"), ("escalated", "II"), ("resolved", "II")]
    assert [(a["action"], a["operator"], a["identity"]) for a in versions[-1]["actions"]] == [
        (name, "alice", settings.kafka_user) for name in ("ack", "escalate", "note", "resolve")]

    # The audit chain: four actions of the feed's identity, each naming alice.
    chained = _on_the_chain(settings, gas["incident_id"])
    assert sorted((a["action"], a["details"]["operator"], a["outcome"]) for a in chained) == sorted(
        (f"incident.{name}", "alice", "done") for name in ("ack", "escalate", "note", "resolve"))
    assert all(gas_event in a["event_ids"] for a in chained)
