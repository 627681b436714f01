"""The rows counter an import shows on a terminal (rows/s on stderr; silent otherwise)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

from rich.console import Console
from rich.progress import Progress, ProgressColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text


class _RowsPerSecond(ProgressColumn):
    def render(self, task: Any) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "… rows/s", style="progress.data.speed")


@contextmanager
def progress_bar(description: str, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """``advance(n)`` for a rows counter with rows/s on stderr; silent when not a terminal."""
    console = Console(stderr=True)
    columns = (SpinnerColumn(), TextColumn("{task.description}"),
               TextColumn("{task.completed:,.0f} rows"), _RowsPerSecond(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not (enabled and console.is_terminal),
                  transient=False) as progress:
        task = progress.add_task(description, total=None)
        yield lambda n: progress.advance(task, n)
