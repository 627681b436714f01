"""File import against the real broker when the file or the world is at fault, through the real
`govbus` CLI: a file that turns from UTF-8 to GBK stops with counts and the line to resume
from, and resuming there publishes every record exactly once; an over-long line is a reject
naming it while memory stays far below its size; a damaged workbook or an unreachable broker
or registry is one line and its exit code, never a traceback."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from commands.exits import DAMAGED_INPUT, FINDINGS, OK, STOPPED_PART_WAY, UNAVAILABLE
from govbus.core.settings import PROJECT_ROOT, connection_env, topic_names
from producers.sdk.csvout import write_csv
from producers.sdk.mapping import body_fields, load_mapping
from producers.synthetic.generate import project_schemas, records
from tests.integration.producers.helpers import consume

DATASET = "hotline.work_order"
MAPPING_PATH = PROJECT_ROOT / "producers" / "files" / "mappings" / f"{DATASET}.yaml"
FIELDS = [f["name"] for f in body_fields(project_schemas()[DATASET])]
# Runs the CLI and reports its exit code and peak resident memory (KiB) on its last line.
MEASURED = ("import resource, subprocess, sys\n"
            "code = subprocess.run(sys.argv[1:]).returncode\n"
            "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")


@pytest.fixture(params=["true", "false"], ids=["compiled", "python"])
def native(request):
    return request.param


def govbus(settings, *args: str, native: str = "true", **env: str) -> tuple[int, str, int]:
    """(exit code, stderr, peak RSS in KiB) of `govbus *args` in a child process."""
    environ = {**os.environ, **connection_env(settings), "GOVBUS_TOPIC_PREFIX": settings.topic_prefix,
               "GOVBUS_NATIVE_IMPORT": native, **env}
    cli = [str(Path(sys.executable).with_name("govbus")), *args]
    done = subprocess.run([sys.executable, "-c", MEASURED, *cli], env=environ, capture_output=True,
                          text=True, timeout=300)
    code, rss = done.stdout.split()[-2:]
    return int(code), done.stderr, int(rss)


def import_args(path: Path, *extra: str) -> list[str]:
    return ["import", str(path), "--dataset", DATASET, "--department", "hotline",
            *(["--mapping", str(MAPPING_PATH)] if path.suffix == ".csv" else []), *extra]


def published_keys(settings, expected: int) -> list[str]:
    messages = consume(settings, topic_names(settings).raw(DATASET), expected)
    return [m.key().decode() for m in messages]


def mixed_file(tmp_path: Path) -> tuple[Path, list[bytes], list[str]]:
    """600 orders in UTF-8 (CRLF lines) whose line 502 is in GBK."""
    orders = list(records(DATASET, 600, 5, dirty=0))
    path = tmp_path / "工单.csv"
    write_csv(orders, path, FIELDS, load_mapping(MAPPING_PATH), "utf-8")
    lines = path.read_bytes().split(b"\r\n")
    lines[501] = lines[501].decode().encode("gbk")
    path.write_bytes(b"\r\n".join(lines))
    return path, lines, [o["order_no"] for o in orders]


def test_a_file_turning_gbk_stops_with_counts_and_resumes_to_exactly_once(broker, tmp_path, unique, native):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    path, lines, orders = mixed_file(tmp_path)
    code, stderr, _rss = govbus(settings, *import_args(path), native=native)
    assert code == STOPPED_PART_WAY, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert "工单.csv line 502 is not valid utf-8" in stderr
    assert "Published 500 (acknowledged by the broker), rejected 0" in stderr
    assert "not read: line 502 to the end" in stderr and stderr.rstrip().endswith("--from-line 502")
    assert sorted(published_keys(settings, 500)) == sorted(orders[:500])

    lines[501] = lines[501].decode("gbk").encode()  # mended
    path.write_bytes(b"\r\n".join(lines))
    resume = int(re.search(r"--from-line (\d+)", stderr).group(1))
    code, stderr, _rss = govbus(settings, *import_args(path, "--from-line", str(resume)), native=native)
    assert code == OK, stderr
    keys = published_keys(settings, 600)
    assert sorted(keys) == sorted(orders)  # every record, once


def test_skipping_the_bad_line_publishes_the_rest_once(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    path, _lines, orders = mixed_file(tmp_path)
    assert govbus(settings, *import_args(path))[0] == STOPPED_PART_WAY
    code, stderr, _rss = govbus(settings, *import_args(path, "--from-line", "503"))
    assert code == OK and "read 99  published 99  rejected 0" in stderr, stderr
    assert sorted(published_keys(settings, 599)) == sorted(orders[:500] + orders[501:])


def json_lines(tmp_path: Path, name: str, middle: str) -> tuple[Path, list[str]]:
    orders = [{k: v for k, v in r.items() if not k.startswith("_")}
              for r in records(DATASET, 20, 6, dirty=0)]
    lines = [json.dumps(o, ensure_ascii=False) for o in orders]
    path = tmp_path / name
    with path.open("w", encoding="utf-8") as handle:
        handle.write("\n".join(lines[:10] + [middle] + lines[10:]) + "\n")
    return path, [o["order_no"] for o in orders]


def test_an_over_long_line_is_a_reject_and_memory_stays_far_below_it(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    size = 64 * 1024 * 1024
    small, _orders = json_lines(tmp_path, "small.jsonl", json.dumps({"content": "x" * 1000}))
    big, orders = json_lines(tmp_path, "big.jsonl", json.dumps({"content": "x" * size}))
    _code, _stderr, baseline = govbus(settings, *import_args(small))
    code, stderr, peak = govbus(settings, *import_args(big))
    assert code == FINDINGS and "read 21  published 20  rejected 1" in stderr, stderr
    assert (peak - baseline) * 1024 < size / 4, (peak, baseline)  # the line was never held
    entry, = [json.loads(line) for line in (tmp_path / "big.jsonl.rejects.jsonl").open()]
    assert (entry["row"], entry["reason"]) == (11, "line_too_long")
    assert entry["raw"]["length"] == size + len('{"content": ""}')
    assert (tmp_path / "big.jsonl.rejects.jsonl").stat().st_size < 2000
    assert sorted(published_keys(settings, 40)) == sorted(orders * 2)  # small's and big's


def test_a_record_over_what_the_broker_takes_is_a_reject(broker, tmp_path, unique):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    order = {k: v for k, v in next(iter(records(DATASET, 1, 9, dirty=0))).items() if not k.startswith("_")}
    # 996 KB of UTF-8: a line under the cap (1,000,000 bytes), a record over what the producer
    # sends (message.max.bytes 1,000,000 less room for headers).
    huge = json.dumps(order | {"order_no": "GD999", "content": "长" * 332_000}, ensure_ascii=False)
    path, orders = json_lines(tmp_path, "huge.jsonl", huge)
    assert len(huge.encode()) < 1_000_000
    code, stderr, _rss = govbus(settings, *import_args(path))
    assert code == FINDINGS and "read 21  published 20  rejected 1" in stderr, stderr
    entry = json.loads((tmp_path / "huge.jsonl.rejects.jsonl").read_text())
    assert (entry["row"], entry["reason"]) == (11, "record_too_large")
    assert sorted(published_keys(settings, 20)) == sorted(orders)


@pytest.mark.parametrize(("name", "content"), [
    ("garbage.xlsx", b"PK\x03\x04" + os.urandom(2000)),
    ("text.xlsx", b"not a workbook at all"),
])
def test_a_damaged_workbook_is_one_line_and_its_exit_code(broker, tmp_path, unique, name, content):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    (tmp_path / name).write_bytes(content)
    code, stderr, _rss = govbus(settings, *import_args(tmp_path / name))
    assert code == DAMAGED_INPUT, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert f"{name} is not a readable .xlsx workbook" in stderr


@pytest.mark.parametrize("service", ["broker", "registry"])
def test_an_unreachable_service_is_one_line_and_unavailable(broker, tmp_path, unique, service):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    path, _orders = json_lines(tmp_path, "orders.jsonl", "{}")
    down = {"broker": {"GOVBUS_BOOTSTRAP_SERVERS": "127.0.0.1:9"},
            "registry": {"GOVBUS_REGISTRY_URL": "http://127.0.0.1:9/apis/ccompat/v7"}}[service]
    code, stderr, _rss = govbus(settings, *import_args(path), **down)
    assert code == UNAVAILABLE, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1
    assert {"broker": "no broker answers", "registry": "schema registry"}[service] in stderr


def _raw_count(settings) -> int:
    from confluent_kafka import Consumer, TopicPartition

    from govbus.core.settings import kafka_config

    topic = topic_names(settings).raw(DATASET)
    consumer = Consumer(kafka_config(settings, "consumer", **{"group.id": f"{settings.topic_prefix}-count"}))
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return sum(hi - lo for lo, hi in (consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                                          for p in partitions))
    except Exception:  # noqa: BLE001 - the topic appears with the first record
        return 0
    finally:
        consumer.close()


def test_sigterm_stops_with_the_line_to_resume_from_and_resuming_publishes_each_record_once(
        broker, tmp_path, unique):
    import signal
    import time

    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    count = 120_000
    path = tmp_path / "orders.csv"
    write_csv(records(DATASET, count, 12, dirty=0), path, FIELDS, load_mapping(MAPPING_PATH), "utf-8")
    environ = {**os.environ, **connection_env(settings), "GOVBUS_TOPIC_PREFIX": settings.topic_prefix,
               "GOVBUS_NATIVE_IMPORT": "false"}  # the slower reader: time to be interrupted
    cli = [str(Path(sys.executable).with_name("govbus")), *import_args(path)]
    child = subprocess.Popen(cli, env=environ, stderr=subprocess.PIPE, text=True)
    while _raw_count(settings) == 0 and child.poll() is None:
        time.sleep(0.2)
    child.send_signal(signal.SIGTERM)
    stderr = child.communicate(timeout=120)[1]
    assert child.returncode == STOPPED_PART_WAY, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    published = int(re.search(r"Published (\d+) \(acknowledged", stderr).group(1))
    resume = int(re.search(r"--from-line (\d+)", stderr).group(1))
    assert 0 < published < count and resume == published + 2  # header on line 1, one row a line
    assert _raw_count(settings) == published  # everything sent was acknowledged, nothing more

    code, stderr, _rss = govbus(settings, *import_args(path, "--from-line", str(resume)))
    assert code == OK, stderr
    assert _raw_count(settings) == count
    assert len(set(published_keys(settings, count))) == count
