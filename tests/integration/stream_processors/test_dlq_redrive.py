"""`govbus dlq list | redrive` against the real broker: a letter written by the processor's
pipeline is listed with its reason, and re-driving it puts the original bytes back on the raw
topic (marked as a re-drive) and records the re-drive on audit.redrives."""
from __future__ import annotations

import pytest
from confluent_kafka import Producer
from typer.testing import CliRunner

from commands.dlq_cmd import read_letters
from commands.main import app
from govbus.core.deadletter import Origin
from govbus.core.serde import Serde
from govbus.core.settings import kafka_config, topic_names
from stream_processors.main import build_pipeline
from tests.support.helpers import poll_messages, work_order

DATASET = "hotline.work_order"


def test_list_and_redrive_a_processor_reject(broker, tmp_path, unique, monkeypatch):
    settings = broker.settings(tmp_path, topic_prefix=f"t{unique}")
    topics = topic_names(settings)
    pipeline = build_pipeline(settings)
    raw = topics.raw(DATASET)
    bad = pipeline.serde.encode(f"{raw}-value", work_order(caller_id_no="110105194912310021"))
    [letter] = pipeline.process(Origin(raw, 0, 7, b"GD1", bad))
    producer = Producer(kafka_config(settings, "producer"))
    producer.produce(letter.topic, letter.value, letter.key, headers=letter.headers)
    assert producer.flush(30) == 0

    [(offset, listed)] = list(read_letters(settings, Serde.from_settings(settings), topics.dlq(DATASET)))
    assert (listed["reason"], listed["field_path"]) == ("bad_check_char", "caller_id_no")

    for key, value in {**broker.env(), "GOVBUS_TOPIC_PREFIX": f"t{unique}"}.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, ["dlq", "redrive", DATASET, "--note", "fixed at the source"])
    assert result.exit_code == 0, result.output
    assert "re-drove 1" in result.output
    [again] = poll_messages(settings, raw, f"g{unique}", 1)
    assert again.value() == bad and dict(again.headers())["govbus.redrive.dlq_offset"] == str(offset).encode()
    [audit] = poll_messages(settings, topics.audit_redrives, f"a{unique}", 1)
    event = Serde.from_settings(settings).decode(audit.value()).value
    # The identity the command connected as, not a name typed on the command line.
    assert (event["operator"], event["reason"], event["dlq_offset"]) == (settings.kafka_user, "bad_check_char", offset)


def test_reading_letters_an_identity_may_not_read_is_refused_in_one_line(broker, tmp_path):
    from commands.exits import REFUSED, Failure
    from commands.localstack.identities import identity_path

    # dept.fire holds no ACL on the hotline's dead letters: the broker refuses, and the reader
    # says so instead of listing nothing.
    settings = broker.settings(tmp_path, kafka_user="dept.fire",
                               kafka_password_file=identity_path(broker.stack_dir(), "dept.fire"))
    topic = topic_names(settings).dlq(DATASET)
    with pytest.raises(Failure) as refused:
        list(read_letters(settings, Serde.from_settings(settings), topic))
    assert refused.value.code == REFUSED
    assert topic in refused.value.line and "TOPIC_AUTHORIZATION_FAILED" in refused.value.line
