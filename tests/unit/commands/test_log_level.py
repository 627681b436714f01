"""GOVBUS_LOG_LEVEL overrides the level a role asks for; unset, the role's own level holds."""
from __future__ import annotations

import logging

import pytest

from commands.role_failures import log_with_time


@pytest.mark.parametrize(("env", "asked", "expected"), [
    (None, logging.WARNING, logging.WARNING),
    (None, logging.INFO, logging.INFO),
    ("INFO", logging.WARNING, logging.INFO),
    ("ERROR", logging.INFO, logging.ERROR),
    ("DEBUG", logging.WARNING, logging.DEBUG),
])
def test_the_setting_overrides_the_roles_level(monkeypatch, env, asked, expected):
    if env is None:
        monkeypatch.delenv("GOVBUS_LOG_LEVEL", raising=False)
    else:
        monkeypatch.setenv("GOVBUS_LOG_LEVEL", env)
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    try:
        log_with_time("sink", asked)
        assert root.level == expected
    finally:
        root.handlers, root.level = saved, level


def test_a_level_the_setting_does_not_know_is_refused(monkeypatch):
    monkeypatch.setenv("GOVBUS_LOG_LEVEL", "LOUD")
    with pytest.raises(ValueError, match="log_level"):
        log_with_time("sink")
