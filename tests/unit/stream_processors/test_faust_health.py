"""aiokafka's and Faust's floods about an absent broker are kept out of the log."""
from __future__ import annotations

import logging

from govbus.core.outage import Service
from govbus.core.outage_watch import OutageWatch
from stream_processors.faust_health import QuietBrokerLogs


def _record(name: str, text: str, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, text, None, None)


def test_connection_floods_are_filtered_and_wake_the_prober():
    watch = OutageWatch("processor")
    quiet = QuietBrokerLogs(watch)
    assert not quiet.filter(_record("aiokafka.conn", "Unable connect to node with id 1")) and watch.changed.is_set()
    assert not quiet.filter(_record("mode.timers", "Timer commit is overlapping (interval=2.8 runtime=97.3)"))
    assert quiet.filter(_record("faust.agents", "agent crashed"))          # not about the broker
    assert quiet.filter(_record("stream_processors.app", "Unable to tell"))  # not a client logger
    watch.failed(Service.BROKER, "down", held=False)
    assert not quiet.filter(_record("aiokafka.consumer", "anything at all"))  # the broker is down
    assert quiet.filter(_record("aiokafka.consumer", "fatal", logging.CRITICAL))
