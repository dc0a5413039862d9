//! Files that change on disk: key, template and assertion files are re-read on change, the last
//! good value is kept when a new one fails, and the passphrase survives reloads.
#![cfg(feature = "fs")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use std::path::{Path, PathBuf};

use base64::Engine;
use common::key_bytes;
use oauthbearer::config::Mode;
use oauthbearer::reload::{FileAssertionSource, Watched};
use oauthbearer::{Config, Dialect};
use serde_json::Value;

const NOW_MS: u64 = 1_767_225_600_000;

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("oauthbearer-reload-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Replaces a file the way deployment tools do: write a new file, rename it over the old one (a
/// new inode, so the change is seen even within the same mtime second).
fn replace(path: &Path, contents: &[u8]) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, contents).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn payload(assertion: &str) -> Value {
    let part = assertion.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn header(assertion: &str) -> Value {
    let part = assertion.split('.').next().unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// A configuration that sends the pre-built assertion in `file`.
fn prebuilt_config(file: &Path) -> Config {
    Config::from_properties(
        [
            ("sasl.oauthbearer.token.endpoint.url", "https://idp.example/token"),
            ("sasl.oauthbearer.assertion.file", file.to_str().unwrap()),
        ],
        Dialect::KafkaJava,
    )
    .unwrap()
}

fn signed_config(dir: &TempDir, extra: &[(&str, String)]) -> Config {
    let key = dir.path("client.key").display().to_string();
    let mut props: Vec<(&str, String)> = vec![
        ("sasl.oauthbearer.token.endpoint.url", "https://idp.example/token".into()),
        ("sasl.oauthbearer.assertion.claim.iss", "me".into()),
        ("sasl.oauthbearer.assertion.claim.sub", "me".into()),
        ("sasl.oauthbearer.assertion.claim.aud", "https://idp.example".into()),
        ("sasl.oauthbearer.assertion.private.key.file", key),
    ];
    props.extend(extra.iter().cloned());
    Config::from_properties(props.iter().map(|(k, v)| (*k, v.as_str())), Dialect::KafkaJava).unwrap()
}

#[test]
fn key_rotation_is_picked_up_and_a_bad_key_keeps_the_last_good_one() {
    let dir = TempDir::new("key");
    std::fs::write(dir.path("client.key"), key_bytes("rsa2048.pbes2-pbkdf2-aes256.pem")).unwrap();
    let config =
        signed_config(&dir, &[("sasl.oauthbearer.assertion.private.key.passphrase", "test-passphrase".into())]);
    let source = FileAssertionSource::from_config(&config, Mode::Strict).unwrap();
    let first = source.assertion(NOW_MS, None).unwrap();
    assert!(first.reload_errors.is_empty());

    // A new encrypted key under the same passphrase (another RSA format of a different key would
    // do too): the passphrase is kept across the reload.
    replace(&dir.path("client.key"), &key_bytes("rsa2048.pkcs12-sha1-3des.pem"));
    let second = source.assertion(NOW_MS, None).unwrap();
    assert!(second.reload_errors.is_empty(), "{:?}", second.reload_errors);

    // A broken key: the previous key still signs, and the failure is reported on every call.
    replace(&dir.path("client.key"), b"-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n");
    for _ in 0..2 {
        let out = source.assertion(NOW_MS, None).unwrap();
        assert_eq!(out.reload_errors.iter().map(|e| e.code()).collect::<Vec<_>>(), ["invalid_key"]);
        assert_eq!(payload(out.assertion.expose())["iss"], "me");
    }

    // A key that does not fit the algorithm is reported the same way.
    replace(&dir.path("client.key"), &key_bytes("ec-p256.pbes2-pbkdf2-aes256.pem"));
    let out = source.assertion(NOW_MS, None).unwrap();
    assert_eq!(out.reload_errors.iter().map(|e| e.code()).collect::<Vec<_>>(), ["key_algorithm_mismatch"]);

    // Fixed again: the error goes away.
    replace(&dir.path("client.key"), &key_bytes("rsa2048.pbes2-scrypt.pem"));
    assert!(source.assertion(NOW_MS, None).unwrap().reload_errors.is_empty());
}

#[test]
fn template_changes_are_applied() {
    let dir = TempDir::new("template");
    std::fs::write(dir.path("client.key"), key_bytes("ec-p256.pkcs8.pem")).unwrap();
    std::fs::write(dir.path("t.json"), br#"{"header":{"kid":"one"}}"#).unwrap();
    let config = signed_config(
        &dir,
        &[
            ("sasl.oauthbearer.assertion.algorithm", "ES256".into()),
            ("sasl.oauthbearer.assertion.template.file", dir.path("t.json").display().to_string()),
        ],
    );
    let source = FileAssertionSource::from_config(&config, Mode::Strict).unwrap();
    assert_eq!(header(source.assertion(NOW_MS, None).unwrap().assertion.expose())["kid"], "one");
    replace(&dir.path("t.json"), br#"{"header":{"kid":"two"}}"#);
    assert_eq!(header(source.assertion(NOW_MS, None).unwrap().assertion.expose())["kid"], "two");
    // A template that sets a signer-owned claim is refused; the previous one stays.
    replace(&dir.path("t.json"), br#"{"payload":{"exp":1}}"#);
    let out = source.assertion(NOW_MS, None).unwrap();
    assert_eq!(header(out.assertion.expose())["kid"], "two");
    assert_eq!(out.reload_errors.iter().map(|e| e.code()).collect::<Vec<_>>(), ["template_override"]);
}

#[test]
fn prebuilt_assertion_file_is_reloaded_and_checked_against_now() {
    let dir = TempDir::new("prebuilt");
    let jwt = |exp: u64| {
        let e = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!("{}.{}.c2ln\n", e(r#"{"alg":"RS256"}"#), e(&format!(r#"{{"iss":"c","exp":{exp}}}"#)))
    };
    let file = dir.path("assertion.jwt");
    std::fs::write(&file, jwt(NOW_MS / 1000 + 300)).unwrap();
    let config = prebuilt_config(&file);
    let source = FileAssertionSource::from_config(&config, Mode::Strict).unwrap();
    assert!(source.assertion(NOW_MS, None).is_ok());
    // Time passes and the writer stopped: the core refuses to send an assertion about to expire.
    assert_eq!(source.assertion(NOW_MS + 290_000, None).err().map(|e| e.code()), Some("assertion_expired"));
    // The writer refreshes the file.
    replace(&file, jwt(NOW_MS / 1000 + 600).as_bytes());
    assert!(source.assertion(NOW_MS + 290_000, None).is_ok());
    // The file disappears mid-rotation: the last content is used and the error reported.
    std::fs::remove_file(&file).unwrap();
    let out = source.assertion(NOW_MS + 290_000, None).unwrap();
    assert_eq!(out.reload_errors.iter().map(|e| e.code()).collect::<Vec<_>>(), ["file_unreadable"]);
}

/// spiffe-helper writes its JWT-SVID file in place (`os.WriteFile`: truncate, then write): a read
/// between the two sees an empty file, and a slow write half a token. Neither replaces the last
/// good assertion, which keeps being sent (with the reload error reported) until the write is whole.
#[test]
fn a_prebuilt_file_read_mid_write_keeps_the_last_whole_assertion() {
    use std::io::Write as _;
    let dir = TempDir::new("in-place");
    let jwt = |sub: &str| {
        let e = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        let exp = NOW_MS / 1000 + 600;
        format!("{}.{}.c2lnbmF0dXJl\n", e(r#"{"alg":"ES256"}"#), e(&format!(r#"{{"sub":"{sub}","exp":{exp}}}"#)))
    };
    let file = dir.path("jwt_svid.token");
    std::fs::write(&file, jwt("spiffe://example.org/first")).unwrap();
    let config = prebuilt_config(&file);
    let source = FileAssertionSource::from_config(&config, Mode::Strict).unwrap();
    let first = source.assertion(NOW_MS, None).unwrap().assertion.expose().to_owned();
    let next = jwt("spiffe://example.org/second");
    // Truncated (the same inode, as os.WriteFile leaves it), then half written.
    let mut writer = std::fs::OpenOptions::new().write(true).truncate(true).open(&file).unwrap();
    for (written, seen) in [(0, "empty"), (next.len() / 2, "half")] {
        writer.write_all(&next.as_bytes()[..written]).unwrap();
        writer.flush().unwrap();
        let out = source.assertion(NOW_MS, None).unwrap();
        assert_eq!(out.assertion.expose(), first, "{seen}");
        assert_eq!(out.reload_errors.iter().map(|e| e.code()).collect::<Vec<_>>(), ["invalid_assertion"], "{seen}");
        writer = std::fs::OpenOptions::new().write(true).truncate(true).open(&file).unwrap();
    }
    writer.write_all(next.as_bytes()).unwrap();
    drop(writer);
    let out = source.assertion(NOW_MS, None).unwrap();
    assert!(out.reload_errors.is_empty(), "{:?}", out.reload_errors);
    assert_eq!(out.assertion.expose(), next.trim());
}

#[test]
fn missing_files_fail_at_open_with_file_unreadable() {
    let dir = TempDir::new("missing");
    let config = signed_config(&dir, &[]);
    let err = FileAssertionSource::from_config(&config, Mode::Strict).unwrap_err();
    assert_eq!(err.code(), "file_unreadable");
    assert!(err.message().contains("client.key"), "{err}");
    assert_eq!(Watched::open(dir.path("nope"), |b| Ok(b.len())).unwrap_err().code(), "file_unreadable");
}

#[test]
fn watched_file_sees_in_place_writes() {
    let dir = TempDir::new("inplace");
    let file = dir.path("f");
    std::fs::write(&file, b"1").unwrap();
    let watched = Watched::open(&file, |b| Ok(b.to_vec())).unwrap();
    assert!(!watched.current().reloaded);
    // Same inode, different size: seen even if the mtime did not tick.
    std::fs::write(&file, b"22").unwrap();
    let now = watched.current();
    assert!(now.reloaded);
    assert_eq!(*now.value, b"22");
}

#[test]
fn an_inline_key_signs_without_a_file_and_a_template_file_still_reloads() {
    let dir = TempDir::new("inline");
    std::fs::write(dir.path("template.json"), br#"{"header":{},"payload":{"tenant":"a"}}"#).unwrap();
    let pem = String::from_utf8(key_bytes("ec-p256.pkcs8.pem")).unwrap();
    let props = [
        ("sasl.oauthbearer.method", "oidc".to_owned()),
        ("sasl.oauthbearer.token.endpoint.url", "https://idp.example/token".to_owned()),
        ("sasl.oauthbearer.client.id", "me".to_owned()),
        ("sasl.oauthbearer.grant.type", "urn:ietf:params:oauth:grant-type:jwt-bearer".to_owned()),
        ("sasl.oauthbearer.assertion.algorithm", "ES256".to_owned()),
        ("sasl.oauthbearer.assertion.private.key.pem", pem),
        ("sasl.oauthbearer.assertion.claim.iss", "me".to_owned()),
        ("sasl.oauthbearer.assertion.claim.sub", "me".to_owned()),
        ("sasl.oauthbearer.assertion.claim.aud", "https://idp.example".to_owned()),
        ("sasl.oauthbearer.assertion.jwt.template.file", dir.path("template.json").display().to_string()),
    ];
    let config = Config::from_properties(props.iter().map(|(k, v)| (*k, v.as_str())), Dialect::Librdkafka).unwrap();
    let source = FileAssertionSource::from_config(&config, Mode::Strict).unwrap();
    let first = source.assertion(NOW_MS, None).unwrap();
    assert!(first.reload_errors.is_empty());
    assert_eq!(header(first.assertion.expose())["alg"], "ES256");
    assert_eq!(payload(first.assertion.expose())["tenant"], "a");
    replace(&dir.path("template.json"), br#"{"header":{},"payload":{"tenant":"b"}}"#);
    let second = source.assertion(NOW_MS, None).unwrap();
    assert_eq!(payload(second.assertion.expose())["tenant"], "b");
}

fn thumbprints(cert: &str) -> Value {
    serde_json::from_slice(&key_bytes(&cert.replace(".cert.pem", ".cert.thumbprints.json"))).unwrap()
}

/// Entra certificate credentials: the certificate names the key in the header, in the style asked
/// for; a rotation that replaces the key before the certificate (or the other way round) keeps the
/// previous pair signing and reports the mismatch on every call until both files agree.
#[test]
fn a_certificate_names_the_key_and_a_half_done_rotation_keeps_the_previous_pair() {
    use oauthbearer::reload::CertificateFile;
    use oauthbearer::x509::ThumbprintHeader;
    let dir = TempDir::new("certificate");
    std::fs::write(dir.path("client.key"), key_bytes("rsa2048.pkcs8.pem")).unwrap();
    std::fs::write(dir.path("client.crt"), key_bytes("rsa2048.cert.pem")).unwrap();
    let config = signed_config(&dir, &[]);
    let open = |header| {
        let file = CertificateFile { path: dir.path("client.crt"), header };
        FileAssertionSource::from_config_with_certificate(&config, Mode::Strict, Some(file)).unwrap()
    };
    let rsa = thumbprints("rsa2048.cert.pem");
    let sign = |source: &FileAssertionSource| source.assertion(NOW_MS, None).unwrap();
    for (style, expected) in [
        (ThumbprintHeader::X5tS256, serde_json::json!({ "x5t#S256": rsa["x5t#S256"] })),
        (ThumbprintHeader::X5t, serde_json::json!({ "x5t": rsa["x5t"] })),
        (ThumbprintHeader::Both, serde_json::json!({ "x5t": rsa["x5t"], "x5t#S256": rsa["x5t#S256"] })),
    ] {
        let h = header(sign(&open(style)).assertion.expose());
        let names: Vec<&str> =
            h.as_object().unwrap().keys().map(String::as_str).filter(|k| k.starts_with("x5t")).collect();
        assert_eq!(names.len(), expected.as_object().unwrap().len(), "{style:?}: {h}");
        for (name, value) in expected.as_object().unwrap() {
            assert_eq!(&h[name], value, "{style:?}: {h}");
        }
    }

    // Rotation (P-256, ES256): the key first — the certificate no longer holds it, so the
    // previous pair keeps signing and the mismatch is reported on each call.
    std::fs::write(dir.path("client.key"), key_bytes("ec-p256.pkcs8.pem")).unwrap();
    std::fs::write(dir.path("client.crt"), key_bytes("ec-p256.cert.pem")).unwrap();
    let es256 = signed_config(&dir, &[("sasl.oauthbearer.assertion.algorithm", "ES256".into())]);
    let file = CertificateFile { path: dir.path("client.crt"), header: ThumbprintHeader::X5tS256 };
    let source = FileAssertionSource::from_config_with_certificate(&es256, Mode::Strict, Some(file)).unwrap();
    let ec = thumbprints("ec-p256.cert.pem");
    let new_cert = oauthbearer::x509::CertificateThumbprints::from_bytes(&key_bytes("localhost-tls.cert.pem")).unwrap();
    let signed_by = |assertion: &str, key: &str| {
        let jwk = oauthbearer::PrivateKey::from_bytes(&key_bytes(key), None).unwrap().public_jwk();
        let verifying = oauthbearer::key::VerifyingKey::from_jwk(&jwk).unwrap();
        let (message, signature) = assertion.rsplit_once('.').unwrap();
        let signature = oauthbearer::encoding::b64url_decode(signature).unwrap();
        verifying.verify(oauthbearer::Algorithm::ES256, message.as_bytes(), &signature)
    };
    replace(&dir.path("client.key"), &key_bytes("localhost-tls.key.pem"));
    for _ in 0..2 {
        let out = sign(&source);
        assert_eq!(header(out.assertion.expose())["x5t#S256"], ec["x5t#S256"]);
        assert!(signed_by(out.assertion.expose(), "ec-p256.pkcs8.pem"));
        let codes: Vec<&str> = out.reload_errors.iter().map(oauthbearer::Error::code).collect();
        assert_eq!(codes, ["invalid_certificate"]);
    }
    // Then the certificate: the new pair signs, and the report stops.
    replace(&dir.path("client.crt"), &key_bytes("localhost-tls.cert.pem"));
    let out = sign(&source);
    assert!(out.reload_errors.is_empty(), "{:?}", out.reload_errors);
    assert_eq!(header(out.assertion.expose())["x5t#S256"], new_cert.x5t_s256.as_str());
    assert!(signed_by(out.assertion.expose(), "localhost-tls.key.pem"));
    assert_ne!(new_cert.x5t_s256.as_str(), ec["x5t#S256"]);

    // A certificate of another key at the start is refused outright.
    std::fs::write(dir.path("client.key"), key_bytes("rsa2048.pkcs8.pem")).unwrap();
    std::fs::write(dir.path("other.crt"), key_bytes("ec-p256.cert.pem")).unwrap();
    let file = CertificateFile { path: dir.path("other.crt"), header: ThumbprintHeader::X5t };
    let e = FileAssertionSource::from_config_with_certificate(&config, Mode::Strict, Some(file)).unwrap_err();
    assert_eq!(e.code(), "invalid_certificate");
}
