"""docs/operations.md is the runbook the alerts link to: a section for every alert of the
contract (anchor = the name lowercased), and every alert in deploy/monitoring/alerts.yml (once
it exists) is one of them and links to its section."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from govbus.core.metric_names import ALERTS

ROOT = Path(__file__).resolve().parents[3]
RUNBOOK = ROOT / "docs" / "operations.md"
ALERT_RULES = ROOT / "deploy" / "monitoring" / "alerts.yml"


def _sections() -> dict[str, str]:
    """Heading → its text, for the `### ` sections of the runbook."""
    parts = re.split(r"^### (.+)$", RUNBOOK.read_text(encoding="utf-8"), flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_alert_has_a_section_saying_what_it_means_and_what_to_do() -> None:
    sections = _sections()
    missing = [alert for alert in ALERTS if alert not in sections]
    assert missing == []
    for alert in ALERTS:
        text = sections[alert]
        assert all(part in text for part in ("**Means:**", "**First checks:**", "**Do:**")), alert


def test_the_anchor_of_a_section_is_the_alert_name_lowercased() -> None:
    # GitHub's anchors: lowercase, spaces to '-', punctuation dropped; an alert name has none.
    assert all(re.fullmatch(r"[A-Za-z]+", alert) for alert in ALERTS)
    assert "(#govbusconsumerlaggrowing)" in RUNBOOK.read_text(encoding="utf-8")


def test_the_alert_rules_are_the_documented_ones() -> None:
    if not ALERT_RULES.exists():  # written by the alert rules' own change; checked once it is there
        return
    groups = yaml.safe_load(ALERT_RULES.read_text(encoding="utf-8")).get("groups", [])
    rules = [rule for group in groups for rule in group.get("rules", []) if "alert" in rule]
    assert {rule["alert"] for rule in rules} <= set(ALERTS)
    for rule in rules:
        links = " ".join(str(v) for v in (rule.get("annotations") or {}).values())
        assert f"operations.md#{rule['alert'].lower()}" in links, rule["alert"]
