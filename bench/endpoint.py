"""Local token endpoint under load from a second process (wrk, one thread, on loopback): ours
(`oauthbearer serve --provider aws`) next to the kafka-auth-handler stand-in, both in AWS mode with the
same static credentials in their environment. Requests/s and p50/p99 at 1, 16 and 64 connections on
a warm endpoint, credential fetches per 1000 requests, RSS before and after.
Prints JSON. Usage: endpoint.py SECONDS-PER-RUN"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
       "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_REGION": "eu-west-1",
       "REGION": "eu-west-1", "AWS_EC2_METADATA_DISABLED": "true"}
CONNECTIONS = (1, 16, 64)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen) -> None:
    """Probes until the endpoint answers 200 (no fixed sleep)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.05)  # polling interval of the readiness probe, not synchronisation
    raise SystemExit(f"{url}: not ready within 30 s")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def to_ms(value: str) -> float:
    """wrk's latency text (`76.00us`, `9.95ms`, `1.10s`, `1.02m`) in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        raise SystemExit(f"unexpected wrk latency {value!r}")
    number, unit = match.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def wrk(url: str, connections: int, seconds: float) -> dict:
    text = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency", url],
                          capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
            "p50_ms": to_ms(re.search(r"50%\s+(\S+)", text).group(1)),
            "p99_ms": to_ms(re.search(r"99%\s+(\S+)", text).group(1)),
            "requests": requests, "non_2xx": int(errors.group(1)) if errors else 0}


def measure(name: str, command: list[str], port: int, seconds: float) -> dict:
    log = open(ROOT / "target" / "bench-run" / f"{name}.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, env={**ENV, "PORT": str(port)}, stdout=subprocess.PIPE, stderr=log, text=True)
    url = f"http://127.0.0.1:{port}/token"
    try:
        wait_ready(url, process)
        before = rss_kib(process.pid)
        runs = {str(c): wrk(url, c, seconds) for c in CONNECTIONS}
        after = rss_kib(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
        log.close()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    fetches = json.loads(lines[-1])["fetches"] if lines else None
    total = sum(r["requests"] for r in runs.values()) + 1  # + the readiness probe
    return {"runs": runs, "rss_before_kib": before, "rss_after_kib": after, "fetches": fetches,
            "fetches_per_1000": None if fetches is None else fetches * 1000 / total, "requests": total}


def main() -> None:
    seconds = int(float(sys.argv[1])) if len(sys.argv) > 1 else 5
    python = ROOT / ".venv" / "bin" / "python"
    port = free_port()
    ours = measure("oauthbearer-serve", [str(python), str(ROOT / "bench" / "endpoint_server.py"), "--provider", "aws",
                                         "--region", "eu-west-1", "--port", str(port)], port, seconds)
    port = free_port()
    theirs = measure("kah-standin", [str(ROOT / "target" / "bench" / "kah-standin")], port, seconds)
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    json.dump({"ours": ours, "kah": theirs, "seconds": seconds, "wrk": wrk_version}, sys.stdout)


if __name__ == "__main__":
    main()
