"""The local stack's own CA and the broker's certificate, as PEM files in ``<stack dir>/tls/``.

Kafka 4.1 reads PEM key stores directly (``ssl.keystore.type=PEM``): one file holding an
unencrypted PKCS#8 private key followed by the certificate chain (KAFKA-12703 allowed the
unencrypted key, Kafka 3.2). EC P-256 keys: quick to make, read by Java, OpenSSL and Python.
The broker's certificate names 127.0.0.1 and localhost, so clients verify the host name, and
serves as its client certificate on the controller listener (docs/security.md).
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from govbus.core.credentials import write_private

# The broker's certificate subject; ssl.principal.mapping.rules maps exactly this DN to bus-admin.
BROKER_CN = "govbus-broker"
CA_CN = "govbus local stack CA"
VALID_DAYS = 3650


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path      # public: every client's trust anchor
    ca_key: Path       # 0600: signs the broker's certificate, kept for renewal
    broker_store: Path  # 0600: the broker's key + certificate chain (Kafka's PEM key store)

    @classmethod
    def under(cls, tls_dir: Path) -> "TlsFiles":
        return cls(tls_dir / "ca.pem", tls_dir / "ca-key.pem", tls_dir / "broker.pem")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pkcs8(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _builder(subject: str, issuer: str, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=VALID_DAYS)))


def make_ca() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (_builder(CA_CN, CA_CN, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_broker_cert(ca_key: ec.EllipticCurvePrivateKey,
                     ca_cert: x509.Certificate) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (_builder(BROKER_CN, CA_CN, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            # Server on both listeners, client towards its own controller listener.
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    assert cert.issuer == ca_cert.subject
    return key, cert


def ensure_tls(tls_dir: Path) -> TlsFiles:
    """The stack's CA and broker key store, made on first use and kept (clients hold the CA)."""
    files = TlsFiles.under(tls_dir)
    if files.ca_cert.exists() and files.ca_key.exists() and files.broker_store.exists():
        return files
    tls_dir.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = make_ca()
    broker_key, broker_cert = make_broker_cert(ca_key, ca_cert)
    write_private(files.ca_key, _pkcs8(ca_key))
    write_private(files.broker_store, _pkcs8(broker_key) + _pem(broker_cert) + _pem(ca_cert))
    files.ca_cert.write_text(_pem(ca_cert))
    files.ca_cert.chmod(0o644)
    return files
