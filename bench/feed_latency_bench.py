"""Produce → card latency of the emergency feed: a triggering raw record to its incident on the
feed's SSE stream (``/api/stream``, what the page draws its cards from) and to the card in
headless Chromium's DOM.

Against a running stack (its ``GOVBUS_TEST_*`` variables, as .ci/run exports them): the real
``govbus detect`` (as svc.detector) and ``govbus serve-feed`` (as svc.feed) as
child processes on a topic prefix of the run's own, whose ACLs are granted at the start and
withdrawn at the end (``commands.acl_cmd.sync_prefix``, like the demo and the e2e poison tests).
Each round publishes one gas-leak hotline work order (a fresh order number, in a village of its
own, so that each opens a new incident of ``hotline.triage_accident``) and measures from the raw
record's timestamp (CreateTime: librdkafka stamps it when ``produce()`` is called) to

- **SSE**: the ``incident`` event for that village read by a client of ``/api/stream`` here;
- **SSE (page)**: the same event read by an EventSource in the page (``Date.now()`` there; same
  machine, same clock);
- **card (DOM)**: the card for that village in the page (a MutationObserver in the page notes
  when it first appears);
- and, from the message timestamps on the way, the hops: raw record → its first observation on
  the detector's internal topic → its incident on emergency.incidents → the bench's SSE client.

A warm-up round (not counted) first, so that group joins and first fetches are not measured.
The detector runs with the e2e tests' ``--tick-seconds 1 --idle-clock 0`` (its default tick is
30 s): with the idle clock off a tick moves no clock, and a triage rule opens its incident on the
observation itself, so the tick does not bound this latency; it would for a window rule whose
source falls silent.

    python -m bench.feed_latency_bench [--rounds 5] [--tick-seconds 1] [--no-browser]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
from playwright.sync_api import Page, sync_playwright

from bench import entry
from commands.acl_cmd import sync_prefix
from commands.endpoints import with_endpoints
from commands.localstack.stack import free_port
from commands.roles import as_identity
from govbus.core import identities
from govbus.core.identities import Service
from govbus.core.settings import GovbusSettings, connection_env, kafka_config, topic_names
from stream_processors.detect.main import detector_id, observations_topic
from tests.e2e.feed.test_console_actions import _records
from tests.e2e.feed.test_feed_page import CHROMIUM_ARGS, _chromium, _wait_listening
from tests.integration.stream_processors.detect.harness import Detector, publish

DATASET = "hotline.work_order"
VILLAGE = "350102001"  # 鼓楼区 鼓东街道: round n's order comes from village 350102001<n+1>
ROUND_TIMEOUT = 60.0
WARM_UP_TIMEOUT = 180.0  # group joins of a fresh detector on a busy machine
# Notes, in the page's clock (ms), when each card (by its region) first appears in #incidents, and
# when an EventSource of the page's own first gets its incident.
OBSERVE_PAGE = """(() => {
  window.cardSeen = {};
  window.sseSeen = {};
  new EventSource("/api/stream").addEventListener("incident", (e) => {
    const i = JSON.parse(e.data);
    if (!(i.region_code in window.sseSeen)) window.sseSeen[i.region_code] = Date.now();
  });
  const note = () => {
    for (const el of document.querySelectorAll('#incidents [data-incident-id]')) {
      if (!(el.dataset.region in window.cardSeen)) window.cardSeen[el.dataset.region] = Date.now();
    }
  };
  new MutationObserver(note).observe(document.getElementById('incidents'),
                                     {childList: true, subtree: true, attributes: true});
  note();
})()"""


class StreamWatch:
    """A client of the feed's ``/api/stream`` in a thread: region code → wall time (ms) of the
    first ``incident`` event for it. Ends when the feed closes the stream.

    A plain socket (the HTTP chunk-size lines are skipped as lines that are no SSE field). It
    sees events 150–400 ms after an EventSource in the page does, as urllib did: read the page's
    columns for what an operator sees (docs/capacity.md#6)."""

    def __init__(self, base: str) -> None:
        self.seen: dict[str, int] = {}
        url = urllib.parse.urlsplit(base)
        self.sock = socket.create_connection((url.hostname, url.port), timeout=60)
        self.sock.sendall(f"GET /api/stream HTTP/1.1\r\nHost: {url.netloc}\r\n"
                          "Accept: text/event-stream\r\n\r\n".encode())
        threading.Thread(target=self._read, daemon=True, name="sse-watch").start()

    def _read(self) -> None:
        pending, event = b"", ""
        try:
            while chunk := self.sock.recv(65536):
                at = int(time.time() * 1000)
                *lines, pending = (pending + chunk).split(b"\n")
                for line in (raw.decode().rstrip("\r") for raw in lines):  # chunk sizes are lines too
                    if line.startswith("event: "):
                        event = line[len("event: "):]
                    elif line.startswith("data: ") and event == "incident":
                        self.seen.setdefault(json.loads(line[len("data: "):])["region_code"], at)
        except OSError:
            pass  # the feed stopped: the bench is ending
        finally:
            self.sock.close()


def _until(found: Callable[[], int | None], timeout: float, alive: Callable[[], None], what: str) -> int:
    deadline = time.monotonic() + timeout
    while (value := found()) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not seen within {timeout:.0f}s")
        alive()
        time.sleep(0.01)
    return value


def topic_times(settings: GovbusSettings, topic: str) -> dict[str, int]:
    """Key → timestamp (ms) of its first message on ``topic`` (small topics: read whole)."""
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": f"{settings.topic_prefix}-bench",
                                                             "enable.auto.commit": False}))
    out: dict[str, int] = {}
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        deadline = time.monotonic() + 30
        while sum(ends.values()) > 0 and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            if message.key() is not None:  # the detector's ticks have none
                out.setdefault(message.key().decode(), message.timestamp()[1])
            if message.offset() >= ends[message.partition()] - 1:
                ends[message.partition()] = 0
    finally:
        consumer.close()
    return out


