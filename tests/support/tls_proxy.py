"""An HTTPS proxy on 127.0.0.1 that answers for the hosts tunnelled through it, the way a
TLS-inspecting corporate proxy does: a client configured with `HTTPS_PROXY` and trusting the
proxy's CA (`SSL_CERT_FILE`) reaches a loopback stand-in for a public endpoint (Google's tokeninfo)
through its ordinary, production settings, with no test-only code path in the client."""

from __future__ import annotations

import datetime
import http.server
import ssl
import threading
from pathlib import Path


def make_ca_and_leaf(directory: Path, hosts: list[str]) -> tuple[Path, Path, Path]:
    """A CA and a leaf certificate for `hosts` signed by it: (ca.pem, leaf.pem, leaf.key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "oauthbearer test proxy CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=2))
          .not_valid_after(now + datetime.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(ca_name).public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = directory / "proxy-ca.pem", directory / "proxy-leaf.pem", directory / "proxy-leaf.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
    return paths


class TlsProxy:
    """`CONNECT host:443` tunnels end here: TLS with the leaf certificate, then `handler` (a
    BaseHTTPRequestHandler class) answers the requests inside. `url` for `HTTPS_PROXY`; `ca` for
    `SSL_CERT_FILE`; `tunnels` lists the hosts asked for."""

    def __init__(self, directory: Path, hosts: list[str], handler: type[http.server.BaseHTTPRequestHandler]):
        self.ca, leaf, key = make_ca_and_leaf(directory, hosts)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(leaf), str(key))
        self.tunnels: list[str] = []
        proxy = self

        class Connect(http.server.BaseHTTPRequestHandler):
            def do_CONNECT(self):  # noqa: N802
                proxy.tunnels.append(self.path)
                self.send_response(200, "Connection established")
                self.end_headers()
                self.wfile.flush()
                try:
                    inner = proxy.context.wrap_socket(self.connection, server_side=True)
                    handler(inner, self.client_address, self.server)
                except (ssl.SSLError, OSError):
                    pass
                self.close_connection = True

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Connect)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
