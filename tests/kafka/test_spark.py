"""Apache Spark on a real cluster: a PySpark Structured Streaming job (spark_job.py) writes records
with the Kafka sink and reads them back with the Kafka source, through the Kafka 4.3 broker of
conftest.py with SASL/OAUTHBEARER. The master is ``local-cluster``: a standalone master and worker
inside the driver's JVM and the executor in a JVM of its own, where Spark's Kafka connector
(spark-sql-kafka-0-10 4.2.0, kafka-clients 3.9.2) runs Kafka's Java client. The client fetches its
tokens from ``oauthbearer serve`` on 127.0.0.1:14293 — the endpoint a node's init script or sidecar
starts — configured by ``oauthbearer.spark.kafka_options`` with its defaults; the endpoint gets
KIP-1258 tokens from the broker's issuer.

`make spark` installs PySpark (tests/spark/requirements.txt) and fetches the connector with Maven
into target/spark (tests/spark/pom.xml)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from oauthbearer import _native, spark
from oauthbearer.kafka_java import LOGIN_HANDLER, LOGIN_MODULE
from oauthbearer.server import DEFAULT_PORT

from conftest import (ASSERTION_CLIENTS, MEASURED, RETRY_LINE, ROOT, Sidecar, assertion_sidecar_properties, consume,
                      wait_for_log)
from msk_compare import assert_core_makes, require, run_java

SPARK = ROOT / "target" / "spark"
JOB = Path(__file__).parent / "spark_job.py"
COUNT = 25
#: The Spark JVMs' logging: Kafka's security classes at INFO (the retry and login lines), the rest
#: at WARN.
LOG4J = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = STDERR
appender.console.type = Console
appender.console.name = STDERR
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
logger.kafka.name = org.apache.kafka.common.security
logger.kafka.level = info
"""


def spark_home(work: Path) -> Path:
    """A SPARK_HOME of links to the installed PySpark's, with our log configuration and the
    worker's directory (executor logs under work/) inside the test's own directory."""
    import pyspark
    installed = Path(pyspark.__file__).parent
    home = work / "spark-home"
    home.mkdir()
    for part in ("bin", "jars", "python", "sbin"):
        (home / part).symlink_to(installed / part)
    (home / "conf").mkdir()
    (home / "conf" / "log4j2.properties").write_text(LOG4J)
    return home


def connector_jars() -> list[str]:
    """The connector's jars for ``spark.jars`` (kafka-clients 3.9.2 among them)."""
    jars = sorted(str(p) for p in (SPARK / "connector").glob("*.jar"))
    if not (SPARK / "connector" / ".fetched").is_file() or not jars:
        pytest.fail("the Spark Kafka connector is missing: run `make spark` (the test command does)")
    return jars


def executor_logs(home: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in sorted((home / "work").glob("app-*/*/stderr")))


