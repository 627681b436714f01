"""The roles' log lines (govbus.core.logs): text or JSON lines, records named by place and event
id, never by their content."""
from __future__ import annotations

import io
import json
import logging

import pytest

from govbus.core.logs import JsonLines, configure_logging, dead_letter_line, formatter, record_ref
from govbus.core.result import Fault

PHONE, NAME, ID_NO = "13812345678", "张三", "110101199003077777"
JSON_FIELDS = {"time", "level", "role", "event", "topic", "partition", "offset", "event_id", "message"}


def _capture(log_format: str, role: str = "processor") -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(log_format, role))
    logger = logging.getLogger(f"test.logs.{log_format}.{id(stream)}")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def _fault() -> Fault:
    # A message a cleaning rule might write, quoting the refused value: it must stay out of logs.
    return Fault("bad_format", "phone.cn_mobile", f"caller_phone {PHONE!r} ({NAME}, {ID_NO}) is not a phone",
                 "caller_phone")


def test_a_json_line_has_every_field_and_names_the_record_by_place():
    logger, stream = _capture("json", "audit sink")
    logger.warning("refused %s", "x", extra=record_ref("shared.r.d", 2, 41, "e-1", "refused"))
    line = json.loads(stream.getvalue())
    assert set(line) == JSON_FIELDS
    assert (line["level"], line["role"], line["event"], line["message"]) == ("WARNING", "audit-sink", "refused", "refused x")
    assert (line["topic"], line["partition"], line["offset"], line["event_id"]) == ("shared.r.d", 2, 41, "e-1")
    assert line["time"].endswith("+00:00")


def test_a_line_about_no_record_has_null_places_and_the_logger_as_event():
    logger, stream = _capture("json")
    logger.error("broker down")
    line = json.loads(stream.getvalue())
    assert (line["topic"], line["partition"], line["offset"], line["event_id"]) == (None, None, None, None)
    assert line["event"] == logger.name and line["role"] == "process"


def test_an_exception_is_one_field_not_a_traceback():
    logger, stream = _capture("json")
    try:
        raise ValueError("first line\nsecond line")
    except ValueError:
        logger.exception("failed")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["error"] == "ValueError: first line"


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_dead_letter_line_holds_no_field_value(log_format):
    logger, stream = _capture(log_format)
    dead_letter_line(logger, _fault(), "hotline.work_order", "hotline", "raw.hotline.work_order", 3, 1207,
                     "9b2f-event", stage="process", level=logging.WARNING)
    text = stream.getvalue()
    assert len(text.splitlines()) == 1
    for value in (PHONE, NAME, ID_NO, "is not a phone"):
        assert value not in text
    for named in ("bad_format", "phone.cn_mobile", "caller_phone", "raw.hotline.work_order", "1207", "9b2f-event",
                  "hotline.work_order"):
        assert named in text
    if log_format == "json":
        line = json.loads(text)
        assert (line["event"], line["topic"], line["partition"], line["offset"], line["event_id"]) == (
            "dead_letter", "raw.hotline.work_order", 3, 1207, "9b2f-event")


def test_text_is_the_default_and_configure_formats_the_root_handlers():
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    stream = io.StringIO()
    try:
        root.handlers = [logging.StreamHandler(stream)]
        configure_logging("json", "sink", logging.INFO)
        assert isinstance(root.handlers[0].formatter, JsonLines) and root.level == logging.INFO
        configure_logging("text", "sink")
        assert not isinstance(root.handlers[0].formatter, JsonLines) and root.level == logging.WARNING
    finally:
        root.handlers, root.level = saved, level
