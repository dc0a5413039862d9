"""Every code block of the README runs as written (issue 25: examples that failed as written).

Each block is run here or by the test named in ``ELSEWHERE`` (which checks the README holds its
file verbatim); a block no test claims fails ``test_every_block_is_run_by_a_test``. Stand-ins only
where the README says a file or a service is the user's: ``client.properties``, the key and
certificate files under /etc/kafka, the Beam pipeline's cluster."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import textwrap
from pathlib import Path

import pytest

import oauthbearer
from oauthbearer import _native
from conftest import KEYS, ROOT, running

README = (ROOT / "README.md").read_text()
#: (language, text) of every fenced block, indented ones (in list items) dedented.
BLOCKS = [(lang, textwrap.dedent(body)) for lang, body in
          re.findall(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```", README, re.S | re.M)]

#: Blocks another suite runs, by their first line: that suite holds the block's file and checks the
#: README shows it verbatim.
ELSEWHERE = {
    "use oauthbearer::{AssertionSigner, Config, Dialect};": "core/tests/readme.rs",
    "// KafkaJS with KIP-1258: the client signs a short-lived assertion instead of sending a client secret.":
        "node/test/examples.test.mjs",
    "// @confluentinc/kafka-javascript (librdkafka) on AWS MSK with IAM: the AWS SDK's credential chain.":
        "node/test/examples.test.mjs",
    "// README \"Use from WebAssembly\": a wasmtime host signs a KIP-1258 assertion with the component.":
        "tests/wasm-host/tests/readme_example.rs",
    "// README \"Use from WebAssembly\": the component under jco in Node.": "tests/wasm-host/js/readme-example.test.js",
    "static_resources:": "envoy/tests/test_readme.py",
    "PROVIDER=aws REGION=eu-west-1 oauthbearer-sidecar": "tests/sidecar/test_readme.py",
    "podman load -i oauthbearer-sidecar-<v>.oci.tar": "tests/kafka/test_image.py",
}
RUN_HERE: dict[str, str] = {}


def block(first_line: str, lang: str) -> str:
    """The one README block of ``lang`` that starts with ``first_line`` (and mark it as run here)."""
    found = [body for kind, body in BLOCKS if kind == lang and body.lstrip().startswith(first_line)]
    assert len(found) == 1, (first_line, len(found))
    RUN_HERE[first_line] = lang
    return found[0]


def test_every_block_is_run_by_a_test():
    for lang, body in BLOCKS:
        first = body.strip().splitlines()[0].strip()
        claimed = [k for k in [*ELSEWHERE, *HERE] if first.startswith(k)]
        assert claimed, f"README block ({lang}) starting {first!r} is run by no test"
    for path in set(ELSEWHERE.values()):
        text = (ROOT / path).read_text()
        assert "README" in text, f"{path} does not check the README"


#: Blocks this file runs, by first line (checked by test_every_block_is_run_by_a_test).
HERE = [
    "make run", "from oauthbearer import AssertionProvider, GoogleProvider", '{"header": {"kid": "my-key-1"}',
    "import apache_beam as beam", "FROM apache/beam_python3.11_sdk", "# Azure workload identity (AKS)",
    "from pyspark.sql import SparkSession",
    "import oauthbearer",
]


def test_quick_start_commands_are_the_make_targets_ci_runs():
    """``make run`` and ``make test`` (CI runs the latter; running it here would recurse)."""
    text = block("make run", "sh")
    commands = [line.split("#")[0].strip() for line in text.splitlines() if line.startswith("make ")]
    assert commands == ["make run", "make test"]
    for command in commands:
        dry = subprocess.run([*command.split(), "-n"], cwd=ROOT, capture_output=True, text=True)
        assert dry.returncode == 0, dry.stderr
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_python_kafka_clients_block(tmp_path, monkeypatch):
    """Runs as written in a folder whose client.properties (the user's file) is a KIP-1258 client of
    a local issuer; then the adapters it names hand out the token."""
    issuer_key = _native.SigningKey.generate()
    client_key = _native.SigningKey.parse((KEYS / "ec-p256.pkcs8.pem").read_bytes())

    def endpoint(url):
        issuer = _native.LocalIssuer(url, issuer_key)
        issuer.register_client("my-client", None, [client_key.public_jwk(kid=None)])
        return oauthbearer.server.Endpoint(issuer=issuer)

    with running(endpoint) as server:
        (tmp_path / "client.properties").write_text(
            f"sasl.oauthbearer.token.endpoint.url={server.url}/token\n"
            "sasl.oauthbearer.assertion.algorithm=ES256\n"
            f"sasl.oauthbearer.assertion.private.key.file={KEYS / 'ec-p256.pkcs8.pem'}\n"
            "sasl.oauthbearer.assertion.claim.iss=my-client\nsasl.oauthbearer.assertion.claim.sub=my-client\n"
            f"sasl.oauthbearer.assertion.claim.aud={server.url}/token\n"
            "sasl.oauthbearer.assertion.claim.jti.include=true\n")
        monkeypatch.chdir(tmp_path)
        scope: dict = {}
        exec(block("from oauthbearer import AssertionProvider, GoogleProvider", "python"), scope)  # noqa: S102
        token, expiry, principal, _extensions = scope["conf"]["oauth_cb"]("")
        assert principal == "my-client" and expiry > 0 and token.count(".") == 2
        assert scope["KafkaPythonTokenProvider"](scope["provider"]).token() == token
        import asyncio
        assert asyncio.run(scope["AIOKafkaTokenProvider"](scope["provider"]).token()) == token


def test_template_block_is_what_the_signer_reads():
    template = block('{"header": {"kid": "my-key-1"}', "json").encode()
    props = {"sasl.oauthbearer.token.endpoint.url": "https://idp/token",
             "sasl.oauthbearer.assertion.algorithm": "ES256",
             "sasl.oauthbearer.assertion.private.key.file": "/etc/kafka/client.key",
             "sasl.oauthbearer.assertion.template.file": "/etc/kafka/template.json",
             "sasl.oauthbearer.assertion.claim.iss": "c"}
    key = (KEYS / "ec-p256.pkcs8.pem").read_bytes()
    header, payload = _native.AssertionSigner(props, "kafka-java", "strict", key, template).header_and_payload(
        1_767_225_600_000, None)
    assert header["kid"] == "my-key-1" and payload["scope"] == "kafka" and payload["tenant"] == "acme"
    # As the README says: a flat template is refused in strict mode, not ignored.
    with pytest.raises(oauthbearer.ConfigError) as flat:
        _native.AssertionSigner(props, "kafka-java", "strict", key, b'{"iss": "c"}')
    assert flat.value.code == "invalid_template"


def test_beam_block_configures_the_java_client_and_says_what_prepare_does(caplog):
    """The block up to the pipeline, as written (the pipeline needs the user's cluster; tests/kafka
    runs a real one on Beam's Flink runner with the same functions)."""
    text = block("import apache_beam as beam", "python")
    configuration, pipeline = text.split("with beam.Pipeline", 1)
    scope: dict = {}
    with caplog.at_level(logging.INFO, logger="oauthbearer"):
        exec(configuration, scope)  # noqa: S102
    config = scope["consumer_config"]
    assert config["sasl.oauthbearer.token.endpoint.url"] == "http://127.0.0.1:14293/token"
    assert config["sasl.mechanism"] == "OAUTHBEARER"
    assert "each starts its token endpoint" in caplog.text, "prepare() says what happens with the README's options"
    assert "ReadFromKafka(consumer_config={**consumer_config" in pipeline


def test_spark_block_gives_the_kafka_client_the_endpoint_and_uses_it_for_source_and_sink():
    """The block up to the session, as written (the queries need the user's cluster;
    tests/kafka/test_spark.py runs real ones on a Spark cluster with the same functions)."""
    text = block("from pyspark.sql import SparkSession", "python")
    configuration, queries = text.split("spark = SparkSession", 1)
    scope: dict = {}
    exec(configuration, scope)  # noqa: S102
    options = scope["options"]
    assert all(name.startswith("kafka.") for name in options)
    assert options["kafka.sasl.oauthbearer.token.endpoint.url"] == "http://127.0.0.1:14293/token"
    assert scope["spark_conf"]() == {}, "PySpark 4.2's kafka-clients 3.9 needs no allowed-URLs option"
    assert queries.count(".options(**options)") == 2, "the source and the sink"


def test_dockerfile_block_installs_the_dist_wheel_and_starts_the_endpoint(tmp_path):
    """No image is built here (no registry for the base image): its COPY matches the wheel make dist
    names, its RUN's pip argument is the wheel with an extra, and its entrypoint script is run."""
    text = block("FROM apache/beam_python3.11_sdk", "dockerfile")
    lines = [line.strip() for line in text.splitlines()]
    copy = next(line for line in lines if line.startswith("COPY "))
    pattern = copy.split()[1].removeprefix("target/dist/")
    assert Path(f"oauthbearer-0.1.0-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl").match(pattern)
    run_pip = next(line for line in lines if "pip install" in line)
    assert run_pip.endswith('[gcp]"') and "$(ls /tmp/oauthbearer-*.whl)" in run_pip
    entry = next(line for line in lines if line.startswith("RUN printf"))
    script = entry.removeprefix("RUN ").split(" > /entry.sh")[0]
    written = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True).stdout
    assert written.splitlines() == ["#!/bin/sh", "oauthbearer serve --provider gcp &", 'exec /opt/apache/beam/boot "$@"']


def test_workload_identity_properties_parse_as_the_readme_says():
    text = block("# Azure workload identity (AKS)", "properties")
    props = dict(_native.parse_properties(text))
    config = _native.parse_config(props, "kafka-java", "strict")
    assert config["grant"] == "client_assertion"
    assert config["assertion_file"] == "/var/run/secrets/azure/tokens/azure-identity-token"


def test_entra_certificate_block(monkeypatch):
    """As written, with the key and certificate files the README names under /etc/kafka replaced by
    the test's pair."""
    text = block("import oauthbearer", "python")
    text = text.replace("/etc/kafka/client.key", str(KEYS / "rsa2048.pkcs8.pem"))
    text = text.replace("/etc/kafka/client.crt", str(KEYS / "rsa2048.cert.pem"))
    scope: dict = {}
    exec(text, scope)  # noqa: S102
    assertion = scope["provider"]._assertions.assertion(1_767_225_600_000)[0]
    header = json.loads(_native_b64(assertion.split(".")[0]))
    assert header["alg"] == "PS256" and "x5t#S256" in header and "x5t" not in header


def _native_b64(part: str) -> str:
    import base64
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode()
