"""What a `govbus` exit code means (the README's table), and the one-line failure every command
raises for a condition of the world instead of letting a traceback reach the user.

A role raises its own error (``ImportRefused``, ``PollRefused``, ``CredentialsError`` …); the
command that called it turns that into ``Failure(code, line)``; ``commands.main.main`` prints the
line on stderr and exits with the code.
"""
from __future__ import annotations

OK = 0
FINDINGS = 1      # the command ran to the end and found something to look at (rejects, drift, faults)
REFUSED = 2       # usage, settings, credentials, an unknown name or a missing file: fix the command
UNAVAILABLE = 3   # the broker, registry or database did not answer, or a port is taken: start it, retry
DAMAGED_INPUT = 4 # the input file is damaged or unreadable: nothing more could be read from it
STOPPED_PART_WAY = 5  # stopped part-way; the line printed says what was done and where to resume
SOFTWARE = 70     # a bug in govbus (sysexits EX_SOFTWARE): report it with the log

MEANINGS: dict[int, str] = {
    OK: "done",
    FINDINGS: "done, with findings to look at (rejects, drift, faults), listed in the output",
    REFUSED: "refused: a usage error, a setting, a credential, an unknown name or a missing file",
    UNAVAILABLE: "a service (broker, registry, database) did not answer, or a port is taken: start it and retry",
    DAMAGED_INPUT: "the input file is damaged or unreadable",
    STOPPED_PART_WAY: "stopped part-way: the output says what was published and the line to resume from",
    SOFTWARE: "a fault in govbus itself: report it with the log",
}


class Failure(Exception):
    """A condition of the world, said in one line, with the exit code that classifies it."""

    def __init__(self, code: int, line: str) -> None:
        super().__init__(line)
        self.code, self.line = code, line
