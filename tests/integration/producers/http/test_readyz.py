"""HTTP ingest's /readyz against the real broker and registry: 200 once both answer its prober;
503 naming the broker when its bootstrap address answers nothing."""
from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient
from confluent_kafka import Producer

from commands.localstack.stack import free_port
from govbus.core.serde import Serde
from producers.http.logic import hashed_token, tokens_from
from producers.http.delivery import TransmitWatch
from producers.http.main import build_ingest_app, ingest_producer_config
from tests.unit.producers.http.test_app import with_client


async def _until_settled(client: TestClient, want: int) -> tuple[int, dict]:
    for _ in range(60):
        answer = await client.get("/readyz")
        body = await answer.json()
        if answer.status == want and "not checked yet" not in body["checks"].values():
            break
        await asyncio.sleep(0.5)
    return answer.status, body


def _app(settings, publishing_settings):  # noqa: ANN001, ANN202
    producer = Producer(ingest_producer_config(publishing_settings, TransmitWatch(), 10))
    return build_ingest_app(settings, tokens_from({hashed_token("t"): "hotline"}), 10, 10, producer=producer,
                            serde=Serde.from_settings(publishing_settings))


def test_readyz_says_whether_broker_and_registry_answer(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}", health_probe_seconds=0.5)
    status, body = with_client(_app(settings, settings), lambda client: _until_settled(client, 200))
    assert (status, body["checks"]) == (200, {"broker": "ok", "registry": "ok"})

    # Probes of a broker address nobody answers (the publisher itself stays on the real one).
    nowhere = settings.model_copy(update={"bootstrap_servers": f"127.0.0.1:{free_port()}"})
    status, body = with_client(_app(nowhere, settings), lambda client: _until_settled(client, 503))
    assert status == 503 and set(body["not_ready"]) == {"broker"}, body
