"""The Beam start-up hook: one endpoint per worker, shared by the worker's SDK processes."""

import json
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
