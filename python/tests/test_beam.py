"""The Beam start-up hook: one endpoint per worker, shared by the worker's SDK processes."""

import json
import os
import subprocess
import sys
import textwrap

from oauthbearer import _native, beam
from oauthbearer.providers import LocalIssuerProvider


def test_start_is_idempotent_and_a_taken_port_means_already_served():
    provider = LocalIssuerProvider(_native.LocalIssuer("http://x", _native.SigningKey.generate()), "beam")
    server = beam.start(provider, port=0)
    try:
        assert server is not None and beam.start(provider, port=0) is server
        host, port = server.server_address[:2]
        child = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
            from oauthbearer import beam, _native
            from oauthbearer.providers import LocalIssuerProvider
            p = LocalIssuerProvider(_native.LocalIssuer("http://x", _native.SigningKey.generate()), "other")
            print(beam.start(p, port={port}))
        """)], capture_output=True, text=True, check=True)
        assert child.stdout.strip() == "None", "a second process relies on the first one's endpoint"
        import http.client
        conn = http.client.HTTPConnection(host, port, timeout=5)
        conn.request("GET", "/")
        body = json.loads(conn.getresponse().read())
        assert _native.check_access_token(body["access_token"]).principal == "beam"
    finally:
        server.shutdown()
        server.server_close()
        beam._server = None


def test_worker_import_autostarts_only_in_the_sdk_harness():
    code = "import oauthbearer.beam as b; print(b._server is not None)"
    launcher = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert launcher.stdout.strip() == "False"


def test_kafka_config_fits_the_kafka_clients_beam_runs():
    """Beam's expansion runs kafka-clients 3.9: the login handler's current name (3.4+), no
    allowed-URLs JVM option (3.x allows every URL), and a login retry budget past worker start-up."""
    beam_default = beam.kafka_config("broker:9093")
    assert beam_default["sasl.login.callback.handler.class"] == beam.LOGIN_HANDLER
    assert beam_default["sasl.oauthbearer.token.endpoint.url"] == "http://127.0.0.1:14293/token"
    assert beam_default["security.protocol"] == "SASL_SSL" and beam_default["sasl.mechanism"] == "OAUTHBEARER"
    assert beam_default["sasl.login.retry.backoff.max.ms"] == "120000"
    assert not beam.needs_allowed_urls() and beam.needs_allowed_urls("4.1.0")
    assert beam.kafka_config("broker:9093", kafka_clients_version="3.3.2")["sasl.login.callback.handler.class"] == \
        beam.LOGIN_HANDLER_3X
    assert beam.kafka_config("broker:9093", kafka_clients_version="4.1")["sasl.login.callback.handler.class"] == \
        beam.LOGIN_HANDLER
    assert beam.allowed_urls_jvm_option() == \
        "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=http://127.0.0.1:14293/token"


def test_prepare_serves_loopback_workers_here_and_warns_where_the_plugin_cannot_apply(caplog):
    """LOOPBACK and EXTERNAL workers never import --beam_plugins: prepare() starts the endpoint in a
    LOOPBACK launcher (its workers are in-process) and says what to do for EXTERNAL ones, and for
    Docker workers without the plugin named; with it named, it stays quiet."""
    import logging
    from apache_beam.options.pipeline_options import PipelineOptions

    provider = LocalIssuerProvider(_native.LocalIssuer("http://x", _native.SigningKey.generate()), "beam")
    caplog.set_level(logging.INFO, logger="oauthbearer.beam")
    server = beam.prepare(PipelineOptions(["--environment_type=LOOPBACK"]), port=0, provider=provider)
    try:
        assert server is not None and "serving tokens for them on http://127.0.0.1:" in caplog.text
    finally:
        server.shutdown()
        server.server_close()
        beam._server = None
    caplog.clear()
    assert beam.prepare(PipelineOptions(["--environment_type=EXTERNAL",
                                         "--environment_config=localhost:50000"]), port=14293) is None
    assert "EXTERNAL workers do not import --beam_plugins" in caplog.text and "oauthbearer serve" in caplog.text
    caplog.clear()
    assert beam.prepare(PipelineOptions(["--environment_type=DOCKER"])) is None
    assert "--beam_plugins does not name oauthbearer.beam.LocalTokenEndpoint" in caplog.text
    caplog.clear()
    # The README's options: nothing to do here, and it says so (issue 25: it said nothing).
    assert beam.prepare(PipelineOptions(["--beam_plugins=oauthbearer.beam.LocalTokenEndpoint"])) is None
    assert "each starts its token endpoint on 127.0.0.1:14293" in caplog.text, caplog.text


def test_a_worker_with_provider_aws_logs_why_no_endpoint_starts_and_keeps_running():
    """No token URL can serve MSK IAM to Beam's Java Kafka client: the worker hook refuses
    PROVIDER=aws with a typed error in the log (pointing at msk_kafka_config), not a dead worker."""
    child = subprocess.run([sys.executable, "-c", "import oauthbearer.beam as b; print(b._server)"],
                           capture_output=True, text=True, timeout=60,
                           env={**os.environ, "PIPELINE_OPTIONS": "{}", "PROVIDER": "aws", "REGION": "us-east-1"})
    assert child.returncode == 0 and child.stdout.strip() == "None", child.stderr
    assert "[invalid_config] MSK IAM tokens are SigV4-presigned URLs" in child.stderr
    assert "msk_kafka_config" in child.stderr and "Traceback" not in child.stderr


PIPELINE = """
import base64, json, os, urllib.request
import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import assert_that, equal_to

LAUNCHER = os.getpid()


class FetchToken(beam.DoFn):
    def process(self, _):
        from oauthbearer import beam as hook
        url = f"http://127.0.0.1:{os.environ['OAUTHBEARER_BEAM_PORT']}/token"
        with urllib.request.urlopen(url, timeout=10) as answer:
            body = json.loads(answer.read())
        payload = body["access_token"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        # (this worker process serves the endpoint, it is not the launcher, the local issuer's token came back)
        yield (hook._server is not None, os.getpid() != LAUNCHER, body["token_type"], claims["sub"])


options = PipelineOptions(["--runner=DirectRunner", "--direct_running_mode=multi_processing",
                           "--direct_num_workers=1", "--beam_plugins=oauthbearer.beam.LocalTokenEndpoint"])
with beam.Pipeline(options=options) as pipeline:
    tokens = pipeline | beam.Create([0]) | beam.ParDo(FetchToken())
    assert_that(tokens, equal_to([(True, True, "Bearer", "beam")]))
print("pipeline ok")
"""


def test_a_directrunner_worker_runs_the_endpoint_from_the_plugin(tmp_path):
    """`--beam_plugins=oauthbearer.beam.LocalTokenEndpoint` in a real Beam pipeline (DirectRunner with
    SDK worker processes): the endpoint starts inside the worker and serves a token there."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = tmp_path / "pipeline.py"
    script.write_text(PIPELINE)
    env = {**os.environ, "PROVIDER": "local", "OAUTHBEARER_BEAM_PORT": str(port)}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0 and "pipeline ok" in done.stdout, done.stderr[-3000:]
