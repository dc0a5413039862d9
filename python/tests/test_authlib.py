"""An Authlib authorization server (framework-free, on loopback) authenticates our clients the way
an IdP would: KIP-1258 assertions through Authlib's own RFC 7523 `private_key_jwt` verifier, and
client secrets through its `client_secret_basic` check."""

from __future__ import annotations

import pytest
from authlib_idp import Client, Idp  # tests/support/: shared with the Envoy plugin's tests

import oauthbearer
from oauthbearer import _native
from oauthbearer.providers import AssertionProvider
from conftest import KEYS


@pytest.fixture
def idp():
    keys = {"app-es256": "ec-p256.pkcs8.pem", "app-rs256": "rsa2048.pkcs8.pem"}
    clients = {cid: Client(cid, "private_key_jwt", jwk=_native.SigningKey.parse((KEYS / f).read_bytes()).public_jwk())
               for cid, f in keys.items()}
    clients["svc"] = Client("svc", "client_secret_basic", secret="s3cret/with=specials&more%")
    server = Idp(clients)
    yield server
    server.close()


@pytest.mark.parametrize(("client_id", "alg", "key"), [("app-es256", "ES256", "ec-p256.pkcs8.pem"),
                                                        ("app-rs256", "RS256", "rsa2048.pkcs8.pem")])
def test_authlib_authenticates_our_kip1258_assertions(idp, client_id, alg, key):
    provider = AssertionProvider({
        "sasl.oauthbearer.token.endpoint.url": idp.token_url,
        "sasl.oauthbearer.assertion.algorithm": alg,
        "sasl.oauthbearer.assertion.private.key.file": str(KEYS / key),
        "sasl.oauthbearer.assertion.claim.iss": client_id,
        "sasl.oauthbearer.assertion.claim.sub": client_id,
        "sasl.oauthbearer.assertion.claim.aud": idp.token_url,
        "sasl.oauthbearer.assertion.claim.jti.include": "true",
    })
    assert provider.token().principal == client_id
    assert idp.issued == [(client_id, "private_key_jwt")]


def test_authlib_authenticates_our_client_secret_requests(idp):
    jaas = ('org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required '
            'clientId="svc" clientSecret="s3cret/with=specials&more%";')
    for extra in ({}, {"sasl.oauthbearer.header.urlencode": "true"}):
        provider = AssertionProvider({"sasl.oauthbearer.token.endpoint.url": idp.token_url, "sasl.jaas.config": jaas,
                                      **extra})
        assert provider.token().principal == "svc"
    assert idp.issued == [("svc", "client_secret_basic")] * 2


def test_authlib_refuses_a_wrong_secret_and_the_error_is_typed(idp):
    jaas = ('org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required '
            'clientId="svc" clientSecret="wrong";')
    with pytest.raises(oauthbearer.TokenEndpointError) as err:
        AssertionProvider({"sasl.oauthbearer.token.endpoint.url": idp.token_url, "sasl.jaas.config": jaas}).token()
    assert err.value.status == 401 and err.value.error == "invalid_client"
    assert "wrong" not in str(err.value)
