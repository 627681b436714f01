"""bench.entry.run: a condition of the world ends a bench in one line and the command's exit code."""
from __future__ import annotations

import pytest

from bench import entry
from commands import exits
from commands.localstack.tools import StackError
from govbus.core.kafka_access import BrokerUnreachable


@pytest.mark.parametrize(("error", "code", "said"), [
    (BrokerUnreachable("no broker answers at 127.0.0.1:1"), exits.UNAVAILABLE, "no broker answers at 127.0.0.1:1"),
    (StackError("port 9092 is in use"), exits.UNAVAILABLE, "the local stack did not start: port 9092 is in use"),
])
def test_a_condition_of_the_world_is_one_line(error: Exception, code: int, said: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    def main() -> None:
        raise error

    with pytest.raises(SystemExit) as ended:
        entry.run(main)
    assert ended.value.code == code
    assert capsys.readouterr().err == f"bench: {said}\n"


def test_a_bug_still_raises() -> None:
    def main() -> None:
        raise ZeroDivisionError("a bug")

    with pytest.raises(ZeroDivisionError):
        entry.run(main)
