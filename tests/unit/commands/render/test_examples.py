"""The committed examples under deploy/kubernetes and deploy/compose are what the renderer makes
today: a change of the catalogue, the agreements, the ACL compiler, the topic plan or the
renderer that is not rendered again fails here (`govbus deploy render ... --at <the header's>`)."""
from __future__ import annotations

import pytest
import yaml

from commands.deploy_cmd import Target
from tests.support.deploy_render import EXAMPLES_AT, committed, rendered


@pytest.mark.parametrize("target", list(Target))
def test_committed_examples_equal_a_fresh_render(target: Target) -> None:
    fresh, on_disk = rendered(target), committed(target)
    assert sorted(on_disk) == sorted(fresh), "files to add or delete: render again (docs/deploy.md)"
    stale = [name for name in fresh if fresh[name] != on_disk[name]]
    assert not stale, (f"{stale} drifted from the catalogue/agreements/renderer: run `govbus deploy render "
                       f"--target {target.value} --out deploy/... --at {EXAMPLES_AT.isoformat()}`")


@pytest.mark.parametrize("target", list(Target))
def test_every_file_says_how_it_was_rendered_and_parses(target: Target) -> None:
    for name, text in rendered(target).items():
        assert f"--at {EXAMPLES_AT.isoformat()}" in text.splitlines()[1], name
        if name.endswith((".yaml", ".yml")):
            assert all(isinstance(doc, dict) for doc in yaml.safe_load_all(text)), name


def test_compose_leaves_no_dollar_to_the_hosts_environment() -> None:
    """Compose would substitute ``$NAME`` (and refuse ``$/``) from the host: each is escaped."""
    text = rendered(Target.COMPOSE)["compose.yaml"]
    assert "$" in text
    assert "$" not in text.replace("$$", "")
    assert 'CLUSTER_ID="$$(cat "$$CLUSTER_ID_FILE")"' in text
