"""The layers of docs/architecture.md hold: every import-linter contract in pyproject.toml is kept.

The contracts (commands → roles → foundation, the three roles independent of each other; inside
producers, the adapters independent of each other and the kit importing none of them) are
checked by import-linter over the real import graph; this test fails with its report if an
import runs the wrong way.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_layers_are_kept() -> None:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    done = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    assert f"{len(contracts)} kept, 0 broken" in done.stdout, done.stdout
