"""The emergency-command feed end to end: incidents produced to the real broker, `govbus serve-feed`
as a child process, the page in headless Chromium (Debian's ``chromium``, driven by Playwright).

Produce → visible on the page within 2 s (measured from the produce call to the card in the DOM);
an update raising the grade recolours the card; a jurisdiction filter keeps other regions out;
an incident already on the topic before the feed started is there (state rebuilt from the topic);
SIGTERM stops the feed promptly even with the page's stream open.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from playwright.sync_api import Page, sync_playwright

from consumers.feed.consumer import SCHEMA
from govbus.core.deadletter import load_bus_schema
from govbus.core.serde import Serde
from govbus.core.settings import GovbusSettings, connection_env, kafka_config, topic_names
from govbus.core.topics import value_subject
from tests.support.feed_samples import incident

MAX_LATENCY_SECONDS = 2.0
# Computed border-left colours of a card (feed.css): grade Ⅰ red, Ⅳ blue.
RED, BLUE = "rgb(198, 40, 40)", "rgb(21, 101, 192)"
# Playwright drives the machine's Chromium (no browser download): headless, and without the
# sandbox, which Chromium refuses to use as root (CI containers).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
POLL_MS = 20  # how often a waited-for condition is evaluated in the page


class IncidentBus:
    """Produces incidents, encoded like the processors do, to this test's emergency.incidents."""

    def __init__(self, settings: GovbusSettings) -> None:
        self.settings = settings
        self.topic = topic_names(settings).emergency_incidents
        self.subject = value_subject(self.topic)
        self.serde = Serde.from_settings(settings)
        self.serde.prepare(self.subject, load_bus_schema(settings.schemas_dir, SCHEMA))
        admin = AdminClient(kafka_config(settings, "admin"))
        for future in admin.create_topics([NewTopic(self.topic, 3, 1)]).values():
            future.result(30)
        self.producer = Producer(kafka_config(settings, "producer"))

    def produce(self, record: dict[str, Any]) -> None:
        failures: list[Any] = []
        self.producer.produce(self.topic, key=record["incident_id"].encode(),
                              value=self.serde.encode(self.subject, record),
                              on_delivery=lambda err, _msg: err and failures.append(err))
        assert self.producer.flush(10) == 0 and not failures, failures


@pytest.fixture
def bus(broker, tmp_path, unique) -> Iterator[IncidentBus]:
    the_bus = IncidentBus(broker.settings(tmp_path, topic_prefix=f"t{unique}"))
    yield the_bus
    the_bus.producer = None  # destroyed now, not when the broker is already gone (log noise)


