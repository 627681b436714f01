"""Secret files (the pseudonym master key): no default, owner-only, long enough, never echoed."""
from __future__ import annotations

import stat

import pytest

from commands.localstack.secrets import ensure_audit_signing_key, ensure_pseudonym_key
from govbus.core.credentials import CredentialsError
from govbus.core.settings import GovbusSettings, connection_env, pseudonym_master_key

KEY = "0123456789abcdef0123456789abcdef"


def _key_file(tmp_path, content=KEY, mode=0o600, name="pseudonym.key"):
    path = tmp_path / name
    path.write_text(content + "\n")
    path.chmod(mode)
    return path


def test_the_key_comes_from_its_file(tmp_path):
    settings = GovbusSettings(pseudonym_key_file=_key_file(tmp_path))
    assert pseudonym_master_key(settings) == KEY.encode()


@pytest.mark.parametrize(("case", "match"), [
    ("unset", "GOVBUS_PSEUDONYM_KEY_FILE is not set"),
    ("missing", "cannot read it"),
    ("open to others", "readable by others .* chmod 600"),
    ("short", "fewer than 16 bytes"),
])
def test_a_role_refuses_to_start_without_a_usable_key_file(tmp_path, case, match):
    make = {"unset": lambda: None, "missing": lambda: tmp_path / "nope.key",
            "open to others": lambda: _key_file(tmp_path, mode=0o644),
            "short": lambda: _key_file(tmp_path, "short")}
    path = make[case]()
    with pytest.raises(CredentialsError, match=match) as refused:
        pseudonym_master_key(GovbusSettings(pseudonym_key_file=path))
    assert KEY not in str(refused.value) and "\n" not in str(refused.value)


def test_there_is_no_default_key_in_the_settings():
    assert "pseudonym_key" not in GovbusSettings.model_fields
    assert GovbusSettings.model_fields["pseudonym_key_file"].default is None


def test_the_local_stack_makes_one_random_owner_only_key_and_keeps_it(tmp_path):
    first = ensure_pseudonym_key(tmp_path)
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    content = first.read_text()
    assert ensure_pseudonym_key(tmp_path).read_text() == content  # kept across restarts
    assert ensure_pseudonym_key(tmp_path / "other").read_text() != content  # random per stack
    assert len(pseudonym_master_key(GovbusSettings(pseudonym_key_file=first))) == 64


def test_the_local_stack_makes_the_audit_signing_key_once_with_its_public_half(tmp_path):
    from consumers.audit.checkpoint import public_key_path

    first = ensure_audit_signing_key(tmp_path)
    assert stat.S_IMODE(first.stat().st_mode) == 0o600 and first.parent == tmp_path / "secrets"
    content = first.read_bytes()
    assert ensure_audit_signing_key(tmp_path).read_bytes() == content  # kept: verifiers trust its .pub
    assert public_key_path(first).read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")


def test_children_get_the_key_file_path_never_the_key(tmp_path):
    path = _key_file(tmp_path)
    env = connection_env(GovbusSettings(pseudonym_key_file=path))
    assert env["GOVBUS_PSEUDONYM_KEY_FILE"] == str(path)
    assert KEY not in "".join(env.values())
