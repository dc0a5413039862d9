"""`import oauthbearer` loads the native module and nothing heavy: no HTTP or TLS stack, no vendor SDK,
no Kafka client, no Beam, no CLI (issue 29: a Beam worker and every CLI call pay for the import).
What each name needs loads when it is first used."""

import subprocess
import sys

# Modules `import oauthbearer` must not load: ours that carry the rest, the standard library's HTTP
# and TLS stack and typing (~65 ms and ~10 ms here), the vendor SDKs, the Kafka clients and Beam.
HEAVY = ("oauthbearer.providers", "oauthbearer.server", "oauthbearer.cli", "oauthbearer.beam",
         "oauthbearer.adapters", "urllib.request", "http.client", "ssl", "email", "dataclasses", "typing", "google.auth",
         "botocore", "azure.identity", "kafka", "aiokafka", "confluent_kafka", "apache_beam")


def loaded_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()


def test_import_loads_the_native_module_and_nothing_heavy():
    assert loaded_after("import oauthbearer; oauthbearer.SigningKey, oauthbearer.__version__") == []


def test_a_provider_loads_the_providers_module_on_first_use():
    assert loaded_after("import oauthbearer; oauthbearer.FileProvider")[:1] == ["oauthbearer.providers"]
    assert "oauthbearer.providers" in loaded_after("from oauthbearer import *")


def test_submodules_stay_reachable_as_attributes():
    assert loaded_after("import oauthbearer; oauthbearer.providers.GoogleProvider, oauthbearer.server.make_server")[:2] \
        == ["oauthbearer.providers", "oauthbearer.server"]


def test_every_exported_name_resolves_and_unknown_names_fail():
    import oauthbearer

    assert all(getattr(oauthbearer, name) is not None for name in oauthbearer.__all__)
    assert set(oauthbearer.__all__) <= set(dir(oauthbearer))
    try:
        oauthbearer.NoSuchProvider  # noqa: B018
    except AttributeError as e:
        assert "NoSuchProvider" in str(e)
    else:
        raise AssertionError("an unknown name resolved")
