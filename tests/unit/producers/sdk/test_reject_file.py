"""Reject files hold refused rows as read (names, IDs, phones): created 0600 whatever the umask,
also when a stopped import appends to one, and an older world-readable one is closed down
before anything is written to it (producers/sdk/bulk.py reject_file, reject_file_note)."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from producers.sdk.bulk import reject_file, reject_file_note


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """The loosest umask a user might have: files would be 0666 without the explicit mode."""
    old = os.umask(0)
    yield
    os.umask(old)


@pytest.mark.parametrize(("existing", "append", "content"), [
    (None, False, "row 2\n"),                     # a new file
    (None, True, "row 2\n"),                      # a resumed import whose file is gone
    (0o644, False, "row 2\n"),                    # an older run's world-readable file: truncated
    (0o666, True, "row 1\nrow 2\n"),              # resumed: appended to, and closed down
    (0o600, True, "row 1\nrow 2\n"),
])
def test_reject_file_is_0600(tmp_path: Path, open_umask: None, existing: int | None, append: bool,
                             content: str) -> None:
    path = tmp_path / "工单.csv.rejects.jsonl"
    if existing is not None:
        path.write_text("row 1\n", encoding="utf-8")
        path.chmod(existing)
    with reject_file(path, append=append) as handle:
        assert mode_of(path) == 0o600  # before the first row is written
        handle.write("row 2\n")
    assert mode_of(path) == 0o600
    assert path.read_text(encoding="utf-8") == content


def test_the_summary_line_reads_the_mode_back(tmp_path: Path) -> None:
    path = tmp_path / "x.rejects.jsonl"
    with reject_file(path):
        pass
    assert reject_file_note(path) == (f"rejects: {path} (mode 0600, readable by its owner only: "
                                      "it holds the refused rows as read)")
    path.chmod(0o644)
    assert "READABLE BY OTHERS" in reject_file_note(path)
    assert "cannot read its mode" in reject_file_note(tmp_path / "gone.jsonl")
