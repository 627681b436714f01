"""The tokens file: a new token is shown once, only its digest is written, the file is 0600."""
from __future__ import annotations

import stat

import pytest
import yaml

from producers.http.logic import TokenFileError, department_for, load_tokens
from producers.http.tokens import add_token


def test_a_new_token_is_stored_only_as_its_digest(tmp_path):
    path = tmp_path / "tokens.yaml"
    token = add_token(path, "hotline")
    assert len(token) >= 40
    assert token not in path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert department_for(f"Bearer {token}", load_tokens(path)) == "hotline"


def test_tokens_are_appended_and_each_authenticates_its_department(tmp_path):
    path = tmp_path / "tokens.yaml"
    first, second = add_token(path, "hotline"), add_token(path, "fire")
    tokens = load_tokens(path)
    assert (department_for(f"Bearer {first}", tokens), department_for(f"Bearer {second}", tokens)) == (
        "hotline", "fire")
    assert len(yaml.safe_load(path.read_text(encoding="utf-8"))["tokens"]) == 2


def test_a_file_with_tokens_in_clear_is_refused_not_extended(tmp_path):
    path = tmp_path / "tokens.yaml"
    path.write_text(yaml.safe_dump({"clear-token": "hotline"}), encoding="utf-8")
    with pytest.raises(TokenFileError, match="tokens are stored hashed"):
        add_token(path, "fire")
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == {"clear-token": "hotline"}
