"""Apache Spark: options for Structured Streaming's Kafka source and sink (``spark-sql-kafka-0-10``)
with tokens from a local endpoint.

Spark's Kafka source and sink run Kafka's **Java** client on the executors, which can only fetch
tokens from a URL or through a handler class on their classpath. Run ``oauthbearer serve`` on every
node (an init script, a sidecar container), then::

    from oauthbearer.spark import kafka_options
    df = (spark.readStream.format("kafka")
          .options(**kafka_options("broker:9093"))
          .option("subscribe", "events").load())

Spark hands every ``kafka.``-prefixed option to the client with the prefix dropped and the name
lower-cased; an option without the prefix never reaches it. On Databricks the client is shaded
(``kafkashaded.org.apache.kafka…``): pass ``shaded=True`` so the class names are the shaded ones.

Amazon MSK with IAM takes :func:`msk_options` (AWS's aws-msk-iam-auth on the executors): no token
URL can serve MSK to Kafka's Java client (:data:`oauthbearer.providers.MSK_FROM_A_URL`).
"""

from __future__ import annotations

from typing import Optional, Sequence

from . import _native
from .kafka_java import (ALLOWED_FILES_PROPERTY, DEFAULT_TOKEN_URL, MSK_IAM_AUTH, allowed_urls_jvm_option,
                         major_minor, msk_iam_config, msk_jaas, needs_allowed_urls, token_url_config)

#: The package Databricks Runtime shades its Kafka client into.
SHADED_PREFIX = "kafkashaded."
#: The package Databricks Runtime shades its copy of aws-msk-iam-auth into.
SHADED_MSK_PREFIX = "shadedmskiam."
#: The kafka-clients version assumed when neither a Spark nor a kafka-clients version is known:
#: Spark 4.0–4.2's.
DEFAULT_KAFKA_CLIENTS_VERSION = "3.9"
#: For ``spark.jars.packages`` (or ``--packages``) on open-source Spark, EMR and Dataproc.
MSK_PACKAGE = MSK_IAM_AUTH
KAFKA_PREFIX = "kafka."


def connector_kafka_clients_version(spark_version: Optional[str] = None) -> str:
    """The kafka-clients version Spark's Kafka connector runs: the one open-source Spark
    ``spark_version`` depends on (the installed PySpark's, the cluster's own, when not given), or
    :data:`DEFAULT_KAFKA_CLIENTS_VERSION` for a Spark release the table does not know."""
    if spark_version is None:
        try:
            import pyspark
            spark_version = pyspark.__version__
        except ImportError:
            return DEFAULT_KAFKA_CLIENTS_VERSION
    return _native.spark_kafka_clients_version(spark_version) or DEFAULT_KAFKA_CLIENTS_VERSION


def kafka_options(bootstrap_servers: str, *, token_url: str = DEFAULT_TOKEN_URL, security_protocol: str = "SASL_SSL",
                  shaded: bool = False, spark_version: Optional[str] = None,
                  kafka_clients_version: Optional[str] = None,
                  login_retry_max_ms: int = 120_000) -> dict[str, str]:
    """The ``kafka.``-prefixed source and sink options for Kafka's Java client fetching tokens from
    ``token_url`` (``oauthbearer serve`` on each node: ``http://127.0.0.1:14293/token``).

    * ``shaded=True`` names Databricks' shaded classes (``kafkashaded.org.apache.kafka…``): the
      plain names fail there with ClassNotFoundException, or ClassCastException when a plain
      kafka-clients jar was added to the cluster.
    * The login handler's class name depends on the client's version (the plain
      ``…oauthbearer.OAuthBearerLoginCallbackHandler`` from kafka-clients 3.4, the ``…secured.`` one
      before): it is read from ``spark_version`` (default: the installed PySpark's) or given as
      ``kafka_clients_version`` (Databricks builds its own client; set it when you know it).
    * ``login_retry_max_ms`` (``sasl.login.retry.backoff.max.ms``): the client keeps retrying its
      first token fetch for 2 minutes instead of Kafka's 10 s, so an endpoint that starts after the
      executor does not fail the query.
    * With kafka-clients 4.0 and later the JVMs must also allow the URL: :func:`spark_conf`."""
    version = kafka_clients_version or connector_kafka_clients_version(spark_version)
    config = token_url_config(bootstrap_servers, version, token_url=token_url, security_protocol=security_protocol,
                              login_retry_max_ms=login_retry_max_ms)
    if shaded:
        config = {name: _shade(value, SHADED_PREFIX, "org.apache.kafka.") for name, value in config.items()}
    return prefixed(config)


