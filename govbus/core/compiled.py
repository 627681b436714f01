"""The modules govbus compiles with mypyc (setup.py), and whether each runs compiled.

Compiled, a module is a C extension beside its source, which Python imports in its place: the
same code, ~1.3-1.6x faster (docs/capacity.md §6). Without a C compiler the build skips them and
the source runs. An extension older than its source would run code that is no longer there:
``stale`` names those, and every ``govbus`` command but ``stack down`` and ``stack status``
refuses to start on one (commands/main.py; rebuild: ``pip install -e .``).

    python -m govbus.core.compiled [--require]   # each module's state; --require: all compiled
"""
from __future__ import annotations

import argparse
import importlib.machinery
import sys
from pathlib import Path

# Pure functions and the processor's hot path only: no Faust, no I/O, no monkeypatching.
# Compiled, their annotations are checked at run time (a ``str`` parameter refuses None).
COMPILED_MODULES = (
    "govbus.core.cleaning",
    "govbus.core.identifiers",
    "govbus.core.lag",
    "govbus.core.text_rules",
    "govbus.core.avro_reader",
    "govbus.core.deadletter",
    "stream_processors.route.filters",
    "stream_processors.metric_batch",
    "stream_processors.pipeline",
    "stream_processors.route.logic",
    "stream_processors.route.masking",
    "stream_processors.route.pii",
    "stream_processors.route.pii_address",
    "stream_processors.route.pii_name_rules",
    "stream_processors.route.pii_names",
    "stream_processors.route.pii_policy",
    "stream_processors.route.pii_rules",
)
ROOT = Path(__file__).resolve().parents[2]
COMPILED, SOURCE, STALE = "compiled", "source", "stale"


def source_path(module: str, root: Path = ROOT) -> Path:
    return root.joinpath(*module.split(".")).with_suffix(".py")


def state_of(module: str, root: Path = ROOT) -> str:
    """compiled, source (no extension: Python runs the .py) or stale (an extension older
    than its source), found without importing the module. Stale only in a source tree (a
    checkout, built in place): an installed wheel's files all have its install's times."""
    source = source_path(module, root)
    extensions = [source.with_name(source.stem + suffix) for suffix in importlib.machinery.EXTENSION_SUFFIXES]
    built = [path for path in extensions if path.exists()]
    if not built:
        return SOURCE
    if not (root / "setup.py").exists():
        return COMPILED
    return STALE if any(path.stat().st_mtime < source.stat().st_mtime for path in built) else COMPILED


def states() -> dict[str, str]:
    return {module: state_of(module) for module in COMPILED_MODULES}


def stale() -> list[str]:
    return [module for module, state in states().items() if state == STALE]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--require", action="store_true", help="exit 1 unless every module runs compiled")
    args = parser.parse_args(argv)
    found = states()
    for module, state in found.items():
        print(f"{state:9s}{module}")
    wanted = {COMPILED} if args.require else {COMPILED, SOURCE}
    if set(found.values()) - wanted:
        print("govbus: not every hot-path module runs compiled and current: rebuild with "
              "`pip install -e .` (a C compiler and Python's headers are needed)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