def hop_times(settings: GovbusSettings, rounds: list[dict[str, Any]]) -> None:
    """Adds to each round the timestamps of its raw record (``produced``), of its first
    observation on the detector's internal topic and of its incident on emergency.incidents."""
    names = topic_names(settings)
    raw, observed, incidents = (topic_times(settings, t) for t in (
        names.raw(DATASET), observations_topic(detector_id(settings)), names.emergency_incidents))
    for r in rounds:
        r["produced"] = raw[r["order_no"]]
        r["observed"] = min((t for k, t in observed.items() if r["region"] in k), default=None)
        r["incident"] = min((t for k, t in incidents.items() if r["region"] in k), default=None)


def work_order(n: int, run: str) -> dict[str, Any]:
    """The e2e test's gas-leak call, with a fresh order number, from village ``n``, accepted now."""
    _dataset, order = _records(datetime.now(timezone.utc).replace(microsecond=0))[0]
    return order | {"order_no": f"GD{run}{n:05d}", "region_code": f"{VILLAGE}{n + 1:03d}"}


def wait_incidents_topic(settings: GovbusSettings, detector: Detector, timeout: float = 120) -> None:
    """Until the detector has created emergency.incidents (the feed reads it from the start)."""
    admin, topic = AdminClient(kafka_config(settings, "admin")), topic_names(settings).emergency_incidents

    def created() -> int | None:
        return 1 if topic in admin.list_topics(timeout=10).topics else None

    _until(created, timeout, detector.check_alive, topic)


def start_feed(settings: GovbusSettings, workdir: Path) -> tuple[subprocess.Popen, Path]:
    feed = as_identity(settings, Service.FEED)
    env = os.environ | connection_env(feed) | {
        "GOVBUS_TOPIC_PREFIX": feed.topic_prefix, "GOVBUS_METRICS_PORT": "-1",
        "GOVBUS_AUDIT_URL": f"sqlite:///{workdir / 'audit.db'}",
        "GOVBUS_FEED_ACCOUNTS_FILE": str(workdir / "feed-accounts.json")}
    log = workdir / "serve-feed.log"
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", "commands.main", "serve-feed", "--port", "0"], env=env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL), log


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def open_page(stack: ExitStack, base: str) -> Page:
    """The feed's page in headless Chromium, live, with the card observer installed."""
    playwright = stack.enter_context(sync_playwright())
    browser = playwright.chromium.launch(executable_path=_chromium(), headless=True, args=CHROMIUM_ARGS)
    stack.callback(browser.close)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(base)
    page.wait_for_function("document.body && document.body.dataset.stream === 'live'", timeout=60_000)
    page.evaluate(OBSERVE_PAGE)
    return page


def page_times(page: Page, region: str, timeout: float) -> tuple[int, int]:
    """When (ms, the page's clock) the page's EventSource got the incident of ``region``, and
    when its card appeared in the DOM."""
    key = json.dumps(region)
    page.wait_for_function(f"window.cardSeen[{key}] !== undefined && window.sseSeen[{key}] !== undefined",
                           timeout=timeout * 1000, polling=50)
    return int(page.evaluate(f"window.sseSeen[{key}]")), int(page.evaluate(f"window.cardSeen[{key}]"))


