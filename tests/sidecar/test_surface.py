"""One serve surface: `oauthbearer serve` (Python) and the native binary take the same options,
environment variables and defaults. Both print what they resolved (`--print-options`, hidden) for
the same arguments and environment; any option, default or variable added to one front and not
the other fails here."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from conftest import binary, clean_env, python_front

CASES = [
    ([], {}),
    ([], {"PROVIDER": "gcp"}),
    ([], {"PROVIDER": "aws", "REGION": "eu-west-1", "PORT": "8080"}),
    ([], {"PROVIDER": "azure", "BOOTSTRAP_SERVERS": "ns.servicebus.windows.net:9093"}),
    ([], {"PROVIDER": "local"}),
    ([], {"PROVIDER": "unknown"}),
    (["--provider", "file", "--token-file", "/tmp/t"], {"PROVIDER": "gcp"}),
    (["--provider", "assertion", "--config", "c.properties", "--dialect", "rdkafka"], {}),
    (["--provider", "gcp", "--gcp-style", "google-python", "--response-style", "google-python"], {}),
    (["--provider", "aws", "--region", "us-east-1", "--response-style", "standard"], {"PROVIDER": "aws"}),
    (["--provider", "azure", "--bootstrap-servers", "ns.servicebus.windows.net:9093", "--scope", "s"], {}),
    (["--key", "k.pem", "--client", "a:s3cret", "--client", "b", "--client-file", "clients.txt",
      "--client-jwk", "c=jwks.json", "--subject", "svc", "--audience", "kafka", "--lifetime", "60"], {}),
    (["--host", "0.0.0.0", "--port", "0", "--no-access-log", "--no-operational-paths"], {"PORT": "1"}),
    ([], {"OAUTHBEARER_HOST": "0.0.0.0"}),
    (["--host", "::1"], {"OAUTHBEARER_HOST": "0.0.0.0"}),
    ([], {"OAUTHBEARER_HOST": ""}),
    (["--dialect", "java"], {}),
    (["--port", "1", "--port", "2", "--subject", "a", "--subject", "b"], {}),
]


def resolved(command: list[str], args: list[str], env: dict[str, str]) -> dict:
    done = subprocess.run(command + args + ["--print-options"], env=clean_env(**env), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, (command, args, done.stderr)
    return json.loads(done.stdout)


@pytest.mark.parametrize("args,env", CASES, ids=[" ".join(a) + " " + repr(e) for a, e in CASES])
def test_both_fronts_resolve_the_same_options(args, env):
    ours = resolved(python_front(), args, env)
    assert ours == resolved([binary()], args, env)
    assert "s3cret" not in json.dumps(ours), "the dump never shows a secret"


def options(help_text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", help_text)) - {"--help", "--version"}


def test_both_fronts_list_the_same_options():
    python_help = subprocess.run(python_front() + ["--help"], capture_output=True, text=True, timeout=60).stdout
    native_help = subprocess.run([binary(), "serve", "--help"], capture_output=True, text=True, timeout=60).stdout
    assert options(python_help) == options(native_help)
    assert "--client-file" in options(native_help)


@pytest.mark.parametrize("args", [["--provider", "kerberos"], ["--response-style", "xml"], ["--gcp-style", "x"],
                                  ["--dialect", "go"], ["--lifetime", "0"], ["--port", "70000"]])
def test_both_fronts_refuse_the_same_bad_values(args):
    for command in (python_front(), [binary()]):
        done = subprocess.run(command + args + ["--print-options"], env=clean_env(), capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 2, (command, args, done.stdout)
        assert "Traceback" not in done.stderr


def test_a_client_secret_on_the_command_line_is_warned_about(tmp_path):
    """`/proc/PID/cmdline` is world-readable: both fronts say so and name the file form."""
    for command in (python_front(), [binary()]):
        proc = subprocess.Popen(command + ["--port", "0", "--client", "a:s3cret"], env=clean_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert "serving" in proc.stdout.readline()
        finally:
            proc.terminate()
            _out, err = proc.communicate(timeout=30)
        assert "--client-file" in err and "/proc/PID/cmdline" in err, err
        assert "s3cret" not in err
