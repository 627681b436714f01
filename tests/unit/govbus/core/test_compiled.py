"""govbus.core.compiled: which hot-path modules run compiled, and a stale one refused."""
from __future__ import annotations

import importlib.machinery
import os
from pathlib import Path

import pytest

from commands.exits import REFUSED
from govbus.core import compiled

MODULE = "pkg.hot"
EXTENSION = "hot" + importlib.machinery.EXTENSION_SUFFIXES[0]


def _tree(tmp_path: Path, *, extension_age: float | None) -> Path:
    """pkg/hot.py, and its extension written ``extension_age`` seconds before (negative: after) it."""
    (tmp_path / "setup.py").write_text("")  # a source tree, built in place
    source = tmp_path / "pkg" / "hot.py"
    source.parent.mkdir()
    source.write_text("x = 1\n")
    if extension_age is not None:
        built = source.with_name(EXTENSION)
        built.write_bytes(b"\x7fELF")
        when = source.stat().st_mtime - extension_age
        os.utime(built, (when, when))
    return tmp_path


@pytest.mark.parametrize(("extension_age", "state"), [
    (None, compiled.SOURCE),  # no extension: Python runs the source
    (-60.0, compiled.COMPILED),  # built after the source was written
    (60.0, compiled.STALE),  # the source changed after the build
])
def test_state_of_a_module_from_its_files(tmp_path, extension_age, state):
    assert compiled.state_of(MODULE, _tree(tmp_path, extension_age=extension_age)) == state


def test_an_installed_wheel_s_extension_is_never_stale(tmp_path):
    root = _tree(tmp_path, extension_age=60.0)
    (root / "setup.py").unlink()  # site-packages: no setup.py, every file the install's time
    assert compiled.state_of(MODULE, root) == compiled.COMPILED


def test_every_listed_module_exists_and_none_of_this_checkout_is_stale():
    for module in compiled.COMPILED_MODULES:
        assert compiled.source_path(module).is_file(), module
    assert compiled.stale() == [], "rebuild the compiled modules: pip install -e ."


def test_require_fails_unless_every_module_runs_compiled(monkeypatch, capsys):
    monkeypatch.setattr(compiled, "states", lambda: {"a": compiled.COMPILED, "b": compiled.SOURCE})
    assert compiled.main([]) == 0
    assert compiled.main(["--require"]) == 1
    monkeypatch.setattr(compiled, "states", lambda: {"a": compiled.COMPILED, "b": compiled.STALE})
    assert compiled.main([]) == 1
    assert "pip install -e ." in capsys.readouterr().err


def test_the_cli_refuses_to_run_a_stale_build_in_one_line(monkeypatch, capsys):
    from commands import main as cli
    monkeypatch.setattr(compiled, "stale", lambda: ["stream_processors.route.pii"])
    monkeypatch.setattr("sys.argv", ["govbus", "--help"])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == REFUSED
    err = capsys.readouterr().err
    assert "stream_processors.route.pii is compiled from an older source" in err and "Traceback" not in err


@pytest.mark.parametrize(("command", "refused"), [
    (["stack", "down"], False),
    (["stack", "status"], False),
    (["stack", "up"], True),
    (["process"], True),
])
def test_a_stale_build_can_still_stop_or_look_at_the_stack(monkeypatch, command, refused):
    from commands import main as cli
    ran: list[bool] = []
    monkeypatch.setattr(compiled, "stale", lambda: ["stream_processors.route.pii"])
    monkeypatch.setattr(cli, "app", lambda: ran.append(True))
    monkeypatch.setattr("sys.argv", ["govbus", *command])
    if refused:
        with pytest.raises(SystemExit) as stopped:
            cli.main()
        assert stopped.value.code == REFUSED and not ran
    else:
        cli.main()
        assert ran == [True]
