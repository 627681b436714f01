"""`govbus dlq show` against the real broker and registry: a letter whose original record holds
a full ID number (the processor refused its check character) and a phone typed into `address`
prints the record masked by the dataset's field tags, never the ID or the phone in clear; a
letter whose bytes do not decode prints a scrubbed printable prefix."""
from __future__ import annotations

from confluent_kafka import Producer
from typer.testing import CliRunner

from commands.main import app
from govbus.core.deadletter import Origin
from govbus.core.settings import kafka_config
from stream_processors.main import build_pipeline
from tests.support.helpers import work_order

DATASET = "hotline.work_order"
BAD_ID = "110105194912310021"          # a full ID with a wrong check character: refused
CONTENT_ID = "11010519491231002X"      # a valid ID typed into the free text
PHONE = "13900139000"


def _send(settings, messages) -> None:
    producer = Producer(kafka_config(settings, "producer"))
    for out in messages:
        producer.produce(out.topic, out.value, out.key, partition=0, headers=out.headers)  # offsets 0, 1
    assert producer.flush(30) == 0


def test_dlq_show_masks_the_original_record(broker, tmp_path, unique, monkeypatch):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    pipeline = build_pipeline(settings)
    raw = pipeline.topics.raw(DATASET)
    record = work_order(caller_id_no=BAD_ID, address=f"人民路1号 {PHONE}",
                        content=f"我的身份证{CONTENT_ID}，电话{PHONE}")
    value = pipeline.serde.encode(f"{raw}-value", record)
    [letter] = pipeline.process(Origin(raw, 0, 7, b"GD1", value))
    assert BAD_ID.encode() in value  # the letter does hold the ID in clear
    undecodable = f"garbage {CONTENT_ID} {PHONE}".encode()
    [junk] = pipeline.process(Origin(raw, 0, 8, b"GD2", b"\x00\x00\x00\x00\x00" + undecodable))
    _send(settings, [letter, junk])

    for key, env_value in {**broker.env(), "GOVBUS_TOPIC_PREFIX": f"t{unique}"}.items():
        monkeypatch.setenv(key, env_value)
    shown = CliRunner().invoke(app, ["dlq", "show", DATASET, "0", "--note", "checking a reject"])
    assert shown.exit_code == 0, shown.output
    output = shown.output
    for raw_value in (BAD_ID, CONTENT_ID, PHONE):
        assert raw_value not in output, output
    assert "decoded, masked by the field tags" in output
    assert "110105********0021" in output              # caller_id_no: first 6, last 4
    assert "张*" in output and "张三" not in output      # caller_name
    assert "bad_check_char" in output and "caller_id_no" in output  # the steward still sees why

    junk_shown = CliRunner().invoke(app, ["dlq", "show", DATASET, "1", "--note", "checking a reject"])
    assert junk_shown.exit_code == 0, junk_shown.output
    assert "not decodable" in junk_shown.output and "garbage" in junk_shown.output
    for raw_value in (CONTENT_ID, PHONE):
        assert raw_value not in junk_shown.output, junk_shown.output
