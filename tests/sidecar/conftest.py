"""The native sidecar binary and `oauthbearer serve`, started the same way: same arguments, same
environment, the bound URL read from the line both print when they serve."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "support"))

#: `make sidecar-test` builds it here: the host's debug build, dynamically linked so that
#: libfaketime and the stdout shim can be preloaded (the static release binaries cannot be).
BINARY = ROOT / (os.environ.get("OAUTHBEARER_SIDECAR") or "target/debug/oauthbearer-sidecar")  # relative to ROOT
FAKETIME_LIB = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


def binary() -> str:
    if not BINARY.is_file():
        pytest.fail(f"{BINARY} is missing: run `cargo build -p oauthbearer-sidecar` (`make sidecar-test` does)")
    return str(BINARY)


def python_front() -> list[str]:
    return [sys.executable, "-m", "oauthbearer", "serve"]


def front_command(front: str) -> list[str]:
    """`python` (oauthbearer serve) or `native` (the sidecar binary)."""
    return python_front() if front == "python" else [binary()]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any cloud credential or endpoint variable of this machine."""
    prefixes = ("GOOGLE_", "GCE_", "CLOUDSDK_", "AWS_", "AZURE_", "IDENTITY_", "MSI_", "IMDS_", "PROVIDER", "PORT",
                "OAUTHBEARER_HOST",
                "REGION", "BOOTSTRAP_SERVERS", "HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "SSL_CERT",
                "REQUESTS_CA_BUNDLE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env.update(extra)
    return env


def frozen_clock(at: int) -> dict[str, str]:
    """libfaketime (Debian's `faketime`, installed by `make sidecar-test`) freezing the wall clock
    of a process at `at` (Unix seconds) while its monotonic clock runs: two fronts started apart
    read the same time, so their answers can be compared byte for byte."""
    if not FAKETIME_LIB.is_file():
        pytest.fail(f"{FAKETIME_LIB} is missing: `make sidecar-test` installs Debian's faketime")
    import time
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))
    return {"LD_PRELOAD": str(FAKETIME_LIB), "FAKETIME": stamp, "TZ": "UTC", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


class Running:
    """A front serving: `url`, `get(path)`, `stop()` (SIGTERM; returns the exit status)."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()  # the ready line: the socket is bound and serving
        if "serving" not in line:
            self.proc.kill()
            _out, err = self.proc.communicate(timeout=30)
            raise AssertionError(f"{command[0]} did not serve: {line!r} {err[-3000:]}")
        self.url = line.rsplit(" ", 1)[1].strip()
        self.stderr = ""

    def get(self, path: str = "/", data: Optional[bytes] = None, timeout: float = 30) -> tuple[int, str, str]:
        """(status, content type, body) of one request."""
        request = urllib.request.Request(self.url + path, data=data)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return answer.status, answer.headers.get("Content-Type", ""), answer.read().decode()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.headers.get("Content-Type", ""), answer.read().decode()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            _out, self.stderr = self.proc.communicate(timeout=30)
        return status


def start(front: str, args: list[str], env: dict[str, str]) -> Running:
    return Running(front_command(front) + ["--port", "0", *args], env)
