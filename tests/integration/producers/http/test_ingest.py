"""HTTP ingest against the real broker: each answer says what happened to that request's records.

A good batch is answered 202 only once acknowledged and is readable from the raw topic; bad
input, a wrong token, another department's dataset and a full queue are refused with nothing
published; oversized records among concurrent good ones are 413 without touching the others;
during an outage a request is 503 and its records do not appear when the broker is back; an
Idempotency-Key retry is not published twice."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter

import httpx
import yaml
from aiohttp.test_utils import TestClient
from confluent_kafka import Producer

from govbus.core.cleaning import clean_record, compile_clean_plan
from govbus.core.settings import connection_env, topic_names
from producers.http.logic import hashed_token, tokens_from, validate_items
from producers.http.main import build_ingest_app, ingest_producer_config
from producers.http.delivery import TransmitWatch
from producers.sdk import Source
from stream_processors.clean.dedup import SeenEvents
from tests.integration.producers.received import consume
from tests.support.department import DATASET
from tests.support.helpers import hotline_schema
from tests.unit.producers.http.test_app import with_client
from tests.unit.producers.http.test_logic import submitted

TOKENS = {"hotline-token": "hotline", "fire-token": "fire"}
STORED = {hashed_token(token): department for token, department in TOKENS.items()}  # as the file holds them
HOTLINE = {"Authorization": "Bearer hotline-token"}
URL = f"/v1/{DATASET}/records"


def _orders(prefix: str, n: int) -> list[dict]:
    return [submitted(order_no=f"GD{prefix}{i:05d}") for i in range(n)]


def test_good_batch_is_acknowledged_and_readable(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    app = build_ingest_app(settings, tokens_from(STORED), 1000, 100)
    batch, bad = _orders("1", 5), _orders("9", 2)
    bad[1]["channel"] = "fax"

    async def scenario(client: TestClient):
        refused = await client.post(URL, json=bad, headers=HOTLINE)  # nothing of it published
        accepted = await client.post(URL, json=batch, headers=HOTLINE)
        return refused.status, await refused.json(), accepted.status, await accepted.json()

    refused, errors, status, body = with_client(app, scenario)
    assert refused == 400 and [(e["index"], e["field"]) for e in errors["errors"]] == [(1, "channel")]
    assert status == 202 and body["accepted"] == 5
    received = consume(settings, topic_names(settings).raw(DATASET), expected=5)
    assert [m.key for m in received] == [r["order_no"] for r in batch]
    assert [str(m.value["envelope"]["event_id"]) for m in received] == body["event_ids"]
    assert received[0].value["envelope"]["lineage"][0]["component"] == "producers.http"


def test_wrong_token_and_other_department_are_refused(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    app = build_ingest_app(settings, tokens_from(STORED), 1000, 100)

    async def scenario(client: TestClient):
        statuses = []
        for headers in ({"Authorization": "Bearer stolen"}, {}, {"Authorization": "Bearer fire-token"}):
            response = await client.post(URL, json=_orders("2", 1), headers=headers)
            statuses.append(response.status)
        return statuses

    assert with_client(app, scenario) == [401, 401, 403]
    assert consume(settings, topic_names(settings).raw(DATASET), expected=0, timeout=3) == []


class HeldReports(Producer):
    """A real producer whose delivery reports are served only once the test says so."""

    ack: threading.Event

    def poll(self, timeout: float = -1) -> int:  # type: ignore[override]
        if not self.ack.is_set():
            time.sleep(0.05)
            return 0
        return super().poll(timeout)


def test_full_queue_is_429_until_the_broker_catches_up(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    producer = HeldReports(ingest_producer_config(settings, TransmitWatch(), 3))
    producer.ack = threading.Event()
    app = build_ingest_app(settings, tokens_from(STORED), 3, 100, producer=producer)

    async def scenario(client: TestClient):
        first = asyncio.create_task(client.post(URL, json=_orders("3", 3), headers=HOTLINE))
        await asyncio.sleep(1.0)  # the first batch now waits for its acknowledgement
        full = await client.post(URL, json=_orders("4", 1), headers=HOTLINE)
        producer.ack.set()
        accepted = await first
        after = await client.post(URL, json=_orders("5", 1), headers=HOTLINE)
        return full.status, full.headers.get("Retry-After"), accepted.status, after.status

    assert with_client(app, scenario) == (429, "1", 202, 202)
    received = consume(settings, topic_names(settings).raw(DATASET), expected=4)
    assert sorted(m.key for m in received) == sorted(
        r["order_no"] for r in _orders("3", 3) + _orders("5", 1))


def test_oversized_requests_do_not_touch_concurrent_good_ones(broker, tmp_path, unique):
    """The case from issue 13: 10 requests of 1.5 MB (over the broker's 1 MB) among 100 good
    concurrent ones used to make 98 good ones answer 503, 57 of them published anyway."""
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    app = build_ingest_app(settings, tokens_from(STORED), 100_000, 100)
    good = _orders("6", 100)
    oversized = [submitted(order_no=f"GD7{i:05d}", content="超" * 500_000) for i in range(10)]

    async def scenario(client: TestClient):
        async def send(record: dict) -> tuple[str, int]:
            # The cleaning rules would refuse a 500k-character content (422, its max_length):
            # opted out, so that the size check behind them is what answers.
            query = "?validate=false" if record in oversized else ""
            response = await client.post(URL + query, data=json.dumps(record), headers=HOTLINE)
            await response.read()
            return record["order_no"], response.status
        bodies = good[:50] + oversized + good[50:]
        return dict(await asyncio.gather(*(send(r) for r in bodies)))

    statuses = with_client(app, scenario)
    assert {statuses[r["order_no"]] for r in good} == {202}
    assert {statuses[r["order_no"]] for r in oversized} == {413}
    received = consume(settings, topic_names(settings).raw(DATASET), expected=100)
    assert Counter(m.key for m in received) == Counter(r["order_no"] for r in good)  # each once


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LateRelay:
    """A loopback TCP relay on a fixed port to ``target``, started when the test says: the
    ingest's bootstrap address is "down" until then. (The broker then advertises its own
    address, which the producer uses directly: what matters is that it can now deliver.)"""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.server = socket.create_server(("127.0.0.1", port))
        self.target = target
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.close()
                except OSError:
                    pass

    def close(self) -> None:
        try:
            self.server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.server.close()


def test_outage_answers_503_and_the_records_do_not_appear_when_the_broker_returns(
        broker, tmp_path, unique):
    port = _free_port()
    host, target_port = broker.bootstrap.split(",")[0].rsplit(":", 1)
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}", bootstrap_servers=f"127.0.0.1:{port}",
                               ingest_delivery_timeout_seconds=3)
    app = build_ingest_app(settings, tokens_from(STORED), 1000, 100)
    during, after = _orders("8", 2), _orders("9", 1)

    async def scenario(client: TestClient):
        refused = await client.post(URL, json=during, headers=HOTLINE)
        refused_body = await refused.json()
        relay = LateRelay(port, (host, int(target_port)))  # the broker is back
        try:
            for _ in range(20):  # until the producer has reconnected (its backoff)
                accepted = await client.post(URL, json=after, headers=HOTLINE)
                if accepted.status == 202:
                    break
            await asyncio.sleep(5)  # time for anything still queued to go out
        finally:
            relay.close()
        return refused.status, refused.headers.get("Retry-After"), refused_body, accepted.status

    status, retry_after, body, later = with_client(app, scenario)
    assert (status, retry_after, later) == (503, "1", 202), body
    assert body["not_published"] == 2 and body["published"] == body["unknown"] == 0
    received = consume(settings.model_copy(update={"bootstrap_servers": broker.bootstrap}),
                       topic_names(settings).raw(DATASET), expected=1)
    assert [m.key for m in received] == [after[0]["order_no"]]  # not the 503'd ones


def test_idempotent_retry_is_not_published_twice_and_a_republished_copy_deduplicates(
        broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    keyed = HOTLINE | {"Idempotency-Key": f"retry-{unique}"}
    batch = _orders("5", 2)

    async def twice(client: TestClient):
        answers = []
        for _ in range(2):
            response = await client.post(URL, data=json.dumps(batch), headers=keyed)
            answers.append((response.status, await response.json()))
        return answers

    (first, body1), (again, body2) = with_client(
        build_ingest_app(settings, tokens_from(STORED), 1000, 100), twice)
    assert first == again == 202 and body1 == body2
    # A retry the server does not remember (another instance, a restart) is published again,
    # with the same event ids: the processor's duplicate filter drops the second copy.
    ((third, body3),) = with_client(build_ingest_app(settings, tokens_from(STORED), 1000, 100),
                                    lambda c: _one(c, batch, keyed))
    assert third == 202 and body3["event_ids"] == body1["event_ids"]
    received = consume(settings, topic_names(settings).raw(DATASET), expected=4)
    assert len(received) == 4  # 2 records, published by two instances
    seen, delivered = SeenEvents(600, 1000), []
    for number, message in enumerate(received):
        event_id = str(message.value["envelope"]["event_id"])
        if not seen.seen_recently(event_id, number):
            seen.remember(event_id, number)
            delivered.append(message.key)
    assert sorted(delivered) == sorted(r["order_no"] for r in batch)


async def _one(client: TestClient, batch: list[dict], headers: dict) -> list:
    response = await client.post(URL, data=json.dumps(batch), headers=headers)
    return [(response.status, await response.json())]


def test_ingest_answers_422_with_the_reason_the_dead_letter_would_carry(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    bad = submitted(order_no="GD400000000001", caller_id_no="350102198503121230")  # bad check digit
    schema, source = hotline_schema(), Source("hotline", "city", "350100", "producers.http")
    expected = clean_record(compile_clean_plan(schema), validate_items(schema, [bad], source)[0])

    async def scenario(client: TestClient):
        response = await client.post(URL, json=[submitted(), bad], headers=HOTLINE)
        return response.status, await response.json()

    status, body = with_client(build_ingest_app(settings, tokens_from(STORED), 1000, 100), scenario)
    assert status == 422 and [r["status"] for r in body["records"]] == ["not_published", "refused"]
    assert [(e["index"], e["field"], e["reason"], e["rule"]) for e in body["errors"]] == [
        (1, expected.field, expected.reason, expected.rule)]
    assert consume(settings, topic_names(settings).raw(DATASET), expected=0, timeout=3) == []


def test_serve_ingest_command_serves_and_stops_on_sigterm(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    tokens, port = tmp_path / "tokens.yaml", _free_port()
    tokens.write_text(yaml.safe_dump(STORED), encoding="utf-8")
    env = os.environ | {**connection_env(settings),
                        "GOVBUS_TOPIC_PREFIX": settings.topic_prefix}
    server = subprocess.Popen([sys.executable, "-m", "commands.main", "serve-ingest",
                               "--port", str(port), "--tokens", str(tokens)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, server)
        response = httpx.post(base + URL, json=_orders("6", 2), headers=HOTLINE, timeout=30)
        assert response.status_code == 202, response.text
        metrics = httpx.get(base + "/metrics").text
        assert f'govbus_ingest_requests_total{{dataset="{DATASET}",department="hotline",status="202"}} 1.0' in metrics
        assert f'govbus_records_total{{dataset="{DATASET}",department="hotline",outcome=' \
               f'"published",stage="ingest"}} 2.0' in metrics
        taken = subprocess.run([sys.executable, "-m", "commands.main", "serve-ingest", "--port",
                                str(port), "--tokens", str(tokens)], env=env, capture_output=True,
                               text=True, timeout=60)
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0]
    assert server.returncode == 0, output
    assert len(consume(settings, topic_names(settings).raw(DATASET), expected=2)) == 2
    assert taken.returncode == 3 and "Traceback" not in taken.stderr, taken.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in taken.stderr and "--port" in taken.stderr


def test_serve_ingest_starts_without_a_broker_and_answers_503(broker, tmp_path, unique):
    """Roles ride out outages: no broker at start is a WARNING line, not an exit."""
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}",
                               bootstrap_servers=f"127.0.0.1:{_free_port()}")
    tokens, port = tmp_path / "tokens.yaml", _free_port()
    tokens.write_text(yaml.safe_dump(STORED), encoding="utf-8")
    env = os.environ | {**connection_env(settings), "GOVBUS_TOPIC_PREFIX": settings.topic_prefix,
                        "GOVBUS_INGEST_DELIVERY_TIMEOUT_SECONDS": "2"}
    server = subprocess.Popen([sys.executable, "-m", "commands.main", "serve-ingest",
                               "--port", str(port), "--tokens", str(tokens)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, server)
        response = httpx.post(base + URL, json=_orders("7", 1), headers=HOTLINE, timeout=30)
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0]
    assert (response.status_code, response.headers.get("Retry-After")) == (503, "1"), response.text
    assert server.returncode == 0 and "Traceback" not in output, output
    assert "serving anyway" in output


def _wait_healthy(base: str, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stdout.read()
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("serve-ingest did not become healthy")
