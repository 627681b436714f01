"""Poison at import, over the real path: file → `govbus import`'s importer → raw topic → the
processor (child process) → shared topics → the pool sink (child process) → pools.

Each poison record sits between good ones. Each ends either as a reject at the adapter (the
reject file and dlq.<dataset>, processor "producers") or as a dead letter at the processor, with
its reason and field; no role stops, and every good record reaches the pools.

The processor's dead letters for NUL, over-long keys and values and 100k-character text come
from the cleaner's length and control-character limits (govbus/core/cleaning.py, issue 13);
``test_poison_the_adapter_passes_is_dead_lettered_at_the_processor`` holds once they are in.
"""
from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import column, create_engine, select

from commands.acl_cmd import sync_prefix
from commands.demo import _child_env, _start, _stop, _wait_processor
from commands.localstack.stack import free_port
from commands.roles import as_identity, publisher_identity
from consumers.pool.pools import pool_table_ref
from govbus.core.identities import Service
from govbus.core.settings import topic_names
from producers.files.main import ImportRequest, import_file
from producers.synthetic.generate import records
from tests.integration.producers.helpers import consume, decoded

DATASET = "hotline.work_order"
PROVINCE = "emergency_management_350000"  # shares every work order
GOOD = 12


def _deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def _line(record: dict, **fields) -> bytes:
    return json.dumps(record | fields, ensure_ascii=False).encode()


# name → (line from a good record, where it ends: "adapter" or "processor", reason, field).
# A reason of None: any reason (the cleaner names its own), but one there must be.
POISON = {
    "nul": (lambda r: _line(r, content="投诉\u0000内容"), "processor", None, "content"),
    "surrogate_bytes": (lambda r: _line(r, content="XX").replace(b"XX", b"\xed\xa0\x80"),
                        "adapter", "bad_encoding", ""),
    "surrogate_escape": (lambda r: _line(r, content="@").replace(b'"@"', b'"\\ud800"'),
                         "adapter", "unencodable", ""),
    "long_key": (lambda r: _line(r, order_no=r["order_no"] + "9" * 5000), "processor", None, "order_no"),
    "long_value": (lambda r: _line(r, caller_name="张" * 5000), "processor", None, "caller_name"),
    "text_100k": (lambda r: _line(r, content="字" * 100_000), "processor", None, "content"),
    "huge_number": (lambda r: _line(r).replace(b'"accepted_at": "', b'"accepted_at": 1' + b"0" * 30
                                               + b', "_was": "'), "adapter", "out_of_range", ""),
    "deep_nesting": (lambda r: _line(r, content="@").replace(b'"@"', _deep(100_000)),
                     "adapter", "bad_json", ""),
    "nested_value": (lambda r: _line(r, content="@").replace(b'"@"', _deep(64)),
                     "adapter", "wrong_type", "content"),
}


def _orders() -> list[dict]:
    return [{k: v for k, v in r.items() if not k.startswith("_")}
            for r in records(DATASET, GOOD + len(POISON), 17, dirty=0)]


