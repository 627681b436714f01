"""The `govbus status` screen: rich tables of a StatusView (the same view --json prints)."""
from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from commands.status.model import StatusView


def _yes_no(value: bool | None, yes: str = "yes", no: str = "NO") -> Text:
    if value is None:
        return Text("?", style="yellow")
    return Text(yes, style="green") if value else Text(no, style="bold red")


def _number(value: float | None, unit: str = "") -> str:
    return "-" if value is None else f"{value:,.0f}{unit}" if value == int(value) else f"{value:,.1f}{unit}"


def roles_table(view: StatusView) -> Table:
    table = Table(title="roles (file_sd targets)", title_justify="left")
    for column in ("role", "instance", "address", "up", "ready", "waiting for", "lag records", "lag age"):
        table.add_column(column)
    for row in view.roles:
        table.add_row(row.role, row.instance, row.address, _yes_no(row.up, no="DOWN"), _yes_no(row.ready),
                      ", ".join(row.outages) or "-", _number(row.lag_records), _number(row.lag_seconds, " s"))
        if row.error:
            table.add_row("", Text(row.error, style="red"), "", "", "", "", "", "")
    return table


def lag_table(view: StatusView) -> Table:
    """The groups behind on some topic (--json lists every group); the rest in one line."""
    behind = [lag for lag in view.group_lags if lag.lag]
    caught_up = len({lag.group for lag in view.group_lags} - {lag.group for lag in behind})
    table = Table(title="consumer groups behind (broker: end offset - committed offset)", title_justify="left",
                  caption=f"{caught_up} other groups caught up", caption_justify="left")
    for column in ("group", "topic", "partitions", "lag records"):
        table.add_column(column)
    for lag in behind:
        table.add_row(lag.group, lag.topic, str(lag.partitions), Text(f"{lag.lag:,}", style="red"))
    return table


def _pairs(title: str, pairs: dict, unit: str = "", empty: str = "none") -> Table:
    table = Table(title=title, title_justify="left", show_header=False, min_width=len(title) + 2)
    table.add_column("what")
    table.add_column("value", justify="right")
    for key, value in pairs.items():
        table.add_row(str(key) or "-", _number(value, unit))
    if not pairs:
        table.add_row(empty, "")
    return table


def traffic_tables(view: StatusView) -> list[Table]:
    if view.deliveries_per_second is None:
        return [_pairs("deliveries since each role started, by recipient", view.deliveries_total)]
    return [_pairs("deliveries by recipient", view.deliveries_per_second, "/s"),
            _pairs("records by outcome", view.records_per_second or {}, "/s")]


def watch_tables(view: StatusView) -> list[Table]:
    incidents = _pairs("open incidents by grade", view.incidents_open)
    letters = _pairs("dead letters in the last hour, by department", view.dead_letters_last_hour or {})
    expiring = Table(title="agreements expiring within 30 days", title_justify="left")
    for column in ("agreement", "recipient", "dataset", "valid to", "days left"):
        expiring.add_column(column)
    for item in view.agreements_expiring:
        expiring.add_row(item.agreement, item.recipient, item.dataset, item.valid_to, f"{item.days_left:.1f}")
    audit = Table(title="audit chain", title_justify="left")
    for column in ("pool", "events", "verifies", "verified", "checkpoint"):
        audit.add_column(column)
    for pool in view.audit:
        audit.add_row(pool.pool or "-", _number(pool.chain_length), _yes_no(pool.verify_ok, no="FAILED"),
                      _number(pool.verified_seconds_ago, " s ago"), _number(pool.checkpoint_seconds_ago, " s ago"))
    return [letters, incidents, expiring, audit]


def screen(view: StatusView) -> RenderableType:
    parts: list[RenderableType] = [Text(f"govbus status at {view.taken_at}", style="bold"), roles_table(view),
                                   lag_table(view), *traffic_tables(view), *watch_tables(view)]
    parts += [Text(f"! {problem}", style="yellow") for problem in view.problems]
    return Group(*parts)
