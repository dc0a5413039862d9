"""The Beam-worker figure: a CPU-bound Python thread shares its process with the local endpoint,
which serves ~5k requests/s from a second process (the server crate's `load` client, paced). How much
of the thread's throughput is lost, with the native server and with the previous `http.server` one?
Medians of three rounds. Prints JSON. Usage: gil.py SECONDS"""

import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import previous_server
from oauthbearer import _native
from oauthbearer.providers import LocalIssuerProvider
from oauthbearer.server import Endpoint, make_server

ROOT = Path(__file__).resolve().parent.parent
LOAD = ROOT / "target" / "release" / "examples" / "load"
RATE = 5_000


def spin(seconds: float) -> float:
    """Iterations per second of a pure-Python loop (the pipeline's own code, under the GIL)."""
    n, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        for _ in range(10_000):
            n += 1
    return n / seconds


def under_load(host: str, port: int, seconds: float, rounds: int = 3) -> dict:
    """Medians over `rounds` of: the loop alone, then the loop while the load runs."""
    alone, loaded, served, errors = [], [], [], 0
    for _ in range(rounds):
        alone.append(spin(seconds))
        loader = subprocess.Popen([str(LOAD), f"{host}:{port}", "16", str(int(RATE * seconds)), str(RATE)],
                                  stdout=subprocess.PIPE, text=True)
        loaded.append(spin(seconds))
        result = json.loads(loader.communicate(timeout=120)[0])
        served.append(result["ok"] / result["seconds"])
        errors += result["errors"]
    a, b = statistics.median(alone), statistics.median(loaded)
    return {"alone": a, "loaded": b, "loss": 1 - b / a, "served_per_s": statistics.median(served), "errors": errors}


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5
    provider = LocalIssuerProvider(_native.LocalIssuer("http://x", _native.SigningKey.generate()), "beam")
    native = make_server(Endpoint(provider=provider), "127.0.0.1", 0)
    try:
        ours = under_load(*native.server_address, seconds)
    finally:
        native.shutdown()
    old = previous_server.load()
    server = old.make_server(old.Endpoint(provider=provider), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        previous = under_load(*server.server_address[:2], seconds)
    finally:
        server.shutdown()
        server.server_close()
    json.dump({"ours": ours, "previous": previous, "rate": RATE, "seconds": seconds}, sys.stdout)


if __name__ == "__main__":
    main()
