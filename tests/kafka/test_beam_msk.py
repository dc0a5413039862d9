"""MSK from Beam, the way that works: AWS's own Java library (aws-msk-iam-auth, on the expansion
service's classpath — tests/beam/pom.xml puts it on the Flink test's) with its OAUTHBEARER login
handler, configured by ``oauthbearer.beam.msk_kafka_config``. No MSK runs here: the test runs AWS's
handler itself (tests/beam/MskToken.java) from exactly those properties and compares its token
with the core's for the same credentials, byte for byte."""

from __future__ import annotations

import pytest

from oauthbearer import _native, beam

from conftest import ROOT
from msk_compare import assert_core_makes, require, run_java

BEAM = ROOT / "target" / "beam"


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1"])
def test_aws_msk_iam_auth_from_msk_kafka_config_makes_the_token_the_core_makes(region):
    properties = beam.msk_kafka_config(f"b-1.demo.abc123.c2.kafka.{region}.amazonaws.com:9098")
    assert properties["sasl.login.callback.handler.class"] == beam.MSK_LOGIN_HANDLER
    require(BEAM / "classes" / "MskToken.class", "beam")
    [theirs] = run_java(f"{BEAM / 'classes'}:{BEAM / 'lib'}/*", "MskToken", properties, region)
    assert_core_makes(theirs, region)


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
