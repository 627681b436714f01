"""The local stack's TLS files, its identity names and the registry's Kafka client file."""
from __future__ import annotations

import ipaddress
import stat
from pathlib import Path

from cryptography import x509

from commands.localstack.identities import bus_identity_names, catalogue_identity_names
from commands.localstack.secure import _quoted, registry_config
from commands.localstack.tls import BROKER_CN, ensure_tls
from govbus.core.credentials import IdentityFile
from govbus.core.settings import PROJECT_ROOT


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_tls_files_keys_private_pkcs8_and_a_verifiable_broker_chain(tmp_path):
    files = ensure_tls(tmp_path / "tls")
    assert (_mode(files.ca_key), _mode(files.broker_store), _mode(files.ca_cert)) == (0o600, 0o600, 0o644)
    store = files.broker_store.read_text()
    assert store.startswith("-----BEGIN PRIVATE KEY-----")  # unencrypted PKCS#8, what Kafka's PEM store reads
    assert "ENCRYPTED" not in store
    broker, ca = x509.load_pem_x509_certificates(store[store.index("-----BEGIN CERTIFICATE"):].encode())
    assert broker.subject.rfc4514_string() == f"CN={BROKER_CN}"  # what ssl.principal.mapping.rules matches
    broker.verify_directly_issued_by(ca)
    sans = broker.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ipaddress.ip_address("127.0.0.1") in sans.get_values_for_type(x509.IPAddress)
    assert ensure_tls(tmp_path / "tls") == files and files.broker_store.read_text() == store  # kept


def test_bus_identity_names_cover_admin_services_adapters_and_recipients():
    names = bus_identity_names(["hotline", "fire", "hotline"], ["public_security_350100"])
    assert names[0] == "bus-admin" and "svc.registry" in names and "svc.processor" in names
    assert names[-3:] == ["dept.fire", "dept.hotline", "recv.public_security_350100"]
    from_catalogue = catalogue_identity_names(PROJECT_ROOT / "catalogue")
    assert "dept.hotline" in from_catalogue and "recv.public_security_350100" in from_catalogue
    assert len(from_catalogue) == len(set(from_catalogue))


def test_registry_config_is_private_and_uses_the_pass_through(tmp_path):
    identity = IdentityFile("svc.registry", "pw", "SCRAM-SHA-512", "/ca.pem", "b:1")
    path = registry_config(tmp_path, identity, Path("/ca.pem"))
    text = path.read_text()
    assert _mode(path) == 0o600 and path == tmp_path / "config" / "application.properties"
    assert "apicurio.kafka.common.security.protocol=SASL_SSL" in text
    assert 'username="svc.registry" password="pw";' in text
    assert "apicurio.kafka.common.ssl.truststore.type=PEM" in text


def test_argument_file_quoting_keeps_each_argument_whole():
    assert _quoted('SCRAM-SHA-512=[name=a,password=p"q\\r]') == '"SCRAM-SHA-512=[name=a,password=p\\"q\\\\r]"'
