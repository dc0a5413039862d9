"""MSK from Beam, the way that works: AWS's own Java library (aws-msk-iam-auth, on the expansion
service's classpath — tests/beam/pom.xml puts it on the Flink test's) with its OAUTHBEARER login
handler, configured by ``oauthbearer.beam.msk_kafka_config``. No MSK runs here: the test runs AWS's
handler itself (tests/beam/MskToken.java) from exactly those properties and compares its token
with the core's for the same credentials, byte for byte."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path

import pytest

from oauthbearer import _native, beam

from conftest import ROOT

BEAM = ROOT / "target" / "beam"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
               "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
               "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEXAMPLE/+=="}


def aws_library_token(properties: dict[str, str], region: str) -> dict:
    if not (BEAM / "classes" / "MskToken.class").is_file():
        pytest.fail("the Beam jars or MskToken are missing: run `make beam` (the test command does)")
    work = Path(tempfile.mkdtemp(prefix="oauthbearer-msk-"))
    config = work / "client.properties"
    config.write_text("".join(f"{k}={v}\n" for k, v in properties.items()))
    # Only the credentials and region the handler reads: no profile, no instance metadata.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "AWS_REGION": region,
           "AWS_EC2_METADATA_DISABLED": "true", **CREDENTIALS}
    done = subprocess.run([shutil.which("java") or "java", "-cp", f"{BEAM / 'classes'}:{BEAM / 'lib'}/*", "MskToken",
                           str(config)], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def signed_url(token: str) -> str:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1"])
def test_aws_msk_iam_auth_from_msk_kafka_config_makes_the_token_the_core_makes(region):
    properties = beam.msk_kafka_config(f"b-1.demo.abc123.c2.kafka.{region}.amazonaws.com:9098")
    assert properties["sasl.login.callback.handler.class"] == beam.MSK_LOGIN_HANDLER
    theirs = aws_library_token(properties, region)
    url = signed_url(theirs["token"])
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    now_ms = int(signed_at.timestamp() * 1000)
    # The jar asks for 900 s, but AWS's SDK presigner takes X-Amz-Expires as the whole seconds between
    # the expiry the jar computed and the signer's own later clock read: 899 when a millisecond passed
    # between the two (CI saw it once in a few runs). The core asks for 900 s; the comparison signs
    # for what the jar signed, so that only the bytes are compared, not its clock.
    expires = int(query["X-Amz-Expires"])
    assert expires in (899, 900), query["X-Amz-Expires"]
    ours = _native.msk_token(CREDENTIALS["AWS_ACCESS_KEY_ID"], CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                             CREDENTIALS["AWS_SESSION_TOKEN"], None, region, now_ms, "java", query["User-Agent"],
                             max_expires_seconds=expires)
    assert ours.value == theirs["token"], (signed_url(ours.value), url)
    assert ours.expires_at_ms == theirs["lifetime_ms"] == now_ms + expires * 1000
    assert theirs["principal"] == "kafka-cluster"


def test_msk_kafka_config_fixes_the_role_session_name_and_explain_accepts_it():
    """With a role, AWS's library assumes it under the fixed session name (the principal MSK sees
    does not change at re-authentication); explain finds no MSK trap in the properties."""
    properties = beam.msk_kafka_config("b-1.demo.abc123.c2.kafka.us-east-1.amazonaws.com:9098",
                                       role_arn="arn:aws:iam::123456789012:role/beam")
    assert 'awsRoleArn="arn:aws:iam::123456789012:role/beam"' in properties["sasl.jaas.config"]
    assert 'awsRoleSessionName="oauthbearer"' in properties["sasl.jaas.config"]
    codes = {code for _s, code, _m, _f in _native.explain(properties, "kafka-java", (3, 9))}
    assert not codes & {"msk_session_name_changes", "msk_token_from_url"}, codes
    # The token-URL way is what explain refuses for MSK.
    url_way = {**beam.kafka_config("b-1.demo.abc123.c2.kafka.us-east-1.amazonaws.com:9098")}
    assert "msk_token_from_url" in {code for _s, code, _m, _f in _native.explain(url_way, "kafka-java", (3, 9))}
