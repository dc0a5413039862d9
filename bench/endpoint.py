"""Local token endpoint under load from a second process (wrk, one thread, on loopback), every server
in AWS mode with the same static credentials in its environment and `AWS_CA_BUNDLE` unset: ours
(`oauthbearer serve --provider aws`, the native server), the previous Python `http.server` endpoint,
the native sidecar binary (`oauthbearer-sidecar`, the same server on aws-config), the
kafka-auth-handler stand-in (also with `AWS_CA_BUNDLE` set, reported apart), and a bare hyper server
answering a fixed body of our answer's size (the limit). Requests/s, p50/p99 and server CPU per request
at 1, 16 and 64 connections on a warm endpoint; credential fetches; start to the first 200; RSS idle (warm,
before the runs), its peak under load and after.
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
ENV = {**{k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}, "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
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
            time.sleep(0.005)  # polling interval of the readiness probe (start-up is measured by it), not synchronisation
    raise SystemExit(f"{url}: not ready within 30 s")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
            # The distribution's own lines ("  50%  1.2ms"), not a "75.50%" of the thread stats.
            "p50_ms": to_ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1)),
            "p99_ms": to_ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1)),
            "requests": requests, "non_2xx": int(errors.group(1)) if errors else 0}


def metrics_fetches(port: int) -> int | None:
    """Successful fetches from the server's /metrics (the binary prints no summary at exit)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            text = answer.read().decode()
    except OSError:
        return None
    found = re.search(r'^oauthbearer_token_fetches_total\{outcome="success",code=""\} (\S+)$', text, re.M)
    return int(float(found.group(1))) if found else None


class PeakRss:
    """Samples a process's RSS every 20 ms while the load runs; `peak` in KiB."""

    def __init__(self, pid: int) -> None:
        import threading

        self.pid, self.peak, self.stop = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stop.wait(0.02):
            self.peak = max(self.peak, rss_kib(self.pid))

    def done(self) -> int:
        self.stop.set()
        self.thread.join()
        return self.peak


def measure(name: str, command: list[str], port: int, seconds: float, env: dict = ENV) -> dict:
    log = open(ROOT / "target" / "bench-run" / f"{name}.log", "w")  # noqa: SIM115 - closed below
    started = time.monotonic()
    process = subprocess.Popen(command, env={**env, "PORT": str(port)}, stdout=subprocess.PIPE, stderr=log, text=True)
    url = f"http://127.0.0.1:{port}/token"
    try:
        wait_ready(url, process)
        ready_ms = (time.monotonic() - started) * 1000
        with urllib.request.urlopen(url, timeout=5) as answer:
            body_bytes = len(answer.read())
        before = rss_kib(process.pid)
        peak = PeakRss(process.pid)
        runs = {}
        for c in CONNECTIONS:
            cpu = cpu_seconds(process.pid)
            run = wrk(url, c, seconds)
            run["cpu_us_per_request"] = (cpu_seconds(process.pid) - cpu) * 1e6 / max(run["requests"], 1)
            runs[str(c)] = run
        peak_kib = peak.done()
        after = rss_kib(process.pid)
        from_metrics = metrics_fetches(port)
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
        log.close()
    lines = [line for line in out.splitlines() if line.startswith("{")]
    fetches = json.loads(lines[-1])["fetches"] if lines else from_metrics
    total = sum(r["requests"] for r in runs.values()) + 2  # + the readiness probe and the size probe
    return {"runs": runs, "rss_before_kib": before, "rss_after_kib": after, "rss_peak_kib": peak_kib,
            "ready_ms": ready_ms, "fetches": fetches, "body_bytes": body_bytes,
            "fetches_per_1000": None if fetches is None else fetches * 1000 / total, "requests": total}


def main() -> None:
    seconds = int(float(sys.argv[1])) if len(sys.argv) > 1 else 5
    python = str(ROOT / ".venv" / "bin" / "python")
    serve = [python, str(ROOT / "bench" / "endpoint_server.py")]
    aws = ["--provider", "aws", "--region", "eu-west-1", "--no-access-log", "--port"]
    port = free_port()
    ours = measure("oauthbearer-serve", [*serve, *aws, str(port)], port, seconds)
    port = free_port()
    binary = ROOT / "target" / "x86_64-unknown-linux-gnu" / "release" / "oauthbearer-sidecar"
    sidecar = measure("oauthbearer-sidecar", [str(binary), *aws, str(port)], port, seconds)
    sidecar["binary_bytes"] = binary.stat().st_size
    # What the image and the release ship: the static musl build (musl's allocator, zig's linker).
    port = free_port()
    static = ROOT / "target" / "x86_64-unknown-linux-musl" / "release" / "oauthbearer-sidecar"
    sidecar_static = measure("oauthbearer-sidecar-static", [str(static), *aws, str(port)], port, seconds)
    sidecar_static["binary_bytes"] = static.stat().st_size
    port = free_port()
    previous = measure("previous-http-server", [*serve, "--previous", *aws, str(port)], port, seconds)
    standin = str(ROOT / "target" / "bench" / "kah-standin")
    port = free_port()
    kah = measure("kah-standin", [standin], port, seconds)
    port = free_port()
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    kah_bundle = measure("kah-standin-ca-bundle", [standin], port, seconds, {**ENV, "AWS_CA_BUNDLE": bundle})
    port = free_port()
    bare = measure("bare-hyper", [str(ROOT / "target" / "release" / "bare-hyper"), str(port), str(ours["body_bytes"])],
                   port, seconds)
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    json.dump({"ours": ours, "sidecar": sidecar, "sidecar_static": sidecar_static, "previous": previous, "kah": kah, "kah_ca_bundle": kah_bundle, "bare": bare,
               "seconds": seconds, "wrk": wrk_version}, sys.stdout)


if __name__ == "__main__":
    main()
