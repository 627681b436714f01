"""`govbus keys export | rotate`: the processor's delivery signing keys (docs/security.md#signed-deliveries).

``export`` prints every public key published on ``bus.keys`` (retired ones too: they still verify
what they signed), as PEM or JSON, for a recipient to verify records with ``cryptography`` alone
(README). ``rotate`` makes a new private key in GOVBUS_SIGNING_KEY_FILE, publishes its public
key and the old one's retirement, and only then replaces the file; running processors sign with
the key they started with (still published, still valid) until they are restarted.
"""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

from commands.endpoints import with_endpoints
from commands.exits import REFUSED, UNAVAILABLE, Failure
from commands.localstack.secrets import write_secret
from govbus.core import identities
from govbus.core.key_topic import KeyTopicError, publish_now, read_published_keys
from govbus.core.result import Fault
from govbus.core.settings import GovbusSettings, signing_key_pem
from govbus.core.signing import PublishedKey, SigningKey, load_signing_key, new_private_key_pem, published

keys_app = typer.Typer(help="The processor's delivery signing keys (bus.keys).", no_args_is_help=True)
console = Console()


class KeyFormat(StrEnum):
    pem = "pem"
    json = "json"


def reader_group(settings: GovbusSettings) -> str:
    """A consumer group the connecting identity may use (only for librdkafka's coordinator look-up:
    nothing is committed): a department's or recipient's own prefix, else the processor's group."""
    user = settings.kafka_user
    if user.startswith(("recv.", "dept.")):
        return f"{user}.keys"
    return settings.sink_group if user == identities.Service.SINK.value else settings.processor_group


def render_keys(keys: list[PublishedKey], fmt: KeyFormat) -> str:
    ordered = sorted(keys, key=lambda k: (k.created, k.key_id))
    if fmt is KeyFormat.json:
        return json.dumps([k.as_json() for k in ordered], indent=2)
    return "\n".join(f"# key id {k.key_id}  Ed25519  created {k.created}  "
                     f"{'retired ' + k.retired if k.retired else 'in use'}\n{k.pem()}" for k in ordered)


@keys_app.command("export")
def export_cmd(fmt: KeyFormat = typer.Option(KeyFormat.pem, "--format", help="pem or json.")) -> None:
    """Print every public key published on bus.keys (retired ones too)."""
    settings = with_endpoints(GovbusSettings(), identity=identities.Service.PROCESSOR.value)
    try:
        keys = read_published_keys(settings, reader_group(settings))
    except KeyTopicError as exc:
        raise Failure(UNAVAILABLE, str(exc)) from None
    if not keys:
        raise Failure(REFUSED, "bus.keys holds no key: start `govbus process` once (it publishes its key)")
    typer.echo(render_keys(list(keys.values()), fmt))


def _current_key(settings: GovbusSettings) -> SigningKey:
    loaded = load_signing_key(signing_key_pem(settings))
    if isinstance(loaded, Fault):
        raise Failure(REFUSED, f"GOVBUS_SIGNING_KEY_FILE={settings.signing_key_file}: {loaded.message}")
    return loaded.value


def rotate_key(settings: GovbusSettings, now: datetime) -> tuple[PublishedKey, PublishedKey]:
    """(old key retired, new key): published first, then the key file replaced (0600). A
    failure to publish leaves the old key file in place."""
    path: Path = settings.signing_key_file  # type: ignore[assignment]  # _current_key checked it
    old = _current_key(settings)
    old_created = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    pem = new_private_key_pem()
    new = load_signing_key(pem)
    assert not isinstance(new, Fault)  # we just made it
    staged = path.with_name(path.name + ".new")
    staged.unlink(missing_ok=True)
    write_secret(staged, pem)
    os.utime(staged, (now.timestamp(), now.timestamp()))  # the processor publishes "created" from it
    retired, current = published(old.public_key, old_created, now), published(new.value.public_key, now)
    try:
        publish_now(settings, [retired, current])
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    os.replace(staged, path)
    return retired, current


@keys_app.command("rotate")
def rotate_cmd() -> None:
    """Make a new signing key; the old public key stays published (retired) so old records verify."""
    settings = with_endpoints(GovbusSettings(), identity=identities.Service.PROCESSOR.value)
    try:
        retired, current = rotate_key(settings, datetime.now(timezone.utc))
    except KeyTopicError as exc:
        raise Failure(UNAVAILABLE, f"{exc}; the key file was not changed") from None
    console.print(f"retired {retired.key_id} (still published: its records verify)\n"
                  f"new     {current.key_id} in {settings.signing_key_file} (0600)\n"
                  "restart `govbus process` workers to sign with it")
