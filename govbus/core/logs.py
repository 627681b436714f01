"""The roles' log lines: one line per event worth a human's attention, as text (the default) or
as JSON lines (``GOVBUS_LOG_FORMAT=json``) for a log collector.

A JSON line holds ``time`` (UTC, ISO 8601), ``level``, ``role``, ``event`` (what happened:
``dead_letter``, ``outage``…; else the logger's name), ``topic``, ``partition``, ``offset``,
``event_id`` (null where the line is about no record) and ``message``. A record is named by
where it is (topic, partition, offset) and its event id, never by its content: lines about a
record carry no field values (``dead_letter_line`` leaves out the fault's message, which may
quote one). Callers attach the record's place with ``extra=record_ref(...)``.
"""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import Any

from govbus.core.metrics import role_label
from govbus.core.result import Fault

# The text format of every role (the Faust workers' handlers get it too).
TEXT_FORMAT = "[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s"
RECORD_FIELDS = ("topic", "partition", "offset", "event_id")
LOG_FORMATS = ("text", "json")


def record_ref(topic: str | None, partition: int | None, offset: int | None, event_id: str | None = None,
               event: str | None = None) -> dict[str, Any]:
    """``extra=`` for a line about one record: where it is and its event id, nothing of its content."""
    return {"topic": topic, "partition": partition, "offset": offset, "event_id": event_id, "event": event}


class JsonLines(logging.Formatter):
    """One JSON object a line, the fields of the module docstring."""

    def __init__(self, role: str) -> None:
        super().__init__()
        self.role = role_label(role)

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname, "role": self.role,
            "event": getattr(record, "event", None) or record.name,
        }
        for name in RECORD_FIELDS:
            line[name] = getattr(record, name, None)
        line["message"] = record.getMessage()
        if record.exc_info:  # the exception's type and first line, not a traceback
            error = record.exc_info[1]
            line["error"] = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter(log_format: str, role: str) -> logging.Formatter:
    return JsonLines(role) if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def use_format(handlers: list[logging.Handler], log_format: str, role: str) -> None:
    """Give ``handlers`` (e.g. those a Faust worker made for itself) the role's format."""
    for handler in handlers:
        handler.setFormatter(formatter(log_format, role))


def configure_logging(log_format: str, role: str, level: int = logging.WARNING) -> None:
    """The root logger writes the role's lines to stderr in ``log_format`` (text or json)."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
    root.setLevel(level)
    use_format(root.handlers, log_format, role)


def dead_letter_line(logger: logging.Logger, fault: Fault, dataset: str, department: str, topic: str,
                     partition: int | None, offset: int | None, event_id: str | None,
                     stage: str = "process", level: int = logging.INFO) -> None:
    """The line of one dead letter: where the record was, why (reason, rule, field *path*), whose;
    never the fault's message, which may quote the refused value. INFO for the processor (dirty
    data is routine and counted in govbus_dlq_records_total); a sink refusal is a WARNING."""
    logger.log(level, "dead letter (%s) of %s from %s: %s, rule %s, field %s; record %s[%s]@%s event %s",
               stage, dataset, department, fault.reason, fault.rule, fault.field or "-", topic, partition,
               offset, event_id or "-", extra=record_ref(topic, partition, offset, event_id, "dead_letter"))