def spark_conf(*, token_url: str = DEFAULT_TOKEN_URL, spark_version: Optional[str] = None,
               kafka_clients_version: Optional[str] = None, allowed_files: Sequence[str] = ()) -> dict[str, str]:
    """Spark configuration the JVMs need for the token URL: with kafka-clients 4.0 and later,
    ``spark.driver.extraJavaOptions`` and ``spark.executor.extraJavaOptions`` allowing it
    (``-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=…``) and, from 4.1, the files the client
    reads (``allowed_files``: KIP-1258's key, assertion or template file, when the client signs
    itself); nothing before 4.0. Set them when the session is built (``--conf`` or
    ``SparkSession.builder.config``), appended to any extraJavaOptions you already have."""
    version = kafka_clients_version or connector_kafka_clients_version(spark_version)
    if not needs_allowed_urls(version):
        return {}
    options = [allowed_urls_jvm_option(token_url)]
    if allowed_files and major_minor(version) >= (4, 1):
        options.append(f"-D{ALLOWED_FILES_PROPERTY}={','.join(allowed_files)}")
    option = " ".join(options)
    return {"spark.driver.extraJavaOptions": option, "spark.executor.extraJavaOptions": option}


def msk_options(bootstrap_servers: str, *, role_arn: Optional[str] = None, role_session_name: str = "oauthbearer",
                profile: Optional[str] = None, shaded: bool = False) -> dict[str, str]:
    """``kafka.``-prefixed options for Amazon MSK with IAM: AWS's aws-msk-iam-auth signing on the
    executors' AWS credentials (the instance profile on EMR, IRSA on Kubernetes). Add the library
    with ``spark.jars.packages`` = :data:`MSK_PACKAGE`.

    ``shaded=True`` gives what Databricks documents for its runtime, which ships the library
    shaded as ``shadedmskiam.…``: its ``AWS_MSK_IAM`` mechanism with the shaded login module and
    client handler. With ``role_arn`` the library assumes the role under the fixed
    ``role_session_name`` (the principal MSK sees stays the same at re-authentication)."""
    if not shaded:
        return prefixed(msk_iam_config(bootstrap_servers, role_arn=role_arn, role_session_name=role_session_name,
                                       profile=profile))
    return prefixed({
        "bootstrap.servers": bootstrap_servers,
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "AWS_MSK_IAM",
        "sasl.jaas.config": msk_jaas(f"{SHADED_MSK_PREFIX}software.amazon.msk.auth.iam.IAMLoginModule",
                                     role_arn=role_arn, role_session_name=role_session_name, profile=profile),
        "sasl.client.callback.handler.class":
            f"{SHADED_MSK_PREFIX}software.amazon.msk.auth.iam.IAMClientCallbackHandler",
    })


def prefixed(config: dict[str, str]) -> dict[str, str]:
    """Kafka client properties as Spark source and sink options (``kafka.`` before each name)."""
    return {KAFKA_PREFIX + name: value for name, value in config.items()}


def _shade(value: str, prefix: str, package: str) -> str:
    """``value`` with a class name of ``package`` (the value itself, or a JAAS login module at its
    start) moved under ``prefix``."""
    return prefix + value if value.startswith(package) else value
