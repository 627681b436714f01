"""How a bench script ends when the world fails it (no broker, a refused login, a port in use):
one line on stderr and the `govbus` command's exit code (commands.exits), not a traceback. The
conditions are the command's own (commands.world); anything else is a bug and raises."""
from __future__ import annotations

import sys
from typing import Callable

from commands import exits
from commands.localstack.tools import StackError
from commands.world import failure_of


def run(main: Callable[[], object]) -> None:
    try:
        main()
    except Exception as exc:
        failure = (exits.Failure(exits.UNAVAILABLE, f"the local stack did not start: {exc}")
                   if isinstance(exc, StackError) else failure_of(exc))
        if failure is None:
            raise
        print(f"bench: {failure.line}", file=sys.stderr)
        raise SystemExit(failure.code) from None
