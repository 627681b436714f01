"""The layers of docs/architecture.md hold: the import-linter contract in pyproject.toml is kept.

The contract (commands → roles → foundation, the three roles independent of each other) is
checked by import-linter over the real import graph; this test fails with its report if an
import runs the wrong way.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_layers_are_kept() -> None:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    done = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout
