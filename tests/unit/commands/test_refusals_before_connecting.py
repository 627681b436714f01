"""What `govbus` refuses before it connects to anything: one line on stderr, exit code REFUSED,
never a traceback and never an empty answer that looks like "nothing there"."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from commands import exits

CASES = [
    ("unknown dataset", ["dlq", "list", "nope.ds"], {}, "no dataset 'nope.ds' in the catalogue"),
    ("unknown recipient", ["sink", "--recipient", "nobody"], {}, "no agreement names the recipient 'nobody'"),
    ("bad topic prefix", ["dlq", "list", "hotline.work_order"], {"GOVBUS_TOPIC_PREFIX": "bad."},
     "GOVBUS_TOPIC_PREFIX"),
    ("no stack configured", ["dlq", "list", "hotline.work_order"], {}, "no broker configured"),
]


@pytest.mark.parametrize("args, env, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refused_in_one_line(tmp_path, args, env, words):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GOVBUS_")}
    done = subprocess.run([sys.executable, "-m", "commands.main", *args], capture_output=True, text=True,
                          env=clean | {"GOVBUS_STACK_DIR": str(tmp_path / "no-stack"), "COLUMNS": "400"} | env,
                          timeout=60)
    assert done.returncode == exits.REFUSED, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert words in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
