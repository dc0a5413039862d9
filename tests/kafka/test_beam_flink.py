"""Beam on a real distributed runner: a Beam Python pipeline writes records with ``WriteToKafka``
and reads them back with ``ReadFromKafka`` on Beam's Flink runner (Flink 1.19 inside the job
server's JVM, no Docker), through the Kafka 4.3 broker of conftest.py with SASL/OAUTHBEARER. Beam's
Kafka IO runs Kafka's Java client (kafka-clients 3.9.1, as Beam's expansion does) EMBEDDED in the
job server; it fetches its tokens from ``oauthbearer serve`` — the endpoint a worker's entrypoint
starts before the pipeline — configured by ``oauthbearer.beam.kafka_config``. The endpoint itself
gets KIP-1258 tokens from the broker's issuer.

`make beam` fetches the Java side with Maven into target/beam/lib (tests/beam/pom.xml)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import (MEASURED, RETRY_LINE, ROOT, Sidecar, assertion_sidecar_properties, free_port, peak_rss_mib,
                      consume, stop, wait_for_log)

BEAM = ROOT / "target" / "beam"
PIPELINE = Path(__file__).parent / "beam_pipeline.py"
COUNT = 25


def _wait_listening(port: int, process: subprocess.Popen, log: Path, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the {what} exited with {process.returncode}; see {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)  # polling a port until it listens
    pytest.fail(f"the {what} did not listen within {seconds:.0f} s; see {log}")


@dataclass
class Flink:
    job_port: int
    expansion_port: int
    #: The job server's log: the EMBEDDED Kafka clients log here.
    log: Path


def _java(*args: str, heap: str, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen([shutil.which("java") or "java", f"-Xmx{heap}", "-cp", f"{BEAM / 'lib'}/*", *args],
                                stdout=out, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def flink():
    if not (BEAM / "lib" / ".fetched").is_file():
        pytest.fail("the Beam jars are missing: run `make beam` (the test command does)")
    work = Path(tempfile.mkdtemp(prefix="oauthbearer-flink-"))
    job, artifact, job_expansion, expansion = free_port(), free_port(), free_port(), free_port()
    # The job server's own expansion service cannot be switched to EMBEDDED (apache/beam#21021): the
    # pipeline names this one, whose Java transforms then run inside the job server, without Docker.
    expander = _java("org.apache.beam.sdk.expansion.service.ExpansionService", str(expansion),
                     "--defaultEnvironmentType=EMBEDDED", heap="384m", log=work / "expansion.log")
    server = _java("org.apache.beam.runners.flink.FlinkJobServerDriver", "--flink-master=[local]",
                   f"--job-port={job}", f"--artifact-port={artifact}", f"--expansion-port={job_expansion}",
                   heap="1g", log=work / "job-server.log")
    try:
        _wait_listening(expansion, expander, work / "expansion.log", "expansion service")
        _wait_listening(job, server, work / "job-server.log", "Flink job server")
        yield Flink(job, expansion, work / "job-server.log")
    finally:
        peaks = {name: peak_rss_mib(p.pid) for name, p in (("job server", server), ("expansion service", expander))}
        MEASURED.append(f"Flink JVMs' peak RSS (MiB): {peaks}; logs {work}")
        stop(server, expander)


def _pipeline(flink: Flink, mode: str, broker, topic: str, token_url: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(PIPELINE), mode, str(flink.job_port), str(flink.expansion_port), broker.bootstrap, topic,
         token_url, str(COUNT), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen, what: str, flink: Flink, timeout: float = 300) -> None:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"the {what} pipeline did not finish in {timeout:.0f} s; job server log: {flink.log}\n{err[-3000:]}")
    assert process.returncode == 0 and json.loads(out.strip().splitlines()[-1]) == {"done": what}, \
        f"{what}: exit {process.returncode}; job server log: {flink.log}\n{err[-4000:]}"


def test_write_then_read_kafka_on_flink_with_tokens_from_the_endpoint(flink, broker, issuer):
    """The write starts before the endpoint is up, as when a worker's endpoint is still starting:
    kafka_config's login retry budget (sasl.login.retry.backoff.max.ms) keeps the Java producer
    retrying past Kafka's default 10 s, the endpoint comes up once the producer has retried for
    12.7 s (a client with Kafka's defaults would have given up), and the pipeline succeeds. Then
    a read with a fresh group gets every record back; an independent consumer agrees."""
    work = Path(tempfile.mkdtemp(prefix="oauthbearer-beam-"))
    topic = f"beam-flink-{os.getpid()}-{int(time.time())}"
    port = free_port()
    token_url = f"http://127.0.0.1:{port}/token"
    started = time.monotonic()
    writer = _pipeline(flink, "write", broker, topic, token_url)
    sidecar = None
    try:
        # The eighth failed fetch, 12.7 s into the producer's retries: past Kafka's default budget.
        wait_for_log(flink.log.read_text, RETRY_LINE, lambda m: int(m.group(1)) >= 8 and int(m.group(2)) >= 1000,
                     writer, 240)
        sidecar = Sidecar(assertion_sidecar_properties(issuer), port, work)
        endpoint_up = time.monotonic() - started
        _finish(writer, "write", flink)
        write_seconds = time.monotonic() - started
        writes = sidecar.fetches()
        assert writes == 1, f"one producer, one token: {writes} fetches; {sidecar.log}"

        started = time.monotonic()
        reader = _pipeline(flink, "read", broker, topic, token_url, f"beam-{topic}")
        _finish(reader, "read", flink)
        read_seconds = time.monotonic() - started
        reads = sidecar.fetches() - writes
        # The reader's consumer and its offset consumer each log in once.
        assert reads == 2, f"{reads} token fetches for the read; {sidecar.log}"
    finally:
        if writer.poll() is None:
            writer.kill()
        if sidecar:
            sidecar.stop()

    got = {key: json.loads(value) for key, value in consume(broker, issuer, topic, COUNT).items()}
    assert got == {f"key-{i}".encode(): {"n": i, "text": f"record {i}"} for i in range(COUNT)}
    MEASURED.append(f"Flink: write {write_seconds:.1f} s (the endpoint up {endpoint_up:.1f} s after the write began), "
                    f"read {read_seconds:.1f} s; token fetches: write {writes}, read {reads}")
