"""The README's "Run as a sidecar" block, run as written: each command line of it, with
`oauthbearer-sidecar` the binary `make sidecar-test` built (debug), stand-in AWS keys in the environment and a
stand-in `client.properties` (KIP-1258 to a loopback IdP) in the working directory; `curl` is
answered while each runs."""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import time
import urllib.parse

from conftest import ROOT, binary, clean_env
from loopback import Loopback, Quiet, answer

from oauthbearer import _native

FIRST_LINE = "PROVIDER=aws REGION=eu-west-1 oauthbearer-sidecar"
README = (ROOT / "README.md").read_text()


def readme_block() -> list[str]:
    blocks = [b for b in re.findall(r"^```sh\n(.*?)^```", README, re.S | re.M) if b.startswith(FIRST_LINE)]
    assert len(blocks) == 1
    return [line.split("  #", 1)[0].strip() for line in blocks[0].splitlines() if line.strip()]


def test_the_readme_block_runs_as_written(tmp_path):
    serve_aws, serve_assertion, curl = readme_block()
    key = ROOT / "tests" / "keys" / "ec-p256.pkcs8.pem"
    issuer = _native.LocalIssuer("https://idp.test", _native.SigningKey.parse(key.read_bytes()))

    class Idp(Quiet):
        def do_POST(self):  # noqa: N802
            form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode()))
            assert form["client_assertion_type"].endswith("jwt-bearer")
            token = issuer.sign_access_token("app", int(time.time() * 1000), 3600).token
            answer(self, 200, json.dumps({"access_token": token, "token_type": "Bearer", "expires_in": 3600}))

    idp = Loopback(Idp)
    url = f"http://127.0.0.1:{idp.port}/token"
    (tmp_path / "client.properties").write_text(
        f"sasl.oauthbearer.token.endpoint.url={url}\nsasl.oauthbearer.assertion.algorithm=ES256\n"
        f"sasl.oauthbearer.assertion.private.key.file={key}\nsasl.oauthbearer.assertion.claim.iss=app\n"
        f"sasl.oauthbearer.assertion.claim.sub=app\nsasl.oauthbearer.assertion.claim.aud={url}\n")
    stand_ins = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_EC2_METADATA_DISABLED": "true",
                 "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "HOME": str(tmp_path)}
    try:
        for line in (serve_aws, serve_assertion):
            words = shlex.split(line)
            assignments = dict(w.split("=", 1) for w in words if re.match(r"^[A-Z_]+=", w))
            command = [binary() if w == "oauthbearer-sidecar" else w for w in words if w not in
                       [f"{k}={v}" for k, v in assignments.items()]]
            proc = subprocess.Popen(command, cwd=tmp_path, env=clean_env(**stand_ins, **assignments),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                assert "on http://127.0.0.1:14293" in proc.stdout.readline()
                # As a readiness probe does: ask until the first token is in.
                end = time.monotonic() + 20
                while True:
                    answered = json.loads(subprocess.run(shlex.split(curl), capture_output=True, text=True,
                                                         timeout=30).stdout)
                    if answered["status"] == "ready" or time.monotonic() > end:
                        break
                    assert answered["code"] == "token_pending", answered
                    time.sleep(0.05)  # polling readiness, as a probe does
                assert answered["status"] == "ready" and answered["expires_in"] > 800, (line, answered)
            finally:
                proc.send_signal(signal.SIGTERM)
                assert proc.wait(15) == 0, proc.communicate()[1]
                proc.communicate()
    finally:
        idp.close()
