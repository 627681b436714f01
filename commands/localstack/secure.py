"""The security half of the local stack's configuration: the broker's listener settings, the
format step that puts bus-admin's credential in the metadata, and the registry's Kafka client.

Every file here that holds a password is written 0600 and nothing puts a password in a process
argument: the format step reads its arguments from a 0600 ``java @file`` that is deleted after,
and Apicurio reads its Kafka credentials from ``<stack dir>/config/application.properties``
(Quarkus reads ``config/application.properties`` under the working directory).
"""
from __future__ import annotations

import subprocess
from pathlib import Path

from commands.localstack.tls import BROKER_CN, TlsFiles
from commands.localstack.tools import StackError
from govbus.core import identities
from govbus.core.credentials import DEFAULT_MECHANISM, IdentityFile, write_private

LISTENER = "SASL_SSL"
MECHANISM = DEFAULT_MECHANISM


def broker_values(tls: TlsFiles, admin: IdentityFile) -> dict[str, object]:
    """The security placeholders of deploy/local/server.properties.template."""
    return {"broker_cn": BROKER_CN, "admin": identities.ADMIN, "admin_password": admin.password,
            "mechanism": MECHANISM, "mechanism_lower": MECHANISM.lower(),
            "keystore": tls.broker_store, "ca_file": tls.ca_cert}


def format_storage(java: Path, classpath: str, props: Path, cluster_id: str, admin: IdentityFile,
                   quorum: list[str]) -> None:
    """``kafka-storage format`` with the initial quorum (``--standalone``, or
    ``--initial-controllers`` for three nodes: commands/localstack/cluster.py) and bus-admin's
    SCRAM credential (``--add-scram``): the brokers' own inter-broker login needs it before any
    Admin API call could create it."""
    scram = f"{MECHANISM}=[name={admin.user},password={admin.password}]"
    args = ["-cp", classpath, "kafka.tools.StorageTool", "format", *quorum, "-t", cluster_id,
            "-c", str(props), "--add-scram", scram]
    argfile = props.with_suffix(".format.args")  # one per node: three nodes format at once
    # The java launcher expands @files (JDK 9+): the password stays out of the process table.
    write_private(argfile, "\n".join(_quoted(a) for a in args) + "\n")
    try:
        done = subprocess.run([str(java), f"@{argfile}"], capture_output=True, text=True, check=False)
    finally:
        argfile.unlink(missing_ok=True)
    if done.returncode != 0:
        raise StackError(f"formatting the broker's storage failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")


def _quoted(arg: str) -> str:
    # Argument files split on white space and read quotes and backslashes: quote each argument.
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def registry_config(root: Path, registry: IdentityFile, ca_file: Path) -> Path:
    """Apicurio's Kafka client security, through its ``apicurio.kafka.common.*`` pass-through
    (applied to the kafkasql producer, consumer and admin client). Its own
    ``apicurio.kafkasql.security.sasl.*`` properties only build an OAUTHBEARER login, and its
    trust-store properties are applied only with a password, which a PEM trust store refuses."""
    jaas = (f'org.apache.kafka.common.security.scram.ScramLoginModule required '
            f'username="{registry.user}" password="{registry.password}";')
    lines = {"security.protocol": LISTENER, "sasl.mechanism": registry.mechanism, "sasl.jaas.config": jaas,
             "ssl.truststore.type": "PEM", "ssl.truststore.location": str(ca_file),
             # Apicurio defaults this to empty (no host-name check); the broker's certificate
             # names 127.0.0.1, so keep Kafka's own default.
             "ssl.endpoint.identification.algorithm": "https"}
    path = root / "config" / "application.properties"
    text = "".join(f"apicurio.kafka.common.{key}={_escape(value)}\n" for key, value in lines.items())
    write_private(path, "# Written by govbus stack up: the registry's Kafka identity. Do not commit.\n" + text)
    return path


def _escape(value: str) -> str:
    # .properties values: backslashes escape, so double them (the JAAS line has none today).
    return value.replace("\\", "\\\\")
