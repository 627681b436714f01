"""deploy/monitoring/dashboards is the render of commands/dashboards, and every query there (and
in the alert rules, once deploy/monitoring/alerts.yml exists) names only series of the contract."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from commands.dashboards.command import DASHBOARDS_DIR
from commands.dashboards.render import BOARDS, differences, expressions, parsed, rendered, write
from govbus.core.metric_names import metric_names_in, unknown_names

ALERTS = Path(__file__).resolve().parents[4] / "deploy" / "monitoring" / "alerts.yml"


def test_the_committed_json_equals_a_fresh_render() -> None:
    assert differences(DASHBOARDS_DIR) == [], "run `python -m commands.dashboards render` and commit"


def test_a_changed_missing_or_stray_file_is_reported(tmp_path: Path) -> None:
    write(tmp_path)
    (tmp_path / "overview.json").write_text("{}", encoding="utf-8")
    (tmp_path / "role-feed.json").unlink()
    (tmp_path / "old.json").write_text("{}", encoding="utf-8")
    assert sorted(differences(tmp_path)) == ["old.json: no board renders it",
                                             "overview.json: differs from a fresh render",
                                             "role-feed.json: missing (render it)"]


def test_one_overview_and_one_board_per_role() -> None:
    assert set(rendered()) == {"overview.json", *(f"role-{r}.json" for r in
                                                  ("process", "detect", "sink", "audit-sink", "feed", "ingest"))}
    assert len(BOARDS) == 7


BOARD_QUERIES = [(name, title, expr) for name, board in parsed(DASHBOARDS_DIR).items()
                 for title, expr in expressions(board)]


@pytest.mark.parametrize(("board", "panel", "expr"), BOARD_QUERIES)
def test_every_board_query_names_only_contract_metrics(board: str, panel: str, expr: str) -> None:
    assert metric_names_in(expr), f"{board} / {panel}: no metric in {expr!r}"
    assert unknown_names(expr) == frozenset(), f"{board} / {panel}: {expr!r}"


def test_the_overview_answers_the_operators_questions() -> None:
    overview = parsed(DASHBOARDS_DIR)["overview.json"]
    used = set().union(*(metric_names_in(expr) for _title, expr in expressions(overview)))
    assert {"up", "govbus_role_ready", "govbus_consumer_lag_records", "govbus_consumer_lag_seconds",
            "govbus_freshness_seconds_bucket", "govbus_deliveries_total", "govbus_dlq_records_total",
            "govbus_incidents_open", "govbus_agreement_expiry_seconds"} <= used
    ids = [panel["id"] for panel in overview["panels"]]
    assert len(ids) == len(set(ids))


def _alert_rules() -> list[tuple[str, str]]:
    if not ALERTS.exists():  # written by the alert rules' own change; checked once it is there
        return []
    groups = yaml.safe_load(ALERTS.read_text(encoding="utf-8")).get("groups", [])
    return [(rule.get("alert") or rule.get("record", "?"), str(rule["expr"]))
            for group in groups for rule in group.get("rules", [])]


def test_every_alert_names_only_contract_metrics() -> None:
    rules = _alert_rules()
    assert all(expr for _alert, expr in rules)
    assert [(alert, expr) for alert, expr in rules if unknown_names(expr)] == []
