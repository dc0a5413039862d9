"""Keycloak 26 (the IdP of most self-hosted Kafka OAuth set-ups), fetched with Maven by `make keycloak`
into target/keycloak and started here in development mode on a free loopback port, once for the
suite; a realm of its own for each run, set up through the admin REST API (keycloak_admin.py);
and a second Kafka broker that validates Keycloak's tokens through Keycloak's JWKS."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import MEASURED, free_port, peak_rss_mib, running_broker
from keycloak_admin import AUDIENCE, KeycloakAdmin

ROOT = Path(__file__).resolve().parents[2]
KEYCLOAK = ROOT / "target" / "keycloak" / "dist" / "keycloak-26.4.0"
ADMIN = ("admin", "admin-e2e-password")
#: The client-secret client (librdkafka's OIDC mode, and the broker's readiness probe).
SECRET_CLIENT = ("app-secret", "app-secret-PLANTED-value")


@dataclass
class Keycloak:
    base: str
    realm: str
    admin: KeycloakAdmin
    log: Path

    @property
    def issuer(self) -> str:
        return f"{self.base}/realms/{self.realm}"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/token"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/protocol/openid-connect/certs"


@pytest.fixture(scope="session")
def keycloak():
    if not (KEYCLOAK / "bin" / "kc.sh").is_file():
        pytest.fail("Keycloak is missing: run `make keycloak` (the test command does)")
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="oauthbearer-keycloak-")) / "keycloak.log"
    env = {**os.environ, "KC_BOOTSTRAP_ADMIN_USERNAME": ADMIN[0], "KC_BOOTSTRAP_ADMIN_PASSWORD": ADMIN[1],
           "JAVA_OPTS_KC_HEAP": "-Xms64m -Xmx512m"}
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen([str(KEYCLOAK / "bin" / "kc.sh"), "start-dev", f"--http-port={port}",
                                    "--http-host=127.0.0.1"], stdout=out, stderr=subprocess.STDOUT, env=env,
                                   start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                pytest.fail(f"Keycloak exited with {process.returncode}; see {log}")
            try:
                with urllib.request.urlopen(f"{base}/realms/master", timeout=2):
                    break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"Keycloak did not answer within 180 s; see {log}")
                time.sleep(0.5)  # polling the port until Keycloak answers
        ready = time.monotonic() - started
        admin = KeycloakAdmin(base, *ADMIN)
        realm = f"kafka-{os.getpid()}-{int(time.time())}"
        admin.create_realm(realm)
        admin.create_client(realm, SECRET_CLIENT[0], secret=SECRET_CLIENT[1])
        yield Keycloak(base, realm, admin, log)
    finally:
        MEASURED.append(f"Keycloak: ready in {ready if 'ready' in locals() else float('nan'):.1f} s, "
                        f"peak RSS {peak_rss_mib(process.pid)} MiB; log {log}")
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def keycloak_secret_conf(bootstrap: str, keycloak: Keycloak) -> dict:
    """confluent-kafka in librdkafka's OIDC mode with Keycloak's client-secret client."""
    return {
        "bootstrap.servers": bootstrap,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanisms": "OAUTHBEARER",
        "sasl.oauthbearer.method": "oidc",
        "sasl.oauthbearer.token.endpoint.url": keycloak.token_url,
        "sasl.oauthbearer.client.id": SECRET_CLIENT[0],
        "sasl.oauthbearer.client.secret": SECRET_CLIENT[1],
    }


@pytest.fixture(scope="session")
def keycloak_broker(keycloak):
    """A broker whose listener validates Keycloak's access tokens: Keycloak's JWKS, the realm as the
    expected issuer, AUDIENCE (the clients' audience mapper) as the expected audience."""
    assert AUDIENCE == "kafka"
    with running_broker(keycloak.jwks_url, keycloak.issuer, lambda b: keycloak_secret_conf(b, keycloak)) as broker:
        yield broker