def test_structured_streaming_writes_and_reads_kafka_with_tokens_from_the_endpoint(broker, issuer):
    """The job starts before the endpoint is up, as on a node whose init script is still
    starting it: kafka_options' login retry budget keeps the executor's producer retrying past
    Kafka's default 10 s; the endpoint comes up after the eighth failed fetch (12.7 s in, when a
    client with Kafka's defaults would have failed the query) and both queries succeed. The records
    read back equal the records written; an independent consumer agrees."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", DEFAULT_PORT)) == 0:
            pytest.fail(f"something already listens on 127.0.0.1:{DEFAULT_PORT}; the test serves tokens there")
    jars = ",".join(connector_jars())
    work = Path(tempfile.mkdtemp(prefix="oauthbearer-spark-"))
    home = spark_home(work)
    topic = f"spark-{os.getpid()}-{int(time.time())}"
    driver_log = work / "driver.log"
    started = time.monotonic()
    with driver_log.open("wb") as log:
        job = subprocess.Popen([sys.executable, str(JOB), broker.bootstrap, topic, str(COUNT), str(work / "job"), jars],
                               stdout=subprocess.PIPE, stderr=log, text=True,
                               env={**os.environ, "SPARK_HOME": str(home), "PYSPARK_PYTHON": sys.executable})
    sidecar = None
    try:
        wait_for_log(lambda: executor_logs(home) + driver_log.read_text(errors="replace"), RETRY_LINE,
                     lambda m: int(m.group(1)) >= 8 and int(m.group(2)) >= 1000, job, 240)
        sidecar = Sidecar(assertion_sidecar_properties(issuer), DEFAULT_PORT, work)
        endpoint_up = time.monotonic() - started
        try:
            out, _ = job.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            job.kill()
            pytest.fail(f"the Spark job did not finish in 300 s; logs: {work}")
        assert job.returncode == 0, f"the Spark job failed ({job.returncode}); logs: {work}\n" \
                                    f"{driver_log.read_text(errors='replace')[-4000:]}"
        result = json.loads(out.strip().splitlines()[-1])
        fetches = sidecar.fetches()
    finally:
        if job.poll() is None:
            job.kill()
        if sidecar:
            sidecar.stop()
    total_seconds = time.monotonic() - started

    expected = sorted([f"key-{i}", json.dumps({"n": i, "text": f"record {i}"})] for i in range(COUNT))
    assert result["read"] == expected
    got = consume(broker, issuer, topic, COUNT)
    assert sorted([k.decode(), v.decode()] for k, v in got.items()) == expected
    # Each JVM's clients share one login (Kafka's LoginManager): the executor's producer (kept in
    # Spark's producer cache) and its consumer log in once; the driver's admin client, which reads
    # the offsets, once. One token each.
    executor_logins = executor_logs(home).count("Successfully logged in")
    driver_logins = driver_log.read_text(errors="replace").count("Successfully logged in")
    assert (executor_logins, driver_logins) == (1, 1), f"logins: executor {executor_logins}, driver {driver_logins}; " \
                                                        f"logs {work}"
    assert fetches == 2, f"{fetches} tokens served for 2 logins; {sidecar.log}"
    rss = result["peak_rss_mib"]
    MEASURED.append(f"Spark (local-cluster, 1 executor): job {total_seconds:.1f} s from launch (the endpoint up "
                    f"{endpoint_up:.1f} s in), session {result['session_seconds']:.1f} s, write query "
                    f"{result['write_seconds']:.1f} s, read query {result['read_seconds']:.1f} s; {fetches} token "
                    f"fetches (executor 1, driver 1); peak RSS driver {rss['driver']} MiB, executor "
                    f"{rss['executors']} MiB; logs {work}")


def test_kip1258_in_spark_itself_with_kafka_clients_4_3_in_place_of_spark_s_own(broker, issuer):
    """No Spark release brings a kafka-clients with KIP-1258 (Spark 4.2: 3.9.2), but Spark 4.2's
    connector runs on kafka-clients 4.3.1 put in its place (with jose4j, which 4.x needs): then the
    client signs its own assertions — the direct KIP-1258 configuration, no endpoint — as Spark
    options (``spark.prefixed`` of the client properties), with ``spark_conf`` allowing the IdP's
    URL and the key file in both JVMs. Each JVM logs in once: two assertions reach the issuer."""
    kafka_lib = ROOT / "target" / "kafka" / "lib"
    jars = [jar for jar in connector_jars() if not Path(jar).name.startswith("kafka-clients-")]
    jars += [str(next(kafka_lib.glob(f"{name}-*.jar"))) for name in ("kafka-clients", "jose4j")]
    assert "kafka-clients-4.3.1.jar" in ",".join(jars)
    key = str(ASSERTION_CLIENTS["java-es256"])
    options = spark.prefixed({
        "bootstrap.servers": broker.bootstrap,
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "OAUTHBEARER",
        "sasl.login.callback.handler.class": LOGIN_HANDLER,
        "sasl.jaas.config": f"{LOGIN_MODULE} required;",
        "sasl.oauthbearer.client.credentials.client.id": "java-es256",
        **{k: str(v) for k, v in assertion_sidecar_properties(issuer).items()},
    })
    def errors(**context) -> list[str]:
        return [code for severity, code, _m, _f in _native.explain(options, "kafka-java", **context)
                if severity == "error"]

    assert errors(kafka_version=(4, 3)) == []
    # Spark's own kafka-clients (3.9.2) knows none of the assertion settings: explain says so.
    assert errors(client="spark", client_version="4.2.0") == ["property_missing_in_client"]
    work = Path(tempfile.mkdtemp(prefix="oauthbearer-spark-kip1258-"))
    home = spark_home(work)
    settings = work / "settings.json"
    settings.write_text(json.dumps({
        "options": options,
        "conf": spark.spark_conf(token_url=issuer.token_url, kafka_clients_version="4.3", allowed_files=[key]),
    }))
    topic = f"spark-kip1258-{os.getpid()}-{int(time.time())}"
    before = len(issuer.bodies)
    done = subprocess.run([sys.executable, str(JOB), broker.bootstrap, topic, str(COUNT), str(work / "job"),
                           ",".join(jars), str(settings)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "SPARK_HOME": str(home)})
    assert done.returncode == 0, f"logs {work}\n{done.stderr[-4000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["read"] == sorted([f"key-{i}", json.dumps({"n": i, "text": f"record {i}"})] for i in range(COUNT))
    assertions = [b for b in issuer.bodies[before:] if "client_assertion=" in b and "client_id=java-es256" in b]
    assert len(assertions) == len(issuer.bodies) - before == 2, issuer.bodies[before:]
    assert "Using client assertion authentication" in executor_logs(home), f"logs {work}"


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1"])
def test_aws_msk_iam_auth_through_spark_options_makes_the_token_the_core_makes(region):
    """``msk_options`` through Spark's own connector code (tests/spark/SparkMskToken.java calls
    KafkaSourceProvider, as a query does): the driver's, the executors' and the sink's client
    configurations each get the options' SASL settings unchanged, names without the ``kafka.``
    prefix and lower-cased, Spark's source options left out. AWS's handler, configured from each,
    makes the token the core makes for the same credentials, byte for byte."""
    import pyspark
    require(SPARK / "classes" / "SparkMskToken.class", "spark")
    options = spark.msk_options(f"b-1.demo.abc123.c2.kafka.{region}.amazonaws.com:9098")
    given = {**options, "subscribe": "events", "KAFKA.Client.Id": "spark-msk"}
    classpath = f"{SPARK / 'classes'}:{Path(pyspark.__file__).parent / 'jars'}/*:{SPARK / 'lib'}/*"
    made = run_java(classpath, "SparkMskToken", given, region)
    assert [m["role"] for m in made] == ["driver", "executor", "producer"]
    for theirs in made:
        config = theirs["config"]
        for name, value in options.items():
            assert config[name.removeprefix("kafka.")] == value, (theirs["role"], name)
        assert config["client.id"] == "spark-msk" and "subscribe" not in config, theirs["role"]
        assert not any(name.startswith("kafka.") for name in config), theirs["role"]
        assert_core_makes(theirs, region)
