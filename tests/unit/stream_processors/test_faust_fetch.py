"""Faust's worker consumer with a short fetch wait (stream_processors/faust_fetch.py): Faust
builds it with 1.5 s, which held a busy partition back behind idle ones for that long."""
from __future__ import annotations

import asyncio

import faust
import pytest

from govbus.core.settings import GovbusSettings
from stream_processors.faust_fetch import short_fetch_wait


def _built_consumer_wait() -> int:
    async def build() -> int:
        app = faust.App("unit-fetch-wait", broker="kafka://127.0.0.1:1")  # built, never started
        consumer = app.consumer._thread._create_worker_consumer(app.transport)
        return consumer._fetch_max_wait_ms
    return asyncio.run(build())


@pytest.mark.parametrize("wait_ms", [100, 1, 1500])
def test_the_worker_consumer_is_built_with_the_wait_given(wait_ms: int) -> None:
    short_fetch_wait(wait_ms)
    assert _built_consumer_wait() == wait_ms


def test_patching_twice_wraps_once_and_the_last_wait_holds() -> None:
    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

    short_fetch_wait(300)
    create = AIOKafkaConsumerThread._create_worker_consumer
    short_fetch_wait(200)
    assert AIOKafkaConsumerThread._create_worker_consumer is create and _built_consumer_wait() == 200


@pytest.mark.parametrize("refused", [0, 1501])
def test_the_default_wait_is_a_tenth_of_a_second_and_none_or_above_faust_s_own_is_refused(refused: int) -> None:
    assert GovbusSettings().faust_fetch_max_wait_ms == 100
    with pytest.raises(ValueError):
        GovbusSettings(faust_fetch_max_wait_ms=refused)
