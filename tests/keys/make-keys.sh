#!/usr/bin/env bash
# Makes the test-only keys in this folder. They are committed so that the vectors stay fixed; this
# script records exactly how each one was made (OpenSSL 3.0). Never use these keys for anything real.
#
# Run from this folder: bash make-keys.sh   (it overwrites every file it makes)
set -euo pipefail
cd "$(dirname "$0")"
pass=test-passphrase

# RSA 2048: PKCS#8, PKCS#1 and every encrypted PKCS#8 flavour we read.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa2048.pkcs8.pem
openssl pkey -in rsa2048.pkcs8.pem -traditional -out rsa2048.pkcs1.pem
openssl pkcs8 -topk8 -nocrypt -in rsa2048.pkcs8.pem -outform DER -out rsa2048.pkcs8.der
openssl pkcs8 -topk8 -in rsa2048.pkcs8.pem -passout pass:$pass -out rsa2048.pbes2-pbkdf2-aes256.pem
openssl pkcs8 -topk8 -in rsa2048.pkcs8.pem -passout pass:$pass -v2 aes-128-cbc -v2prf hmacWithSHA1 \
  -out rsa2048.pbes2-pbkdf2sha1-aes128.pem
openssl pkcs8 -topk8 -in rsa2048.pkcs8.pem -passout pass:$pass -scrypt -out rsa2048.pbes2-scrypt.pem
openssl pkcs8 -topk8 -in rsa2048.pkcs8.pem -passout pass:$pass -v1 PBE-SHA1-3DES -out rsa2048.pkcs12-sha1-3des.pem
openssl pkcs8 -topk8 -in rsa2048.pkcs8.pem -passout pass:$pass -v1 PBE-SHA1-DES \
  -provider legacy -provider default -out rsa2048.pbes1-sha1-des.pem
openssl pkcs8 -topk8 -in rsa2048.pkcs8.pem -passout pass:$pass -v1 PBE-MD5-DES \
  -provider legacy -provider default -out rsa2048.pbes1-md5-des.pem
# Traditional OpenSSL encryption ("Proc-Type: 4,ENCRYPTED"): refused with a clear error.
openssl rsa -in rsa2048.pkcs8.pem -traditional -aes256 -passout pass:$pass -out rsa2048.pkcs1-legacy-encrypted.pem

# RSA 1024: refused as weak.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.pkcs8.pem

# EC P-256: PKCS#8, SEC1, encrypted PKCS#8.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec-p256.pkcs8.pem
openssl pkey -in ec-p256.pkcs8.pem -traditional -out ec-p256.sec1.pem
openssl pkcs8 -topk8 -in ec-p256.pkcs8.pem -passout pass:$pass -out ec-p256.pbes2-pbkdf2-aes256.pem

# EC P-384 and secp256k1 (a curve we refuse), Ed25519.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec-p384.pkcs8.pem
openssl pkey -in ec-p384.pkcs8.pem -traditional -out ec-p384.sec1.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out ec-secp256k1.pkcs8.pem
openssl genpkey -algorithm ED25519 -out ed25519.pkcs8.pem

# Self-signed certificates for x5t / x5t#S256.
openssl req -new -x509 -key rsa2048.pkcs8.pem -subj /CN=oauthbearer-test-rsa -days 36500 \
  -set_serial 1 -out rsa2048.cert.pem
openssl req -new -x509 -key ec-p256.pkcs8.pem -subj /CN=oauthbearer-test-ec -days 36500 \
  -set_serial 2 -out ec-p256.cert.pem

# The expected thumbprints, computed by OpenSSL (base64url of the DER digest), for the tests.
for c in rsa2048 ec-p256; do
  der=$(openssl x509 -in $c.cert.pem -outform DER | base64 -w0)
  s1=$(echo "$der" | base64 -d | openssl dgst -sha1 -binary | base64 -w0 | tr '+/' '-_' | tr -d '=')
  s256=$(echo "$der" | base64 -d | openssl dgst -sha256 -binary | base64 -w0 | tr '+/' '-_' | tr -d '=')
  printf '{"x5t":"%s","x5t#S256":"%s"}\n' "$s1" "$s256" > $c.cert.thumbprints.json
done

# Public keys as OpenSSL writes them (SPKI PEM), to check our public JWKs against.
for k in rsa2048 ec-p256 ec-p384 ed25519; do openssl pkey -in $k.pkcs8.pem -pubout -out $k.pub.pem; done

# Private JWKs, written by PyJWT (an implementation independent of ours): pip install 'PyJWT[crypto]'.
python3 - <<'PY'
import json
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from jwt.algorithms import RSAAlgorithm, ECAlgorithm, OKPAlgorithm
for name, alg in [("rsa2048", RSAAlgorithm), ("ec-p256", ECAlgorithm), ("ec-p384", ECAlgorithm),
                  ("ed25519", OKPAlgorithm)]:
    key = load_pem_private_key(open(f"{name}.pkcs8.pem", "rb").read(), None)
    jwk = json.loads(alg.to_jwk(key))
    open(f"{name}.jwk.json", "w").write(json.dumps(jwk, sort_keys=True) + "\n")
PY

# A TLS server certificate for localhost and 127.0.0.1 (its own CA), for loopback fakes of IdPs that the
# SDKs under test reach only over https.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out localhost-tls.key.pem
openssl req -x509 -key localhost-tls.key.pem -days 36500 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -addext basicConstraints=critical,CA:TRUE -set_serial 3 \
  -out localhost-tls.cert.pem
