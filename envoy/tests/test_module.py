"""The plugin module itself: a proxy-wasm 0.2.1 module whose imports are Envoy's proxy-wasm host
calls and the few WASI calls Rust's standard library links (Envoy provides them) — no file system,
no sockets, no clocks of WASI's (time comes from the host's `proxy_get_current_time_nanoseconds`).
Read with wasmtime's module parser."""

from __future__ import annotations

import wasmtime

from envoy_harness import PLUGIN

WASI_ALLOWED = {"random_get", "environ_get", "environ_sizes_get", "fd_write", "proc_exit"}


def test_the_module_imports_only_proxy_wasm_and_the_allowed_wasi_calls():
    module = wasmtime.Module(wasmtime.Engine(), PLUGIN.read_bytes())
    imports = {(i.module, i.name) for i in module.imports}
    wasi = {name for mod, name in imports if mod == "wasi_snapshot_preview1"}
    others = {(mod, name) for mod, name in imports if mod not in ("env", "wasi_snapshot_preview1")}
    assert wasi <= WASI_ALLOWED, wasi - WASI_ALLOWED
    assert not others, others
    assert all(name.startswith("proxy_") for mod, name in imports if mod == "env")
    exports = {e.name for e in module.exports}
    assert {"proxy_abi_version_0_2_1", "proxy_on_http_call_response", "proxy_on_tick", "proxy_on_queue_ready",
            "proxy_on_request_headers", "_initialize"} <= exports
