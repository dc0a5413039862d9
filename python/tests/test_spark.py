"""oauthbearer.spark: Spark Kafka options for the cluster's build of Kafka's Java client, and what
explain says about them (the core's Spark rules). The Spark cluster itself runs in
tests/kafka/test_spark.py."""

import json
import subprocess
import sys
import types

import pytest

from oauthbearer import _native, spark
from oauthbearer.kafka_java import LOGIN_HANDLER, LOGIN_HANDLER_3X, LOGIN_MODULE, MSK_LOGIN_HANDLER

BOOTSTRAP = "broker:9093"


def errors(options, **context):
    return [(code, fix) for severity, code, _m, fix in _native.explain(options, "kafka-java", **context)
            if severity == "error"]


def test_every_option_has_the_prefix_and_names_the_handler_the_spark_release_has():
    options = spark.kafka_options(BOOTSTRAP, spark_version="4.2.0")
    assert all(name.startswith("kafka.") for name in options)
    assert options["kafka.sasl.login.callback.handler.class"] == LOGIN_HANDLER
    assert options["kafka.sasl.oauthbearer.token.endpoint.url"] == "http://127.0.0.1:14293/token"
    assert options["kafka.sasl.login.retry.backoff.max.ms"] == "120000"
    assert options["kafka.sasl.jaas.config"].startswith(LOGIN_MODULE + " required")
    # Spark 3.4 runs kafka-clients 3.3, which has the handler only under its secured. name.
    assert spark.kafka_options(BOOTSTRAP, spark_version="3.4.1")["kafka.sasl.login.callback.handler.class"] == \
        LOGIN_HANDLER_3X
    assert spark.kafka_options(BOOTSTRAP, kafka_clients_version="3.4")["kafka.sasl.login.callback.handler.class"] == \
        LOGIN_HANDLER
    for version in ("3.4.1", "3.5.7", "4.0.1", "4.1.0", "4.2.0"):
        assert errors(spark.kafka_options(BOOTSTRAP, spark_version=version), client="spark",
                      client_version=version) == [], version


def test_a_spark_without_a_token_endpoint_handler_or_a_bad_version_is_refused_with_the_fix():
    with pytest.raises(_native.ConfigError) as refused:
        spark.kafka_options(BOOTSTRAP, spark_version="3.3.2")  # kafka-clients 2.8
    assert refused.value.code == "invalid_config" and "Kafka 3.1" in str(refused.value)
    for version in ("latest", "3.x", ""):
        with pytest.raises(_native.ConfigError) as refused:
            spark.kafka_options(BOOTSTRAP, kafka_clients_version=version or " ")
        assert refused.value.code == "invalid_config" and "MAJOR.MINOR" in str(refused.value)
    # A Spark version the table does not know (or not a version) takes the newest known client's.
    assert spark.kafka_options(BOOTSTRAP, spark_version="latest")["kafka.sasl.login.callback.handler.class"] == \
        LOGIN_HANDLER


