"""Which partitions the consumer-seek patch rewinds (stream_processors/faust_fix.py)."""
from __future__ import annotations

import pytest
from aiokafka.structs import TopicPartition

from stream_processors.faust_fix import uncommitted_streams

RAW = "p.raw.hotline.work_order"
CHANGELOG = "p-govbus-detector-buckets-changelog"


@pytest.mark.parametrize(("committed", "rewound"), [
    ({TopicPartition(RAW, 1): None}, [TopicPartition(RAW, 1)]),  # never committed
    ({TopicPartition(RAW, 1): 0}, [TopicPartition(RAW, 1)]),  # committed at 0: aiokafka does not seek it
    ({TopicPartition(RAW, 1): 7}, []),  # aiokafka seeks it
    ({TopicPartition(CHANGELOG, 0): None}, []),  # the recovery's to seek
    ({TopicPartition(RAW, 0): 3, TopicPartition(RAW, 2): None, TopicPartition(CHANGELOG, 2): 0},
     [TopicPartition(RAW, 2)]),
])
def test_only_stream_partitions_aiokafka_left_unsought_are_rewound(committed, rewound):
    assert uncommitted_streams(committed, {CHANGELOG}) == rewound


def test_the_patch_is_installed_once():
    from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

    from stream_processors.faust_fix import seek_before_resume
    seek_before_resume()
    patched = AIOKafkaConsumerThread.seek_to_committed
    seek_before_resume()
    assert AIOKafkaConsumerThread.seek_to_committed is patched
    assert patched.__wrapped__.__name__ == "seek_to_committed"  # type: ignore[attr-defined]
