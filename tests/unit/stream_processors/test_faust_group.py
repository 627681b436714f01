"""The Faust settings of a processor worker in its consumer group (stream_processors/faust_group.py)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from govbus.core.settings import GovbusSettings
from stream_processors.faust_group import group_member_config, worker_state_dir


@pytest.mark.parametrize(("index", "folder"), [(0, "processor-0"), (1, "processor-1"), (7, "processor-7")])
def test_workers_on_one_host_keep_their_state_apart(index, folder, tmp_path: Path):
    settings = GovbusSettings(state_dir=tmp_path, worker_index=index)
    assert worker_state_dir(settings, "processor") == tmp_path / "faust" / folder
    assert group_member_config(settings, "processor")["datadir"] == str(tmp_path / "faust" / folder)


@pytest.mark.parametrize(("seconds", "session", "heartbeat"), [(45.0, 45.0, 3.0), (6.0, 6.0, 2.0)])
def test_faust_gets_the_group_timeouts_in_seconds(seconds, session, heartbeat):
    config = group_member_config(GovbusSettings(group_session_timeout_seconds=seconds), "processor")
    assert (config["broker_session_timeout"], config["broker_heartbeat_interval"]) == (session, heartbeat)


def test_the_batch_in_hand_is_finished_and_committed_before_a_partition_moves():
    config = group_member_config(GovbusSettings(worker_index=1), "processor")
    assert config["stream_wait_empty"] is True
    assert config["broker_client_id"] == f"govbus-processor-1-{os.getpid()}"
