"""What `govbus import` says when it cannot finish: each error of the file importer (a role:
it raises its own classes) turned into one line and the exit code that classifies it
(commands/exits.py). An import that stopped part-way says what was published (acknowledged by
the broker), rejected and not read, and the --from-line to resume with."""
from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from commands.exits import DAMAGED_INPUT, REFUSED, STOPPED_PART_WAY, UNAVAILABLE, Failure
from commands.refusals import refusal_hint
from govbus.core.kafka_access import BrokerUnreachable

if TYPE_CHECKING:
    from producers.sdk.bulk import ImportStopped


def stopped_line(stop: "ImportStopped") -> str:
    """One line for an ImportStopped: why, the counts, and where to resume."""
    from producers.sdk.bulk import reject_file_note

    why, resume, unconfirmed, summary = stop.why, stop.resume_line, stop.unconfirmed, stop.summary
    sent_again = (f", {unconfirmed} more sent but not confirmed (they are sent again on resume; "
                  "the processor drops repeats by event id)") if unconfirmed else ""
    rejects = f"; {reject_file_note(summary.reject_path)}" if summary.reject_path else ""
    return (f"import stopped part-way: {why}{refusal_hint(why)}. Published {stop.published} "
            f"(acknowledged by the broker), rejected {stop.rejected}{sent_again}; not read: "
            f"line {resume} to the end{rejects}. To resume, run the same command with "
            f"--from-line {resume}")


@contextmanager
def import_failures() -> Iterator[None]:
    from producers.files.encoding import EncodingError
    from producers.files.main import ImportRefused, RegistryUnavailable
    from producers.files.readers import DamagedFile, FileFormatError
    from producers.sdk import DeliveryFailed, NotProvider
    from producers.sdk.bulk import ImportStopped
    from producers.sdk.mapping import MappingError

    try:
        yield
    except ImportStopped as stop:
        raise Failure(STOPPED_PART_WAY, stopped_line(stop)) from None
    except DamagedFile as exc:
        raise Failure(DAMAGED_INPUT, f"cannot import: {exc}") from None
    except MappingError as exc:  # the mapping file itself (a file's header is DamagedFile)
        where = str(exc).splitlines()[0]
        raise Failure(REFUSED, f"import refused: {where} {'; '.join(exc.problems)}") from None
    except (ImportRefused, NotProvider, FileFormatError, EncodingError) as exc:
        raise Failure(REFUSED, f"import refused: {exc}") from None
    except RegistryUnavailable as exc:
        raise Failure(UNAVAILABLE, f"import not started: {exc}") from None
    except BrokerUnreachable as exc:  # a refused identity is the net's (commands/world.py): REFUSED
        raise Failure(UNAVAILABLE, f"import not started: {exc}") from None
    except DeliveryFailed as exc:
        raise Failure(UNAVAILABLE, f"import failed: {exc}{refusal_hint(str(exc))}") from None
    except ValueError as exc:  # any other refusal of the request by the roles it calls
        raise Failure(REFUSED, f"import refused: {exc}") from None
