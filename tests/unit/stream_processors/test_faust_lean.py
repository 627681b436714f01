"""RawBytes hands the agent the broker's bytes as Faust's raw serializers did; LeanMonitor keeps
what Faust reads back from its monitor (the stalled-stream clock) and drops per-record statistics."""
from __future__ import annotations

import asyncio

import faust
import pytest
from faust.types import TP
from faust.types.tuples import Message

from stream_processors.faust_lean import LeanMonitor, RawBytes, use_event_loop


def _message(key: bytes | None, value: bytes | None) -> Message:
    return Message("raw.hotline.work_order", 0, 7, 0.0, 0, key=key, value=value, checksum=None,
                   headers=[("h", b"1")])


@pytest.mark.parametrize(("key", "value"), [
    (b"k-1", b"\x00\x00\x00\x00\x01body"),
    (None, b"\x00\x00\x00\x00\x01body"),
    (b"k-2", b""),
    (b"\xff\xfe", b"\x80not utf-8"),
])
def test_raw_bytes_decodes_as_the_raw_serializer_did(key: bytes | None, value: bytes | None) -> None:
    app = faust.App("lean-test", web_enabled=False)
    raw = app.topic("raw.hotline.work_order", key_serializer="raw", value_serializer="raw")
    lean = app.topic("raw.hotline.work_order", schema=RawBytes())
    before = asyncio.run(raw.schema.decode(app, _message(key, value)))
    after = asyncio.run(lean.schema.decode(app, _message(key, value)))
    assert (after.key, after.value) == (before.key, before.value) == (key, value)
    assert after.message.headers == [("h", b"1")]


def test_lean_monitor_keeps_the_stream_clock_and_no_statistics() -> None:
    monitor = LeanMonitor()
    tp, message = TP("raw.hotline.work_order", 0), _message(b"k", b"v")
    monitor.on_message_in(tp, 7, message)
    assert monitor.on_stream_event_in(tp, 7, object(), object()) is None  # type: ignore[arg-type]
    monitor.on_stream_event_out(tp, 7, object(), object(), None)  # type: ignore[arg-type]
    monitor.on_message_out(tp, 7, message)
    assert tp in monitor.stream_inbound_time
    assert monitor.messages_received_total == 0 and monitor.events_total == 0


@pytest.mark.parametrize(("kind", "used"), [("uvloop", ["uvloop"]), ("asyncio", [])])
def test_the_event_loop_setting_picks_mode_s_loop(monkeypatch: pytest.MonkeyPatch, kind: str,
                                                  used: list[str]) -> None:
    import mode.loop

    calls: list[str] = []
    monkeypatch.setattr(mode.loop, "use", calls.append)
    use_event_loop(kind)
    assert calls == used


def test_without_uvloop_the_processor_says_so_and_runs_on_asyncio(monkeypatch: pytest.MonkeyPatch,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    import mode.loop

    def missing(_name: str) -> None:
        raise ImportError("No module named 'uvloop'")

    monkeypatch.setattr(mode.loop, "use", missing)
    use_event_loop("uvloop")
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["uvloop is not installed"]
