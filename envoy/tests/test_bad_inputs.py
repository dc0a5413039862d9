"""The bad-input catalogue's plugin configurations (tests/vectors/bad_inputs.json, op
`sidecar_config`) in a real Envoy: each refuses to start the plugin, Envoy's log names the same
stable code the core gives, and holds none of the secrets the case planted."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import ROOT
from envoy_harness import Envoy, bootstrap, cluster, listener, plugin_filter

CASES = [c for c in json.loads((ROOT / "tests" / "vectors" / "bad_inputs.json").read_text())["cases"]
         if c["op"] == "sidecar_config"]


def refusal(case: dict) -> tuple[str, str]:
    """Starts Envoy with the case's configuration and environment; returns (case name, log)."""
    env = case["input"]["env"]
    try:
        config = json.loads(case["input"]["config"])
    except ValueError:
        config = None
    named = {config.get(k) for k in ("private_key_env", "client_secret_env")} if isinstance(config, dict) else set()
    keys = tuple(sorted({*env, *(n for n in named if isinstance(n, str))}))
    envoy = Envoy(bootstrap([listener("main", [plugin_filter(case["input"]["config"], env_keys=keys)], None)],
                            [cluster("idp", 9)]), env=env)
    try:
        with pytest.raises(RuntimeError, match="exited"):
            envoy.wait_ready()
    finally:
        envoy.stop()
    return case["name"], envoy.log()


def test_every_plugin_configuration_of_the_catalogue_is_refused_with_the_cores_code():
    assert len(CASES) >= 25
    with ThreadPoolExecutor(2) as pool:  # two Envoys at a time, one per core
        logs = dict(pool.map(refusal, CASES))
    for case in CASES:
        log = logs[case["name"]]
        code = case["output"]["error"]
        assert f"plugin configuration refused: [{code}]" in log, f"{case['name']}: {log[-2000:]}"
        for secret in [*case["secrets"], "PLANTED"]:
            assert secret not in log, f"{case['name']}: the log shows a planted secret"