def _write_file(path: Path, orders: list[dict]) -> tuple[list[str], dict[str, str]]:
    """Good, poison, good, poison …: (good order numbers, poison name → its order number)."""
    lines, good, poisoned = [], [], {}
    for i, order in enumerate(orders):
        name = list(POISON)[i // 2] if i % 2 and i // 2 < len(POISON) else None
        if name is None:
            lines.append(_line(order))
            good.append(order["order_no"])
        else:
            lines.append(POISON[name][0](order))
            poisoned[name] = order["order_no"]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return good, poisoned


def _pool_orders(settings) -> set[str]:
    engine = create_engine(settings.pool_url)
    query = select(column("order_no")).select_from(pool_table_ref(settings, PROVINCE, DATASET).clause())
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(query)}
    except Exception:  # noqa: BLE001 - the table appears with the sink's first batch
        return set()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def poisoned_run(broker, tmp_path_factory):
    """One run: processor and sink up, the file imported, the good records in the pool."""
    workdir = tmp_path_factory.mktemp("poison-import")
    prefix = f"pimp{uuid.uuid4().hex[:8]}"
    settings = broker.settings(workdir, topic_prefix=prefix, processor_group=f"{prefix}-processor",
                               sink_group=f"{prefix}-sink")
    sync_prefix(settings, "poison suite (import)")
    port, logs = free_port(), [workdir / "process.log", workdir / "sink.log"]
    children = [_start(["process"], _child_env(as_identity(settings, Service.PROCESSOR), port), logs[0]),
                _start(["sink", "--all"], _child_env(as_identity(settings, Service.SINK), -1), logs[1])]
    try:
        _wait_processor(f"http://127.0.0.1:{port}/readyz", children, logs, 120)
        good, poisoned = _write_file(workdir / "orders.jsonl", _orders())
        publisher = as_identity(settings, publisher_identity(settings, DATASET, None))
        summary = import_file(publisher, ImportRequest(workdir / "orders.jsonl", DATASET, "", progress=False))
        deadline, pooled = time.monotonic() + 120, set()
        while time.monotonic() < deadline and not set(good) <= pooled:
            pooled = _pool_orders(settings)
            time.sleep(1)
        letters = decoded(settings, consume(settings, topic_names(settings).dlq(DATASET), len(POISON), 30))
        alive = [child.poll() is None for child in children]
        yield {"settings": settings, "summary": summary, "good": good, "poisoned": poisoned,
               "pooled": pooled, "letters": letters, "alive": alive, "workdir": workdir}
    finally:
        _stop(children)
        sync_prefix(settings, "poison suite (import) finished", withdraw=True)


def _letters_by_order(letters: list[dict], poisoned: dict[str, str]) -> dict[str, dict]:
    found = {}
    for name, order_no in poisoned.items():
        for letter in letters:
            if re.search(re.escape(order_no[:17]).encode(), letter["original_value"] or b""):
                found[name] = letter
    return found


def test_no_role_stops_and_every_good_record_reaches_the_pool(poisoned_run):
    assert all(poisoned_run["alive"]), (poisoned_run["workdir"] / "process.log").read_text()[-3000:]
    assert set(poisoned_run["good"]) <= poisoned_run["pooled"]


def test_poison_the_adapter_refuses_is_a_reject_with_its_reason(poisoned_run):
    expected = {name: (reason, field) for name, (_make, where, reason, field) in POISON.items()
                if where == "adapter"}
    rejects = [json.loads(line) for line in
               (poisoned_run["workdir"] / "orders.jsonl.rejects.jsonl").read_text("utf-8").splitlines()]
    line_of = {name: 2 * (list(POISON).index(name)) + 2 for name in POISON}
    got = {name: (r["reason"], r["field"]) for name in expected for r in rejects
           if r["row"] == line_of[name]}
    assert got == expected
    letters = _letters_by_order(poisoned_run["letters"], poisoned_run["poisoned"])
    for name, (reason, _field) in expected.items():
        if name in ("surrogate_bytes", "deep_nesting"):
            continue  # their letters keep a prefix of the line, which may end before the key
        assert (letters[name]["processor"], letters[name]["reason"]) == ("producers", reason)
    assert poisoned_run["summary"].rejected == len(expected)


def test_poison_the_adapter_passes_is_dead_lettered_at_the_processor(poisoned_run):
    """Depends on the cleaner's length and control-character limits (issue 13)."""
    letters = _letters_by_order(poisoned_run["letters"], poisoned_run["poisoned"])
    for name, (_make, where, reason, field) in POISON.items():
        if where != "processor":
            continue
        letter = letters.get(name)
        assert letter is not None, f"{name}: no dead letter"
        assert letter["processor"] != "producers" and letter["reason"] and letter["message"]
        assert letter["field_path"] == field and (reason is None or letter["reason"] == reason)
    assert not set(poisoned_run["poisoned"].values()) & poisoned_run["pooled"]