def one_round(adapter: GovbusSettings, n: int, run: str, watch: StreamWatch, page: Page | None,
              detector: Detector, timeout: float) -> dict[str, Any]:
    """Publish round ``n``'s work order; when it reached the bench's SSE client and the page."""
    order = work_order(n, run)
    publish(adapter, [(DATASET, order)])
    region = order["region_code"]
    sse = _until(lambda: watch.seen.get(region), timeout, detector.check_alive,
                 f"the incident of {order['order_no']} ({region}) on /api/stream")
    page_sse, card = page_times(page, region, timeout) if page is not None else (None, None)
    return {"order_no": order["order_no"], "region": region, "sse": sse, "page_sse": page_sse, "card": card}


def measure(settings: GovbusSettings, workdir: Path, rounds: int, tick_seconds: float,
            browser: bool) -> list[dict[str, Any]]:
    """Start the detector and the feed, run a warm-up and ``rounds`` rounds, stop everything."""
    run = f"{uuid.uuid4().int % 10**10:010d}"
    with ExitStack() as stack:
        detector = Detector(as_identity(settings, Service.DETECTOR), workdir, free_port(), tick_seconds=tick_seconds)
        detector.start()
        stack.callback(detector.stop)
        wait_incidents_topic(settings, detector)
        feed, log = start_feed(settings, workdir)
        stack.callback(_stop, feed)
        base = _wait_listening(feed, log)
        watch = StreamWatch(base)
        page = open_page(stack, base) if browser else None
        adapter = as_identity(settings, identities.adapter("hotline"))
        results = []
        for n in range(rounds + 1):  # round 0: the warm-up
            results.append(one_round(adapter, n, run, watch, page, detector,
                                     WARM_UP_TIMEOUT if n == 0 else ROUND_TIMEOUT))
            print(f"{'warm-up' if n == 0 else f'round {n}'}: {results[-1]['order_no']} done", flush=True)
        hop_times(settings, results)
        return results


# (column, from, to): milliseconds between two of a round's times; None where not measured.
COLUMNS = [("SSE (bench)", "produced", "sse"), ("SSE (page)", "produced", "page_sse"),
           ("card (DOM)", "produced", "card"), ("raw→observ.", "produced", "observed"),
           ("observ.→incid.", "observed", "incident"), ("incid.→SSE", "incident", "sse")]


def _gap(r: dict[str, Any], start: str, end: str) -> int | None:
    return None if r.get(start) is None or r.get(end) is None else r[end] - r[start]


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def table(results: list[dict[str, Any]]) -> str:
    """One line per round (ms from the raw record's timestamp), then median and max of the
    counted rounds (the warm-up excluded)."""
    lines = [f"{'round':>8} {'order':>17} " + " ".join(f"{c[0]:>14}" for c in COLUMNS)]
    for n, r in enumerate(results):
        cells = " ".join(f"{_ms(_gap(r, a, b)):>14}" for _, a, b in COLUMNS)
        lines.append(f"{'warm-up' if n == 0 else n:>8} {r['order_no']:>17} {cells}")
    for name, pick in (("median", statistics.median), ("max", max)):
        values = [[g for r in results[1:] if (g := _gap(r, a, b)) is not None] for _, a, b in COLUMNS]
        lines.append(f"{name:>8} {'':>17} " + " ".join(f"{_ms(pick(v) if v else None):>14}" for v in values))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tick-seconds", type=float, default=1.0,
                        help="the detector's --tick-seconds (the e2e tests' 1; its default is 30)")
    parser.add_argument("--no-browser", action="store_true", help="measure the SSE stream only")
    args = parser.parse_args()
    settings = with_endpoints(GovbusSettings(), identity=identities.ADMIN).model_copy(
        update={"topic_prefix": f"feedbench_{uuid.uuid4().hex[:8]}"})
    workdir = Path(tempfile.mkdtemp(prefix="feed-bench-"))
    print(f"prefix {settings.topic_prefix}, detect --partitions 3 --idle-clock 0 --tick-seconds {args.tick_seconds:g}, "
          f"logs in {workdir}", flush=True)
    _say(sync_prefix(settings, "bench/feed_latency_bench: this run's topic prefix"))
    try:
        results = measure(settings, workdir, args.rounds, args.tick_seconds, not args.no_browser)
    finally:
        _say(sync_prefix(settings, "bench/feed_latency_bench finished", withdraw=True))
    print("milliseconds from the raw record's timestamp (produce) to each point; the last three: the hops")
    print(table(results))
    print(f"(load average {os.getloadavg()[0]:.1f})")


def _say(problem: str) -> None:
    if problem:  # the ACLs are in place (or gone); only their audit record is missing
        print(problem, file=sys.stderr)


if __name__ == "__main__":
    entry.run(main)
