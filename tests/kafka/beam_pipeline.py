"""A Beam Python pipeline that writes records to Kafka and reads them back through Beam's Java
Kafka IO (``WriteToKafka`` / ``ReadFromKafka``), with the Java client authenticating by
SASL/OAUTHBEARER with tokens from an oauthbearer endpoint (``oauthbearer.beam.kafka_config``).
test_beam_flink.py runs it on Beam's Flink runner: ``--runner=PortableRunner`` against a local Flink
job server, the Java transforms EMBEDDED in it (a separate expansion service), the Python worker
LOOPBACK (in this process).

    python beam_pipeline.py write|read JOB_PORT EXPANSION_PORT BOOTSTRAP TOPIC TOKEN_URL COUNT [GROUP_ID]
"""

import json
import sys

import apache_beam as beam
from apache_beam.io.kafka import ReadFromKafka, WriteToKafka
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import assert_that, equal_to

from oauthbearer.beam import kafka_config


def records(count: int) -> list[tuple[bytes, bytes]]:
    return [(f"key-{i}".encode(), json.dumps({"n": i, "text": f"record {i}"}).encode()) for i in range(count)]


def main(argv: list[str]) -> None:
    mode, job_port, expansion_port, bootstrap, topic, token_url, count = argv[:7]
    count_n = int(count)
    options = PipelineOptions([
        "--runner=PortableRunner", f"--job_endpoint=localhost:{job_port}", "--environment_type=LOOPBACK",
        "--parallelism=1", "--job_name=oauthbearer-flink",
    ])
    expansion = f"localhost:{expansion_port}"
    config = kafka_config(bootstrap, token_url=token_url, security_protocol="SASL_PLAINTEXT")
    with beam.Pipeline(options=options) as pipeline:
        if mode == "write":
            (pipeline
             | beam.Create(records(count_n)).with_output_types(tuple[bytes, bytes])
             | WriteToKafka(producer_config=config, topic=topic, expansion_service=expansion))
        else:
            consumer = {**config, "group.id": argv[7], "auto.offset.reset": "earliest"}
            read = (pipeline
                    | ReadFromKafka(consumer_config=consumer, topics=[topic], max_num_records=count_n,
                                    max_read_time=120, expansion_service=expansion)
                    | beam.Map(lambda kv: (bytes(kv[0]), bytes(kv[1]))))
            assert_that(read, equal_to(records(count_n)))
    print(json.dumps({"done": mode}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
