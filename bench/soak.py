"""The sidecar binary for a long run (`make soak`, outside CI): KIP-1258 sidecar mode against a
loopback IdP whose tokens live 5 s and which fails (503) or hangs (past the client's read timeout)
on about 10 % of fetches, under load from 16 keep-alive connections.

Checked: no request fails while a valid token existed — an answer other than 200 to a request
asked when a token already served had surely arrived (more than 1.1 s after its whole-second
`iat`, the IdP signing it as it answers) and had not expired (100 ms before its `exp`), judged after
the run from every token served; RSS, open files and threads at the start (after a warm-up)
and at the end, sampled every minute. Writes bench/soak-result.json and its section of
BENCHMARKS.md. Usage: soak.py [SECONDS] (default 1800)."""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
BINARY = ROOT / "target" / "x86_64-unknown-linux-gnu" / "release" / "oauthbearer-sidecar"
KEY = ROOT / "tests" / "keys" / "ec-p256.pkcs8.pem"
LIFETIME = 5
CONNECTIONS = 16
WARM_UP = 15

from oauthbearer import _native  # noqa: E402


class Idp:
    """Issues LIFETIME-second tokens; 5 % of fetches answer 503, 5 % hang for 6 s."""

    def __init__(self) -> None:
        self.issuer = _native.LocalIssuer("https://idp.soak", _native.SigningKey.generate())
        self.counts = {"ok": 0, "fail": 0, "hang": 0}
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                draw = random.random()
                if draw < 0.05:
                    idp.counts["fail"] += 1
                    return self.answer(503, {"error": "temporarily_unavailable"})
                if draw < 0.10:
                    idp.counts["hang"] += 1
                    time.sleep(6)  # past the client's 2 s read timeout
                idp.counts["ok"] += 1
                token = idp.issuer.sign_access_token("soak", int(time.time() * 1000), LIFETIME).token
                self.answer(200, {"access_token": token, "token_type": "Bearer", "expires_in": LIFETIME})

            def answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (its read timeout)

            def log_message(self, *args) -> None:  # noqa: ANN002
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/token"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


def proc_state(pid: int) -> dict:
    status = Path(f"/proc/{pid}/status").read_text()
    field = {line.split(":")[0]: line.split(":")[1].strip() for line in status.splitlines() if ":" in line}
    return {"rss_kib": int(field["VmRSS"].split()[0]), "threads": int(field["Threads"]),
            "open_files": len(os.listdir(f"/proc/{pid}/fd"))}


def token_life_ms(body: bytes) -> tuple[int, int]:
    """(iat, exp) of a served token, in milliseconds."""
    token = json.loads(body)["access_token"]
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims["iat"] * 1000, claims["exp"] * 1000


class Load:
    """CONNECTIONS keep-alive clients; every token served and every answer other than 200 are kept
    for the check after the run (checking as answers come would race: another connection may
    already hold a token fetched after this request was asked)."""

    def __init__(self, port: int, until: float) -> None:
        self.port, self.until = port, until
        self.lock = threading.Lock()
        self.served: set[tuple[int, int]] = set()
        self.refusals: list[tuple[int, int, str]] = []
        self.requests = self.ok = 0
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(CONNECTIONS)]
        for t in self.threads:
            t.start()

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while time.monotonic() < self.until:
            asked_ms = int(time.time() * 1000)
            try:
                connection.request("GET", "/token")
                answer = connection.getresponse()
                body = answer.read()
                status = answer.status
            except (OSError, http.client.HTTPException) as failure:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                status, body = 0, type(failure).__name__.encode()
            with self.lock:
                self.requests += 1
                if status == 200:
                    self.ok += 1
                    self.served.add(token_life_ms(body))
                else:
                    self.refusals.append((asked_ms, status, body[:200].decode(errors="replace")))

    def failed_with_a_valid_token(self) -> list[tuple[int, int, str]]:
        """Refusals asked while a served token had surely arrived and not yet expired."""
        lives = sorted(self.served)
        return [r for r in self.refusals if any(iat + 1100 < r[0] < exp - 100 for iat, exp in lives)]

    def join(self) -> None:
        for t in self.threads:
            t.join()


def main() -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 1800
    idp = Idp()
    work = Path(tempfile.mkdtemp(prefix="oauthbearer-soak-"))
    config = work / "client.properties"
    config.write_text("\n".join([
        f"sasl.oauthbearer.token.endpoint.url={idp.url}", "sasl.oauthbearer.assertion.algorithm=ES256",
        f"sasl.oauthbearer.assertion.private.key.file={KEY}", "sasl.oauthbearer.assertion.claim.iss=soak",
        "sasl.oauthbearer.assertion.claim.sub=soak", f"sasl.oauthbearer.assertion.claim.aud={idp.url}",
        "sasl.oauthbearer.assertion.claim.jti.include=true",
        # Kafka's refresh rules for a 5 s token: refresh at ~80 % of its life, retry quickly.
        "sasl.login.refresh.buffer.seconds=1", "sasl.login.refresh.min.period.seconds=1",
        "sasl.login.retry.backoff.ms=100", "sasl.login.retry.backoff.max.ms=1000",
        "sasl.login.connect.timeout.ms=2000", "sasl.login.read.timeout.ms=2000"]) + "\n")
    log = (work / "sidecar.log").open("wb")
    process = subprocess.Popen([str(BINARY), "--provider", "assertion", "--config", str(config), "--port", "0",
                                "--no-access-log"], stdout=subprocess.PIPE, stderr=log, text=True)
    url = process.stdout.readline().rsplit(" ", 1)[1].strip()
    port = int(url.rsplit(":", 1)[1])
    started = time.monotonic()
    load = Load(port, started + seconds)
    time.sleep(WARM_UP)  # the run's own warm-up period before the first sample, not synchronisation
    samples = [{"t": WARM_UP, **proc_state(process.pid)}]
    while time.monotonic() < started + seconds:
        time.sleep(min(60, max(0.0, started + seconds - time.monotonic())))  # the sampling period
        samples.append({"t": round(time.monotonic() - started), **proc_state(process.pid)})
    load.join()
    failed_with_token = load.failed_with_a_valid_token()
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as answer:
        metrics = answer.read().decode()
    process.send_signal(signal.SIGTERM)
    exit_status = process.wait(30)
    fetches = {line.split(" ")[0]: float(line.split(" ")[1]) for line in metrics.splitlines()
               if line.startswith("oauthbearer_token_fetches_total")}
    result = {"seconds": seconds, "token_lifetime_s": LIFETIME, "connections": CONNECTIONS,
              "requests": load.requests, "ok": load.ok,
              "refused_without_a_valid_token": len(load.refusals) - len(failed_with_token),
              "failed_while_a_valid_token_existed": len(failed_with_token), "failures": failed_with_token[:10],
              "tokens_served": len(load.served), "idp": idp.counts, "fetches": fetches, "samples": samples,
              "exit_status": exit_status, "date": time.strftime("%Y-%m-%d"),
              "binary": "oauthbearer-sidecar (release)"}
    (ROOT / "bench" / "soak-result.json").write_text(json.dumps(result, indent=1) + "\n")
    import report  # noqa: E402

    report.replace_soak_section(ROOT / "BENCHMARKS.md", result)
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=1))
    if failed_with_token or exit_status != 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
