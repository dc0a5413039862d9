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


def test_kafka_config_names_the_login_handler_of_the_kafka_clients_version():
    modern = beam.kafka_config("broker:9093")
    assert modern["sasl.login.callback.handler.class"] == beam.LOGIN_HANDLER
    assert modern["sasl.oauthbearer.token.endpoint.url"] == "http://127.0.0.1:14293/token"
    assert modern["security.protocol"] == "SASL_SSL" and modern["sasl.mechanism"] == "OAUTHBEARER"
    assert beam.kafka_config("broker:9093", kafka_clients_version="3.9.1")["sasl.login.callback.handler.class"] == \
        beam.LOGIN_HANDLER_3X
    assert beam.allowed_urls_jvm_option() == \
        "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=http://127.0.0.1:14293/token"


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
        token = body["access_token"]
        signed_url = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        # (this worker process serves the endpoint, it is not the launcher, an MSK IAM token came back)
        yield (hook._server is not None, os.getpid() != LAUNCHER, body["token_type"], signed_url.split("?")[0])


options = PipelineOptions(["--runner=DirectRunner", "--direct_running_mode=multi_processing",
                           "--direct_num_workers=1", "--beam_plugins=oauthbearer.beam.LocalTokenEndpoint"])
with beam.Pipeline(options=options) as pipeline:
    tokens = pipeline | beam.Create([0]) | beam.ParDo(FetchToken())
    assert_that(tokens, equal_to([(True, True, "Bearer", "https://kafka.eu-west-1.amazonaws.com/")]))
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
    env = {**os.environ, "PROVIDER": "aws", "REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
           "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_EC2_METADATA_DISABLED": "true",
           "OAUTHBEARER_BEAM_PORT": str(port)}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0 and "pipeline ok" in done.stdout, done.stderr[-3000:]
