"""The three KRaft brokers of the Compose rendering (official ``apache/kafka`` image, configured
through its ``KAFKA_*`` environment) and the one-shot service that gives each identity its SCRAM
credential. Security as in the local stack (docs/security.md): clients on SASL_SSL with
SCRAM-SHA-512; the brokers talk to each other and to the quorum over mutual TLS, their
certificate's ``CN=govbus-broker`` mapped to the super user; deny by default."""
from __future__ import annotations

from typing import Any

from commands.render.model import DeployInputs

KAFKA_IMAGE = "apache/kafka:{version}"
CLIENT_PORT, INTERNAL_PORT, CONTROLLER_PORT = 9093, 9092, 9094
CERTS = "/etc/kafka/secrets/govbus"
TMP = "/tmp"  # noqa: S108 - a tmpfs of the container's own


def broker_names(inputs: DeployInputs) -> list[str]:
    return [f"kafka-{n}" for n in range(1, inputs.brokers + 1)]


def bootstrap(inputs: DeployInputs) -> str:
    return ",".join(f"{name}:{CLIENT_PORT}" for name in broker_names(inputs))


def _broker_env(inputs: DeployInputs, node: int) -> dict[str, str]:
    voters = ",".join(f"{n}@kafka-{n}:{CONTROLLER_PORT}" for n in range(1, inputs.brokers + 1))
    rf, isr = str(min(3, inputs.brokers)), str(inputs.min_insync_replicas)
    return {
        "KAFKA_NODE_ID": str(node), "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": voters, "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENERS": f"SASL_SSL://:{CLIENT_PORT},INTERNAL://:{INTERNAL_PORT},CONTROLLER://:{CONTROLLER_PORT}",
        "KAFKA_ADVERTISED_LISTENERS": f"SASL_SSL://kafka-{node}:{CLIENT_PORT},INTERNAL://kafka-{node}:{INTERNAL_PORT}",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "SASL_SSL:SASL_SSL,INTERNAL:SSL,CONTROLLER:SSL",
        "KAFKA_INTER_BROKER_LISTENER_NAME": "INTERNAL", "KAFKA_SASL_ENABLED_MECHANISMS": "SCRAM-SHA-512",
        # listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config (the image's ___ is "-", __ is "_"):
        # the server side of SCRAM needs its login module, with no credential of its own.
        "KAFKA_LISTENER_NAME_SASL__SSL_SCRAM___SHA___512_SASL_JAAS_CONFIG":
            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        "KAFKA_SSL_KEYSTORE_TYPE": "PEM", "KAFKA_SSL_KEYSTORE_LOCATION": f"{CERTS}/broker.pem",
        "KAFKA_SSL_TRUSTSTORE_TYPE": "PEM", "KAFKA_SSL_TRUSTSTORE_LOCATION": f"{CERTS}/ca.pem",
        "KAFKA_LISTENER_NAME_INTERNAL_SSL_CLIENT_AUTH": "required",
        "KAFKA_LISTENER_NAME_CONTROLLER_SSL_CLIENT_AUTH": "required",
        "KAFKA_SSL_PRINCIPAL_MAPPING_RULES": f"RULE:^CN=govbus-broker$/{inputs.super_user}/,DEFAULT",
        "KAFKA_AUTHORIZER_CLASS_NAME": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND": "false", "KAFKA_SUPER_USERS": f"User:{inputs.super_user}",
        "KAFKA_DEFAULT_REPLICATION_FACTOR": rf, "KAFKA_MIN_INSYNC_REPLICAS": isr,
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": rf, "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": rf,
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": isr, "KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE": "false",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false", "KAFKA_LOG_DIRS": "/var/lib/kafka/data",
        "KAFKA_HEAP_OPTS": "-Xms2g -Xmx2g", "CLUSTER_ID_FILE": "/run/secrets/kafka-cluster-id",
    }


def broker(inputs: DeployInputs, node: int) -> dict[str, Any]:
    # The image formats its storage on first start from CLUSTER_ID: read from a file, so that the
    # three nodes agree on it without it living in this file.
    start = ('export CLUSTER_ID="$(cat "$CLUSTER_ID_FILE")" && exec /etc/kafka/docker/run')
    return {"image": KAFKA_IMAGE.format(version=inputs.kafka_version), "hostname": f"kafka-{node}",
            "restart": "unless-stopped", "command": ["/bin/bash", "-c", start],
            "environment": _broker_env(inputs, node),
            "secrets": [{"source": f"kafka-{node}-pem", "target": f"{CERTS}/broker.pem"},
                        {"source": "ca-pem", "target": f"{CERTS}/ca.pem"}, "kafka-cluster-id"],
            "volumes": [f"kafka-{node}-data:/var/lib/kafka/data"],
            "healthcheck": {"test": ["CMD-SHELL", f"bash -c '</dev/tcp/127.0.0.1/{CLIENT_PORT}'"],
                            "interval": "10s", "timeout": "5s", "retries": 12, "start_period": "60s"}}


def credentials_service(inputs: DeployInputs, identities: list[str]) -> dict[str, Any]:
    """Once the quorum is up: each identity's SCRAM credential from its password file, with
    Kafka's own tool over the mutual-TLS listener (as the super user, by certificate). The
    password reaches the tool through a 0600 file in the container's memory, not an argument."""
    lines = ["set -eu", "umask 077", "cfg=/tmp/admin.properties",
             f"printf 'security.protocol=SSL\\nssl.keystore.type=PEM\\nssl.keystore.location={CERTS}/broker.pem\\n"
             f"ssl.truststore.type=PEM\\nssl.truststore.location={CERTS}/ca.pem\\n' > $cfg"]
    for name in identities:
        lines.append(f"p=$(cat /run/secrets/kafka/{name}.password) && printf 'SCRAM-SHA-512=[password=%s]' \"$p\" "
                     f"> /tmp/scram && /opt/kafka/bin/kafka-configs.sh --bootstrap-server kafka-1:{INTERNAL_PORT} "
                     f"--command-config $cfg --alter --entity-type users --entity-name {name} "
                     f"--add-config-file /tmp/scram")
    secrets: list[Any] = [{"source": "kafka-1-pem", "target": f"{CERTS}/broker.pem"},
                          {"source": "ca-pem", "target": f"{CERTS}/ca.pem"}]
    secrets += [{"source": password_secret(name), "target": f"/run/secrets/kafka/{name}.password"}
                for name in identities]
    return {"image": KAFKA_IMAGE.format(version=inputs.kafka_version), "restart": "no",
            "command": ["/bin/bash", "-c", "\n".join(lines)], "secrets": secrets,
            "tmpfs": [TMP], "depends_on": {n: {"condition": "service_healthy"} for n in broker_names(inputs)}}


def password_secret(identity: str) -> str:
    """The Compose secret holding an identity's Kafka password (file ``secrets/kafka/<identity>.password``)."""
    return f"kafka-password-{identity}"
