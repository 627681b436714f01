"""The status screen shows what the view holds (rendered to text, no terminal)."""
from __future__ import annotations

from rich.console import Console

from commands.status.model import AuditPool, Expiring, GroupLag, RoleRow, StatusView
from commands.status.screen import screen


def _text(view: StatusView) -> str:
    console = Console(record=True, width=160, color_system=None)
    console.print(screen(view))
    return console.export_text()


def test_the_screen_names_what_needs_a_look() -> None:
    view = StatusView(
        taken_at="2026-12-03T09:00:00+00:00",
        roles=[RoleRow("process", "process-1", "127.0.0.1:9401", True, True, (), 12, 3.5),
               RoleRow("sink", "sink-2", "127.0.0.1:9403", False, None, (), None, None, "ConnectionRefusedError")],
        group_lags=[GroupLag("govbus-processor", "raw.hotline.work_order", 12, 6), GroupLag("idle", "t", 0, 1)],
        deliveries_per_second={"public_security_350100": 4.5}, records_per_second={"delivered": 9.0},
        deliveries_total={"public_security_350100": 100.0}, dead_letters_last_hour={"hotline": 7},
        incidents_open={"I": 1}, agreements_expiring=[Expiring("a1", "r", "d", "2026-12-20T00:00:00+00:00", 16.6)],
        audit=[AuditPool("audit", 120, False, 30.0, 600.0)], problems=["/s/targets/x.json: bad"])
    text = _text(view)
    for shown in ("process-1", "DOWN", "ConnectionRefusedError", "govbus-processor", "1 other groups caught up",
                  "public_security_350100", "4.5/s", "hotline", "a1", "16.6", "FAILED", "/s/targets/x.json: bad"):
        assert shown in text, shown
    assert "idle" not in text  # a group caught up is counted, not listed
