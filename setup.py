"""Build hook: the processor's pure hot-path modules compiled to C with mypyc
(govbus/core/compiled.py lists them and says why).

Without a C compiler (or mypyc), the build goes on without them: Python runs their source.
"""
from __future__ import annotations

import sys
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))  # govbus.core.compiled: no dependency beyond the standard library

from govbus.core.compiled import COMPILED_MODULES, source_path  # noqa: E402


def compiled_extensions() -> list:
    try:
        from mypyc.build import mypycify  # noqa: PLC0415 - optional: without it the source runs
    except ImportError:  # pragma: no cover - the build requires mypy; a bare setup.py run may not have it
        print("govbus: mypyc not installed; the hot-path modules run as Python", file=sys.stderr)
        return []
    paths = [str(source_path(module, ROOT).relative_to(ROOT)) for module in COMPILED_MODULES]
    extensions = mypycify([f"--config-file={ROOT / 'native' / 'mypyc.ini'}", *paths], group_name="govbus_hot")
    for extension in extensions:
        extension.optional = True  # no C compiler: skipped, and the source runs
    return extensions


setup(ext_modules=compiled_extensions())
