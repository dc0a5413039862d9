"""A PySpark Structured Streaming job that writes records to Kafka with the Kafka sink and reads
them back with the Kafka source, both with ``trigger(availableNow=True)``, on a
``local-cluster`` master: the Kafka clients run in an executor JVM of their own, authenticating by
SASL/OAUTHBEARER with tokens from the endpoint ``oauthbearer.spark.kafka_options`` names.
test_spark.py runs it; SPARK_HOME (set by the test) holds the log configuration and the workers'
directories.

    python spark_job.py BOOTSTRAP TOPIC COUNT WORK_DIR JARS [SETTINGS_JSON]

SETTINGS_JSON, when given, replaces what ``kafka_options`` and ``spark_conf`` give:
``{"options": {...}, "conf": {...}}``.

Prints one JSON line: the records read, the seconds the session and each query took, and the Spark
JVMs' peak RSS.
"""

import json
import sys
import time
from pathlib import Path
from typing import Optional

from pyspark.sql import SparkSession

from oauthbearer.spark import kafka_options, spark_conf


def records(count: int) -> list[dict]:
    return [{"key": f"key-{i}", "value": json.dumps({"n": i, "text": f"record {i}"})} for i in range(count)]


def peak_rss_mib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


def main(bootstrap: str, topic: str, count: int, work: Path, jars: str, settings: Optional[dict] = None) -> None:
    started = time.monotonic()
    builder = (SparkSession.builder.appName("oauthbearer-spark")
               # A master and a worker inside the driver's JVM, the executor in a JVM of its own.
               .master("local-cluster[1,1,768]")
               .config("spark.jars", jars)
               .config("spark.driver.memory", "512m")
               .config("spark.executor.memory", "512m")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "1"))
    conf = settings["conf"] if settings else spark_conf()  # spark_conf(): nothing for Spark 4.2 (kafka-clients 3.9)
    spark = builder.config(map=conf).getOrCreate()
    session_seconds = time.monotonic() - started
    options = settings["options"] if settings else kafka_options(bootstrap, security_protocol="SASL_PLAINTEXT")

    inbox = work / "in"
    inbox.mkdir(parents=True)
    (inbox / "records.json").write_text("".join(json.dumps(r) + "\n" for r in records(count)))
    started = time.monotonic()
    write = (spark.readStream.schema("key STRING, value STRING").json(str(inbox))
             .writeStream.format("kafka").options(**options).option("topic", topic)
             .option("checkpointLocation", str(work / "write-checkpoint"))
             .trigger(availableNow=True).start())
    write.awaitTermination()
    write_seconds = time.monotonic() - started

    started = time.monotonic()
    read = (spark.readStream.format("kafka").options(**options).option("subscribe", topic)
            .option("startingOffsets", "earliest").load()
            .selectExpr("CAST(key AS STRING) AS key", "CAST(value AS STRING) AS value")
            .writeStream.format("memory").queryName("got")
            .option("checkpointLocation", str(work / "read-checkpoint"))
            .trigger(availableNow=True).start())
    read.awaitTermination()
    read_seconds = time.monotonic() - started
    got = sorted([row.key, row.value] for row in spark.sql("SELECT key, value FROM got").collect())

    driver = spark.sparkContext._jvm.java.lang.ProcessHandle.current()
    executors = [p.pid() for p in driver.descendants().toArray()
                 if Path(f"/proc/{p.pid()}/comm").read_text().strip() == "java"]
    rss = {"driver": peak_rss_mib(driver.pid()), "executors": [peak_rss_mib(pid) for pid in executors]}
    spark.stop()
    print(json.dumps({"read": got, "session_seconds": session_seconds, "write_seconds": write_seconds,
                      "read_seconds": read_seconds, "peak_rss_mib": rss}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), sys.argv[5],
         json.loads(Path(sys.argv[6]).read_text()) if len(sys.argv) > 6 else None)