def _get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def _wait_listening(proc: subprocess.Popen, log: Path, timeout: float = 60) -> str:
    """The feed's URL (it picks a free port) once it has replayed the topic."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"serve-feed exited with {proc.returncode}:\n{log.read_text()}"
        found = re.search(r"feed listening on (http://\S+/)", log.read_text())
        if found and _get_json(found.group(1) + "healthz")["replayed"]:
            return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"serve-feed not ready within {timeout}s:\n{log.read_text()}")


@pytest.fixture
def feed(bus, tmp_path) -> Iterator[tuple[str, subprocess.Popen]]:
    bus.produce(incident("INC-SEED", region_code="350105", grade="III"))  # before the feed starts
    settings = bus.settings
    env = os.environ | {**connection_env(settings),
                        "GOVBUS_TOPIC_PREFIX": settings.topic_prefix}
    log = tmp_path / "serve-feed.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "commands.main", "serve-feed",
                                 "--host", "127.0.0.1", "--port", "0"],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield _wait_listening(proc, log), proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


CARD = "document.querySelector('[data-incident-id=\"{}\"]')"
CARD_IDS = "[...document.querySelectorAll('#incidents [data-incident-id]')].map(e => e.dataset.incidentId)"


def _wait_for(page: Page, expression: str, timeout: float) -> Any:
    """Poll ``expression`` in the page until it is truthy; raises after ``timeout`` seconds."""
    return page.wait_for_function(expression, timeout=timeout * 1000, polling=POLL_MS).json_value()


def _produce_until_shown(page: Page, bus: IncidentBus, record: dict[str, Any],
                         condition: str | None = None) -> float:
    """Produce ``record``; seconds until its card (meeting ``condition``) is in the DOM."""
    card = CARD.format(record["incident_id"])
    started = time.monotonic()
    bus.produce(record)
    _wait_for(page, f"(() => {{ const el = {card}; return !!el && ({condition or 'true'}); }})()",
              timeout=MAX_LATENCY_SECONDS + 3)
    return time.monotonic() - started


def _border(page: Page, incident_id: str) -> str:
    return page.evaluate(f"getComputedStyle({CARD.format(incident_id)}).borderLeftColor")


def _scenario(page: Page, bus: IncidentBus, base: str, proc: subprocess.Popen) -> list[float]:
    page.goto(base + "?region=3501")
    _wait_for(page, "document.body && document.body.dataset.stream === 'live'", 15)
    assert page.evaluate(CARD_IDS) == ["INC-SEED"]  # rebuilt from the topic at start

    latencies = [_produce_until_shown(page, bus, incident("INC-A", region_code="350102", grade="IV"))]
    assert _border(page, "INC-A") == BLUE

    raised = incident("INC-A", region_code="350102", grade="I", state="escalated", version=2, minutes=5)
    latencies.append(_produce_until_shown(page, bus, raised, "el.dataset.version === '2'"))
    assert _border(page, "INC-A") == RED
    assert page.evaluate(CARD_IDS) == ["INC-A", "INC-SEED"]  # grade Ⅰ now leads

    # Another jurisdiction: the feed holds it, the page filtered to Fuzhou (3501) must not show it.
    bus.produce(incident("INC-BJ", region_code="110105", grade="I"))
    deadline = time.monotonic() + 5
    while not _get_json(base + "api/incidents?region=11")["incidents"]:
        assert time.monotonic() < deadline, "the feed never received INC-BJ"
        time.sleep(0.05)
    # Changes reach a page in the order the feed applied them: once INC-C is shown, INC-BJ
    # has been either shown or (rightly) withheld.
    latencies.append(_produce_until_shown(page, bus, incident("INC-C", region_code="350104",
                                                              title_zh="仓山区 短时多起火警")))
    assert sorted(page.evaluate(CARD_IDS)) == ["INC-A", "INC-C", "INC-SEED"]
    # Place names with their codes, the Chinese title first and the English one beside it.
    card_c = CARD.format("INC-C")
    assert page.evaluate(f"{card_c}.querySelector('.region').textContent") == "福建省 福州市 仓山区 (350104)"
    assert page.evaluate(f"{card_c}.querySelector('.title').textContent") == "仓山区 短时多起火警"
    assert page.evaluate(f"{card_c}.querySelector('.title-en').textContent") == "道路交通事故 3 人死亡"
    # The overview panel (static/overview.js): the region tree of this jurisdiction, by name.
    gulou = "document.querySelector('#ov-regions li[data-code=\"350102\"] .tree-name')"
    _wait_for(page, f"{gulou} && {gulou}.textContent === '鼓楼区'", 8)
    assert page.evaluate("!!document.querySelector('#ov-regions li[data-code=\"110000\"]')") is False

    # The filter form: switching the jurisdiction to Beijing (11) shows only Beijing's incident.
    page.evaluate("document.getElementById('region').value = '11';"
                  "document.getElementById('filters').requestSubmit()")
    _wait_for(page, f"JSON.stringify({CARD_IDS}) === '[\"INC-BJ\"]'", 5)
    assert "region=11" in page.evaluate("location.search")

    proc.terminate()  # with the page's stream still open
    assert proc.wait(10) == 0
    _wait_for(page, "document.body.dataset.stream === 'down'", 5)
    return latencies


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "no chromium here: apt-get install -y chromium (the feed's e2e test needs it)"
    return found


def test_incidents_appear_live_recolour_and_respect_the_jurisdiction(bus, feed):
    base, proc = feed

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(90_000)
            latencies = _scenario(page, bus, base, proc)
        finally:
            browser.close()

    print(f"\nproduce → page latency: {', '.join(f'{s * 1000:.0f} ms' for s in latencies)}")
    assert max(latencies) < MAX_LATENCY_SECONDS, latencies
