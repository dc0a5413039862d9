"""The `oauthbearer` command: reproducible output with --now/--jti, exit codes, typed errors
without tracebacks."""

import json
import subprocess
import sys
from pathlib import Path

from oauthbearer import _native
from conftest import KEYS, VECTORS


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "oauthbearer", *args], capture_output=True, text=True, env=env)


def test_every_command_has_help():
    for command in ("serve", "token", "assertion", "msk-token", "gcp-token", "inspect", "explain", "jwks"):
        result = run(command, "--help")
        assert result.returncode == 0 and "usage: oauthbearer " + command in result.stdout


def test_assertion_is_reproducible_and_equals_the_vector(tmp_path):
    case = next(c for c in json.loads((VECTORS / "assertions.json").read_text())["cases"]
                if "assertion" in c["output"] and "template" not in c["input"] and "dialect" not in c["input"]
                and "typ" not in c["input"] and "kid" not in c["input"] and "mode" not in c["input"])
    props = dict(case["input"]["properties"])
    props["sasl.oauthbearer.assertion.private.key.file"] = str(KEYS / case["input"]["key_file"])
    config = tmp_path / "client.properties"
    config.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    now = str(case["input"]["now_ms"] / 1000)
    result = run("assertion", "--config", str(config), "--now", now, "--jti", case["input"]["jti"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == case["output"]["assertion"]
    decoded = json.loads(run("assertion", "--config", str(config), "--now", now, "--jti", case["input"]["jti"],
                             "--decode").stdout)
    assert decoded["payload"] == json.loads(case["output"]["payload_json"])


def test_gcp_token_equals_googles_python_server_bytes():
    result = run("gcp-token", "--access-token", "ya29.FAKE-ACCESS-TOKEN", "--expires-at", "1704070800",
                 "--principal", "kafka-client@demo-proj.iam.gserviceaccount.com", "--now", "1704067200",
                 "--style", "google-python")
    token = json.loads(result.stdout)["token"]
    assert token == ("eyJ0eXAiOiAiSldUIiwgImFsZyI6ICJHT09HX09BVVRIMl9UT0tFTiJ9.eyJleHAiOiAxNzA0MDcwODAwLjAsICJpc3MiOiAiR29v"
                     "Z2xlIiwgImlhdCI6IDE3MDQwNjcyMDAuMCwgInN1YiI6ICJrYWZrYS1jbGllbnRAZGVtby1wcm9qLmlhbS5nc2VydmljZWFjY291"
                     "bnQuY29tIn0.eWEyOS5GQUtFLUFDQ0VTUy1UT0tFTg")


def test_inspect_exit_codes():
    good = json.loads(run("gcp-token", "--access-token", "ya29.x", "--expires-at", "1704070800", "--principal",
                          "a@b.iam.gserviceaccount.com", "--now", "1704067200").stdout)["token"]
    ok = run("inspect", good, "--now", "1704067200")
    assert ok.returncode == 0 and json.loads(ok.stdout)["principal"] == "a@b.iam.gserviceaccount.com"
    expired = run("inspect", good, "--client", "librdkafka", "--now", "1804067200")
    assert expired.returncode == 1 and json.loads(expired.stdout)["code"] == "token_expired"
    garbage = run("inspect", "not-a-jwt")
    assert garbage.returncode == 1 and json.loads(garbage.stdout)["code"] == "invalid_token"


def test_explain_exit_codes(tmp_path):
    bad = tmp_path / "bad.properties"
    bad.write_text("sasl.oauthbearer.token.endpoint.url=https://idp/token\n"
                   f"sasl.oauthbearer.assertion.private.key.file={KEYS / 'ec-p256.pkcs8.pem'}\n")
    result = run("explain", "--config", str(bad))
    assert result.returncode == 1, result.stdout
    assert any(f["severity"] == "error" for f in json.loads(result.stdout)["findings"])


def test_explain_names_the_property_a_misspelled_one_meant(tmp_path):
    """The trap users hit: Kafka ignores `…assertion.jti.include` (the name is `…assertion.claim.jti.include`)."""
    config = tmp_path / "client.properties"
    config.write_text("sasl.mechanism=OAUTHBEARER\n"
                      "sasl.oauthbearer.assertion.jti.include=true\n")
    findings = json.loads(run("explain", "--config", str(config)).stdout)["findings"]
    assert {"severity": "warning", "code": "unknown_property",
            "message": "sasl.oauthbearer.assertion.jti.include is not a Kafka Java property; Kafka's Java client ignores it",
            "fix": "did you mean sasl.oauthbearer.assertion.claim.jti.include?"} in findings, findings


def test_explain_reads_the_files_the_properties_name(tmp_path):
    """The key file (Kafka's Java client reads only PKCS#8) and the template file (its `aud` is the
    one the assertions carry: two audiences, which Keycloak refuses) are read when readable; an
    unreadable one is simply not checked."""
    template = tmp_path / "template.json"
    template.write_text('{"payload": {"aud": ["https://idp/realms/k", "https://idp/realms/k/token"]}}')
    config = tmp_path / "client.properties"

    def codes(key: Path, template_file: Path) -> set[str]:
        config.write_text("sasl.mechanism=OAUTHBEARER\n"
                          "sasl.login.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler\n"
                          "sasl.oauthbearer.token.endpoint.url=https://idp/realms/k/token\n"
                          f"sasl.oauthbearer.assertion.private.key.file={key}\n"
                          f"sasl.oauthbearer.assertion.template.file={template_file}\n"
                          "sasl.oauthbearer.assertion.claim.iss=app\nsasl.oauthbearer.assertion.claim.sub=app\n"
                          "sasl.oauthbearer.assertion.claim.aud=https://idp/realms/k\n"
                          "sasl.oauthbearer.assertion.claim.jti.include=true\n")
        return {f["code"] for f in json.loads(run("explain", "--config", str(config)).stdout)["findings"]}

    found = codes(KEYS / "rsa2048.pkcs1.pem", template)
    assert {"assertion_multiple_audiences", "key_format_unsupported_by_java"} <= found, found
    found = codes(tmp_path / "missing.pem", tmp_path / "missing.json")
    assert not {"assertion_multiple_audiences", "key_format_unsupported_by_java"} & found, found


def test_explain_knows_the_client_library_installed_here(tmp_path):
    """`--library confluent-kafka` reads the installed version (2.16 here: no poll trap, it
    re-authenticates); an older one named explicitly gets the poll trap; aiokafka on a broker that
    ends sessions gets the re-authentication warning; an unknown library is an error finding."""
    import importlib.metadata

    config = tmp_path / "client.properties"
    config.write_text("sasl.mechanism=OAUTHBEARER\nsecurity.protocol=SASL_SSL\n")

    def codes(*extra):
        return {f["code"]: f["severity"] for f in json.loads(run("explain", "--config", str(config), *extra).stdout)["findings"]}

    installed = importlib.metadata.version("confluent-kafka")
    assert tuple(int(x) for x in installed.split(".")[:2]) >= (2, 13), installed
    assert "confluent_poll_trap" not in codes("--library", "confluent-kafka", "--broker-reauth-ms", "3600000")
    assert codes("--library", "confluent-kafka==2.5.3")["confluent_poll_trap"] == "warning"
    assert codes("--library", "aiokafka==0.12.0", "--broker-reauth-ms", "3600000")["no_reauthentication"] == "warning"
    assert "no_reauthentication" not in codes("--library", "kafka-python==3.0.0", "--broker-reauth-ms", "3600000")
    assert codes("--library", "kafka-net")["invalid_config"] == "error"


def test_serve_aws_says_stock_kafka_clients_cannot_use_msk_tokens_from_a_url():
    import subprocess
    import sys
    env = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
           "PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"}
    proc = subprocess.Popen([sys.executable, "-m", "oauthbearer", "serve", "--provider", "aws", "--region", "us-east-1",
                             "--port", "0", "--no-access-log"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        assert proc.stdout.readline().startswith("oauthbearer: serving aws tokens on http://127.0.0.1:")
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "Kafka's Java client and librdkafka check a token fetched from a URL as a JWT and refuse them" in err, err


def test_jwks_prints_the_public_key_as_idps_take_it(tmp_path):
    """`use: sig` and `alg` (Keycloak refuses a JWKS without `use`), `kid` the RFC 7638 thumbprint;
    PyJWT's JWK set verifies an assertion the same key signed."""
    import os

    import jwt

    key = KEYS / "rsa2048.pbes2-pbkdf2-aes256.pem"
    result = run("jwks", str(key), "--alg", "PS256", "--passphrase-env", "KEY_PASSPHRASE",
                 env={**os.environ, "KEY_PASSPHRASE": "test-passphrase"})
    assert result.returncode == 0, result.stderr
    jwks = json.loads(result.stdout)
    (jwk,) = jwks["keys"]
    thumbprint = _native.SigningKey.parse((KEYS / "rsa2048.pkcs8.pem").read_bytes()).thumbprint
    assert (jwk["use"], jwk["alg"], jwk["kid"], jwk["kty"]) == ("sig", "PS256", thumbprint, "RSA")
    signer = _native.SigningKey.parse((KEYS / "rsa2048.pkcs8.pem").read_bytes(), None, "PS256")
    token = jwt.encode({"sub": "x"}, (KEYS / "rsa2048.pkcs8.pem").read_bytes(), algorithm="PS256",
                       headers={"kid": thumbprint})
    assert jwt.decode(token, jwt.PyJWKSet(jwks["keys"])[thumbprint].key, algorithms=["PS256"])["sub"] == "x"
    assert signer.public_jwk(kid="k") == {**jwk, "kid": "k"}
    assert "kid" not in json.loads(run("jwks", str(KEYS / "ec-p256.pkcs8.pem"), "--kid", "").stdout)["keys"][0]


def test_msk_token_from_environment_credentials():
    env = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
           "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    result = run("msk-token", "--region", "us-east-1", "--now", "1767225600", "--order", "js", env=env)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["expiry_ms"] == 1767225600000 + 900_000
    assert out["url"].startswith("https://kafka.us-east-1.amazonaws.com/?Action=kafka-cluster%3AConnect&")


def test_errors_are_one_line_without_traceback(tmp_path):
    missing = run("assertion", "--config", str(tmp_path / "nope.properties"))
    assert missing.returncode == 2 and missing.stderr.startswith("error: file_unreadable")
    key = tmp_path / "client.properties"
    key.write_text("sasl.oauthbearer.token.endpoint.url=https://idp/token\nsasl.oauthbearer.assertion.algorithm=HS256\n")
    bad = run("assertion", "--config", str(key))
    assert bad.returncode == 2 and bad.stderr.startswith("error: invalid_algorithm") and "Traceback" not in bad.stderr


def test_inspect_with_jwks_judges_as_the_broker(tmp_path, capsys):
    import time as _time
    from oauthbearer import _native as native
    from oauthbearer.cli import main as cli_main

    issuer = native.LocalIssuer("https://issuer.test", native.SigningKey.generate())
    jwks = tmp_path / "jwks.json"
    jwks.write_text(issuer.jwks_json())
    now = int(_time.time() * 1000)
    good = issuer.sign_access_token("alice", now, 3600, "kafka", None).token
    other = native.LocalIssuer("https://issuer.test", native.SigningKey.generate()).sign_access_token(
        "alice", now, 3600, "kafka", None).token
    judge = ["--jwks", str(jwks), "--audience", "kafka", "--issuer", "https://issuer.test"]
    assert cli_main(["inspect", good, *judge]) == 0
    assert '"client": "broker"' in capsys.readouterr().out
    assert cli_main(["inspect", other, *judge]) == 1
    assert "another key" in capsys.readouterr().out
    assert cli_main(["inspect", good, "--jwks", str(tmp_path / "missing.json")]) == 2
    assert "file_unreadable" in capsys.readouterr().err


def test_system_errors_have_their_own_codes_and_words(tmp_path):
    """Issue 25: a port in use, a dead JWKS URL, numbers out of range, a missing --token-file: each
    a code and a sentence on one line, exit 2, no traceback."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = run("serve", "--port", str(port))
    assert busy.returncode == 2, busy.stderr
    assert busy.stderr.startswith(f"error: address_in_use: cannot listen on 127.0.0.1:{port}: another process"), busy.stderr
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}/jwks"
    token = "a.b.c"
    jwks = run("inspect", token, "--jwks", dead)
    assert jwks.returncode == 2 and jwks.stderr.startswith(f"error: file_unreadable: cannot read the JWKS at {dead}: "
                                                           "connection refused (ConnectionRefusedError)"), jwks.stderr
    for args in (["token", "--lifetime", "-5"], ["token", "--lifetime", "1e99"], ["gcp-token", "--access-token", "x",
                 "--expires-at", "-1", "--principal", "p"], ["serve", "--port", "70000"]):
        result = run(*args)
        assert result.returncode == 2 and "Traceback" not in result.stderr and "usage:" in result.stderr, (args, result)
    no_file = run("token", "--provider", "file")
    assert no_file.returncode == 2 and no_file.stderr == "error: missing_config: --provider file needs --token-file FILE\n"
    no_region = run("token", "--provider", "aws", env={k: v for k, v in __import__("os").environ.items()
                                                       if k not in ("AWS_REGION", "AWS_DEFAULT_REGION", "REGION")})
    assert no_region.returncode == 2 and "pass --region or set REGION" in no_region.stderr, no_region.stderr


def test_inspect_reads_the_token_from_stdin_or_a_file(tmp_path):
    """A token on the command line stands in the shell's history and /proc/PID/cmdline."""
    token = json.loads(run("gcp-token", "--access-token", "ya29.x", "--expires-at", "1704070800", "--principal",
                           "a@b.iam.gserviceaccount.com", "--now", "1704067200").stdout)["token"]
    piped = subprocess.run([sys.executable, "-m", "oauthbearer", "inspect", "--now", "1704067200"], input=token + "\n",
                           capture_output=True, text=True)
    assert piped.returncode == 0 and json.loads(piped.stdout)["principal"] == "a@b.iam.gserviceaccount.com"
    path = tmp_path / "token"
    path.write_text(token)
    from_file = run("inspect", "--token-file", str(path), "--now", "1704067200")
    assert from_file.returncode == 0 and json.loads(from_file.stdout)["accepted"] is True


def test_one_dialect_name_everywhere_with_aliases(tmp_path):
    import oauthbearer

    for name in ("kafka-java", "kafka", "java"):
        assert run("inspect", "x", "--dialect", name).returncode == 1
        assert run("inspect", "x", "--client", name).returncode == 1
    assert json.loads(run("inspect", "x", "--dialect", "rdkafka").stdout)["client"] == "librdkafka"
    props = {"sasl.oauthbearer.token.endpoint.url": "https://idp/token",
             "sasl.oauthbearer.client.credentials.client.id": "c",
             "sasl.oauthbearer.client.credentials.client.secret": "s"}
    assert oauthbearer.AssertionProvider(props, dialect="kafka").dialect == "kafka-java"
    librdkafka = {"sasl.oauthbearer.method": "oidc", "sasl.oauthbearer.token.endpoint.url": "https://idp/token",
                  "sasl.oauthbearer.client.id": "c", "sasl.oauthbearer.client.secret": "s"}
    assert oauthbearer.AssertionProvider(librdkafka, dialect="rdkafka").dialect == "librdkafka"
    unknown = run("inspect", "x", "--dialect", "nope")
    assert unknown.returncode == 2 and "kafka-java" in unknown.stderr


def test_explain_reports_what_the_signer_refuses_with_its_code(tmp_path):
    """Issue 25: explain passed configurations `oauthbearer assertion` then refused."""
    template = tmp_path / "template.json"
    template.write_text('{"payload": {"exp": 1}}')
    base = ("sasl.oauthbearer.token.endpoint.url=https://idp/token\nsasl.oauthbearer.assertion.claim.iss=c\n"
            "sasl.oauthbearer.assertion.claim.sub=c\nsasl.oauthbearer.assertion.claim.aud=https://idp/token\n"
            "sasl.oauthbearer.assertion.claim.jti.include=true\n")
    cases = {
        "key_algorithm_mismatch": f"assertion.algorithm=ES256\nassertion.private.key.file={KEYS / 'rsa2048.pkcs8.pem'}",
        "passphrase_not_needed": f"assertion.private.key.file={KEYS / 'rsa2048.pkcs8.pem'}\n"
                                 "assertion.private.key.passphrase=p",
        "wrong_passphrase": f"assertion.private.key.file={KEYS / 'rsa2048.pbes2-pbkdf2-aes256.pem'}\n"
                            "assertion.private.key.passphrase=wrong",
        "template_override": f"assertion.private.key.file={KEYS / 'rsa2048.pkcs8.pem'}\n"
                             f"assertion.template.file={template}",
    }
    for code, extra in cases.items():
        config = tmp_path / f"{code}.properties"
        config.write_text(base + "".join(f"sasl.oauthbearer.{line}\n" for line in extra.splitlines()))
        signed = run("assertion", "--config", str(config))
        assert signed.returncode == 2 and signed.stderr.startswith(f"error: {code}:"), (code, signed.stderr)
        explained = run("explain", "--config", str(config))
        assert explained.returncode == 1, (code, explained.stdout)
        assert any(f["code"] == code and f["severity"] == "error" for f in json.loads(explained.stdout)["findings"]), \
            (code, explained.stdout)
    typo = tmp_path / "typo.properties"
    typo.write_text(base + f"sasl.oauthbearer.assertion.private.key.file={KEYS / 'ec-p256.pkcs8.pem'}\n"
                           "sasl.oauthbearer.assertion.algorithim=ES256\n")
    findings = json.loads(run("explain", "--config", str(typo)).stdout)["findings"]
    assert {(f["severity"], f["code"]) for f in findings} >= {("error", "unknown_property"),
                                                              ("error", "key_algorithm_mismatch")}, findings


def test_jti_given_where_the_configuration_sends_none_is_said(tmp_path):
    config = tmp_path / "client.properties"
    config.write_text("sasl.oauthbearer.token.endpoint.url=https://idp/token\nsasl.oauthbearer.assertion.claim.iss=c\n"
                      f"sasl.oauthbearer.assertion.private.key.file={KEYS / 'rsa2048.pkcs8.pem'}\n")
    result = run("assertion", "--config", str(config), "--jti", "j-1")
    assert result.returncode == 0 and "--jti is ignored" in result.stderr


def test_files_that_are_not_text_or_json_are_errors_not_tracebacks(tmp_path):
    binary = tmp_path / "client.properties"
    binary.write_bytes(b"\xff\xfe\x00sasl")
    result = run("explain", "--config", str(binary))
    assert result.returncode == 2 and result.stderr.startswith("error: file_unreadable: ") and "Traceback" not in result.stderr
    jwks = tmp_path / "client.jwks"
    jwks.write_text("{not json")
    result = run("token", "--client-jwk", f"c={jwks}")
    assert result.returncode == 2 and result.stderr.startswith("error: invalid_config: a JSON file"), result.stderr


def test_jwks_carries_the_algorithm_the_client_signs_with(tmp_path):
    """Issue 28: `jwks KEY` printed RS256 for any RSA key; a PS256 client registered with it is refused."""
    config = tmp_path / "client.properties"
    config.write_text("sasl.oauthbearer.token.endpoint.url=https://idp/token\n"
                      "sasl.oauthbearer.assertion.algorithm=PS256\nsasl.oauthbearer.assertion.claim.iss=c\n"
                      f"sasl.oauthbearer.assertion.private.key.file={KEYS / 'rsa2048.pkcs8.pem'}\n")
    by_key = json.loads(run("jwks", str(KEYS / "rsa2048.pkcs8.pem")).stdout)["keys"][0]
    by_config = json.loads(run("jwks", "--config", str(config)).stdout)["keys"][0]
    assert by_key["alg"] == "RS256" and by_config["alg"] == "PS256"
    assert {k: v for k, v in by_key.items() if k != "alg"} == {k: v for k, v in by_config.items() if k != "alg"}
    conflict = run("jwks", "--config", str(config), "--alg", "RS256")
    assert conflict.returncode == 2 and conflict.stderr.startswith("error: invalid_config: --alg RS256 differs")


def test_client_id_and_sub_naming_different_clients_are_refused_and_explained(tmp_path):
    config = tmp_path / "client.properties"
    config.write_text("sasl.oauthbearer.token.endpoint.url=https://idp/token\nsasl.oauthbearer.assertion.claim.iss=c\n"
                      "sasl.oauthbearer.assertion.claim.sub=c\nsasl.oauthbearer.client.credentials.client.id=other\n"
                      f"sasl.oauthbearer.assertion.private.key.file={KEYS / 'rsa2048.pkcs8.pem'}\n")
    signed = run("assertion", "--config", str(config))
    assert signed.returncode == 2 and signed.stderr.startswith("error: client_id_sub_mismatch: "), signed.stderr
    findings = json.loads(run("explain", "--config", str(config)).stdout)["findings"]
    assert [f["severity"] for f in findings if f["code"] == "client_id_sub_mismatch"] == ["error"], findings
    assert run("assertion", "--config", str(config), "--mode", "kafka-compatible").returncode == 0