def test_the_spark_version_is_the_installed_pysparks_unless_given(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", types.SimpleNamespace(__version__="3.4.1"))
    assert spark.connector_kafka_clients_version() == "3.3"
    monkeypatch.setitem(sys.modules, "pyspark", None)  # not installed: import fails
    assert spark.connector_kafka_clients_version() == spark.DEFAULT_KAFKA_CLIENTS_VERSION
    assert spark.connector_kafka_clients_version("2.4.8") == spark.DEFAULT_KAFKA_CLIENTS_VERSION
    assert _native.spark_kafka_clients_version("4.2.0") == "3.9"


def test_shaded_options_name_databricks_classes_and_explain_knows_which_build_takes_which():
    shaded = spark.kafka_options(BOOTSTRAP, shaded=True, spark_version="4.2.0")
    assert shaded["kafka.sasl.login.callback.handler.class"] == "kafkashaded." + LOGIN_HANDLER
    assert shaded["kafka.sasl.jaas.config"].startswith("kafkashaded." + LOGIN_MODULE + " required")
    assert errors(shaded, client="databricks") == []
    assert [code for code, _ in errors(shaded, client="spark", client_version="4.2.0")] == \
        ["shaded_class_on_plain_client"] * 2
    plain = spark.kafka_options(BOOTSTRAP, spark_version="4.2.0")
    found = errors(plain, client="databricks")
    assert {code for code, _ in found} == {"plain_class_on_shaded_client"} and len(found) == 2
    assert {fix for _, fix in found} == {f"name the shaded class: kafkashaded.{LOGIN_HANDLER}",
                                         f"name the shaded class: kafkashaded.{LOGIN_MODULE}"}


def test_spark_conf_allows_the_url_only_for_kafka_clients_4():
    assert spark.spark_conf(spark_version="4.2.0") == {}
    option = "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=http://127.0.0.1:14293/token"
    assert spark.spark_conf(kafka_clients_version="4.1") == {"spark.driver.extraJavaOptions": option,
                                                             "spark.executor.extraJavaOptions": option}
    # The files a KIP-1258 client reads are allowed from 4.1, when it has the property.
    assert spark.spark_conf(kafka_clients_version="4.0", allowed_files=["/k.pem"])["spark.driver.extraJavaOptions"] \
        == option
    both = f"{option} -Dorg.apache.kafka.sasl.oauthbearer.allowed.files=/k.pem,/t.json"
    assert spark.spark_conf(kafka_clients_version="4.3", allowed_files=["/k.pem", "/t.json"]) == \
        {"spark.driver.extraJavaOptions": both, "spark.executor.extraJavaOptions": both}


def test_msk_options_plain_and_as_databricks_documents_them():
    options = spark.msk_options("b-1.demo.abc123.c2.kafka.us-east-1.amazonaws.com:9098",
                                role_arn="arn:aws:iam::123456789012:role/spark")
    assert options["kafka.sasl.login.callback.handler.class"] == MSK_LOGIN_HANDLER
    assert 'awsRoleSessionName="oauthbearer"' in options["kafka.sasl.jaas.config"]
    shaded = spark.msk_options("b-1.demo.abc123.c2.kafka.us-east-1.amazonaws.com:9098", shaded=True,
                               role_arn="arn:aws:iam::123456789012:role/spark")
    assert shaded == {
        "kafka.bootstrap.servers": "b-1.demo.abc123.c2.kafka.us-east-1.amazonaws.com:9098",
        "kafka.security.protocol": "SASL_SSL",
        "kafka.sasl.mechanism": "AWS_MSK_IAM",
        "kafka.sasl.jaas.config": "shadedmskiam.software.amazon.msk.auth.iam.IAMLoginModule required "
                                  'awsRoleArn="arn:aws:iam::123456789012:role/spark" awsRoleSessionName="oauthbearer";',
        "kafka.sasl.client.callback.handler.class":
            "shadedmskiam.software.amazon.msk.auth.iam.IAMClientCallbackHandler",
    }
    for given, client in ((options, "spark"), (shaded, "databricks")):
        found = {code for _s, code, _m, _f in _native.explain(given, "kafka-java", client=client)}
        assert not found & {"msk_session_name_changes", "msk_token_from_url", "plain_class_on_shaded_client",
                            "shaded_class_on_plain_client"}, (client, found)
    # The token-URL way is what explain refuses for MSK, behind Spark's prefix too.
    url_way = spark.kafka_options("b-1.demo.abc123.c2.kafka.us-east-1.amazonaws.com:9098", spark_version="4.2.0")
    assert "msk_token_from_url" in {code for code, _ in errors(url_way, client="spark")}


def test_cli_explain_reads_spark_options(tmp_path):
    options = {**spark.kafka_options(BOOTSTRAP, kafka_clients_version="3.4"), "subscribe": "events",
               "sasl.oauthbearer.scope": "kafka"}
    config = tmp_path / "spark.properties"
    config.write_text("".join(f"{k}={v}\n" for k, v in options.items()))
    done = subprocess.run([sys.executable, "-m", "oauthbearer", "explain", "--config", str(config),
                           "--library", "spark==3.4.1"], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    codes = [f["code"] for f in json.loads(done.stdout)["findings"] if f["severity"] == "error"]
    assert codes == ["spark_unprefixed_option", "class_missing_in_client"], codes
