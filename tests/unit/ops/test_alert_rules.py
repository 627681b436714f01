"""The alert rules (deploy/monitoring/alerts.yml): valid for Prometheus (`promtool check rules`),
each alert firing when it should and quiet when it should not (`promtool test rules` over
deploy/monitoring/tests/*.yml), and each with the annotations the runbook needs. promtool comes
with Debian's `prometheus` package (.ci/run installs it): without it these tests fail."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from govbus.core.metric_names import ALERTS

MONITORING = Path(__file__).resolve().parents[3] / "deploy" / "monitoring"
RULES = MONITORING / "alerts.yml"
RULE_TESTS = sorted((MONITORING / "tests").glob("*.yml"))
# The alerts of the metrics contract (issue 17); docs/operations.md has a section for each.
CONTRACT_ALERTS = set(ALERTS)


def _promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: `apt-get install prometheus` (Debian's package has it; .ci/run installs it)"
    return found


def _alerts() -> list[dict]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def _cases() -> list[dict]:
    return [case for path in RULE_TESTS for test in yaml.safe_load(path.read_text())["tests"]
            for case in test.get("alert_rule_test", [])]


def test_promtool_checks_the_rules() -> None:
    done = subprocess.run([_promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_rule_tests_pass() -> None:
    assert RULE_TESTS
    done = subprocess.run([_promtool(), "test", "rules", *map(str, RULE_TESTS)], capture_output=True, text=True,
                          cwd=MONITORING, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("SUCCESS") == len(RULE_TESTS), done.stdout


def test_the_alerts_are_the_contracts() -> None:
    names = [rule["alert"] for rule in _alerts()]
    assert sorted(names) == sorted(CONTRACT_ALERTS)


@pytest.mark.parametrize("alert", _alerts(), ids=lambda rule: rule["alert"])
def test_each_alert_says_what_and_links_its_runbook(alert: dict) -> None:
    notes = alert["annotations"]
    assert notes["summary"] and notes["description"]
    assert notes["runbook_url"] == f"docs/operations.md#{alert['alert'].lower()}"
    assert alert["labels"]["severity"] in {"critical", "warning", "info"}


@pytest.mark.parametrize("name", sorted(CONTRACT_ALERTS))
def test_each_alert_is_tested_firing_and_quiet(name: str) -> None:
    cases = [case for case in _cases() if case["alertname"] == name]
    assert any(case["exp_alerts"] for case in cases), f"no case where {name} fires"
    assert any(not case["exp_alerts"] for case in cases), f"no case where {name} stays quiet"
