"""HTTP ingest against the real broker: a good batch is answered 202 only once acknowledged and
is readable from the raw topic; bad input, a wrong token, another department's dataset and a
full queue are refused, and nothing of a refused request reaches the topic."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import httpx
import yaml
from aiohttp.test_utils import TestClient

from govbus.core.metrics import new_metrics
from govbus.core.serde import Serde
from govbus.core.settings import connection_env, topic_names
from producers.http.logic import hashed_token, tokens_from
from producers.http.main import build_ingest_app
from producers.sdk import Publisher
from tests.integration.producers.received import consume
from tests.support.department import DATASET
from tests.unit.producers.http.test_app import with_client
from tests.unit.producers.http.test_logic import submitted

TOKENS = {"hotline-token": "hotline", "fire-token": "fire"}
STORED = {hashed_token(token): department for token, department in TOKENS.items()}  # as the file holds them
HOTLINE = {"Authorization": "Bearer hotline-token"}
URL = f"/v1/{DATASET}/records"


@dataclass(eq=False)  # the SDK keeps publishers in a WeakSet: identity, not value
class SlowBrokerPublisher(Publisher):
    """A real Publisher whose acknowledgements wait until the test says so: a slow broker."""

    ack: threading.Event = field(default_factory=threading.Event)

    def flush(self, timeout: float = 60.0) -> int:
        self.ack.wait(timeout)
        return super().flush(timeout)


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


def test_full_queue_is_429_until_the_broker_catches_up(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    publisher = SlowBrokerPublisher(settings, Serde.from_settings(settings), new_metrics())
    app = build_ingest_app(settings, tokens_from(STORED), 3, 100, publisher=publisher)

    async def scenario(client: TestClient):
        first = asyncio.create_task(client.post(URL, json=_orders("3", 3), headers=HOTLINE))
        await asyncio.sleep(0.5)  # the first batch now waits for its acknowledgement
        full = await client.post(URL, json=_orders("4", 1), headers=HOTLINE)
        publisher.ack.set()
        accepted = await first
        after = await client.post(URL, json=_orders("5", 1), headers=HOTLINE)
        return full.status, full.headers.get("Retry-After"), accepted.status, after.status

    assert with_client(app, scenario) == (429, "1", 202, 202)
    received = consume(settings, topic_names(settings).raw(DATASET), expected=4)
    assert sorted(m.key for m in received) == sorted(
        r["order_no"] for r in _orders("3", 3) + _orders("5", 1))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
        assert f'govbus_ingest_requests_total{{dataset="{DATASET}",status="202"}} 1.0' in metrics
        assert f'govbus_records_total{{dataset="{DATASET}",department="hotline",outcome=' \
               f'"published",stage="ingest"}} 2.0' in metrics
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0]
    assert server.returncode == 0, output
    assert len(consume(settings, topic_names(settings).raw(DATASET), expected=2)) == 2


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
