//! Files that change on disk (feature `fs`): key, template and assertion files are re-read when
//! their modification time, size or inode changes. When a new version fails to read or parse, the
//! last good value stays in use and the failure is reported alongside it. This module is the only
//! place the core touches the file system; the WASI build leaves it out and its host hands bytes in.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use crate::assertion::{
    check_prebuilt_assertion, check_template, AssertionSigner, SignedAssertion, DEFAULT_EXPIRY_MARGIN_SECONDS,
};
use crate::config::{AssertionSource, Config, GrantPath, Mode};
use crate::error::{Error, ErrorKind, Result};
use crate::key::{PrivateKey, SigningKey};
use crate::secret::Secret;
use crate::template::AssertionTemplate;
use crate::x509::{CertificateThumbprints, ThumbprintHeader};

/// What identifies one version of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fingerprint {
    modified: Option<SystemTime>,
    len: u64,
    #[cfg(unix)]
    inode: u64,
}

fn fingerprint(path: &Path) -> std::io::Result<Fingerprint> {
    let meta = std::fs::metadata(path)?;
    Ok(Fingerprint {
        modified: meta.modified().ok(),
        len: meta.len(),
        #[cfg(unix)]
        inode: std::os::unix::fs::MetadataExt::ino(&meta),
    })
}

fn unreadable(path: &Path, e: &std::io::Error) -> Error {
    Error::new(ErrorKind::FileUnreadable, format!("cannot read {}: {}", path.display(), io_reason(e)))
}

struct State<T> {
    fingerprint: Fingerprint,
    value: Arc<T>,
    last_error: Option<Error>,
}

/// The current value of a watched file.
#[derive(Debug)]
pub struct Current<T> {
    /// The last value that parsed.
    pub value: Arc<T>,
    /// Whether this call read a new version of the file.
    pub reloaded: bool,
    /// Why the newest version of the file is not in use, if it is not.
    pub reload_error: Option<Error>,
}

type Parser<T> = Box<dyn Fn(&[u8]) -> Result<T> + Send + Sync>;

/// A file parsed into `T`, re-read when it changes. Thread-safe.
pub struct Watched<T> {
    path: PathBuf,
    parse: Parser<T>,
    state: Mutex<State<T>>,
}

impl<T> std::fmt::Debug for Watched<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watched").field("path", &self.path).finish_non_exhaustive()
    }
}

impl<T> Watched<T> {
    /// Reads and parses the file; this first read must succeed.
    pub fn open(path: impl Into<PathBuf>, parse: impl Fn(&[u8]) -> Result<T> + Send + Sync + 'static) -> Result<Self> {
        let path = path.into();
        let fp = fingerprint(&path).map_err(|e| unreadable(&path, &e))?;
        let bytes = zeroize::Zeroizing::new(std::fs::read(&path).map_err(|e| unreadable(&path, &e))?);
        let value = parse(&bytes).map_err(|e| e.context(&path.display().to_string()))?;
        Ok(Self {
            path,
            parse: Box::new(parse),
            state: Mutex::new(State { fingerprint: fp, value: Arc::new(value), last_error: None }),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A panic while holding the lock cannot leave State half-written (fields are replaced
        // whole), so a poisoned lock is safe to use.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The current value, re-reading the file first if it changed since the last read.
    pub fn current(&self) -> Current<T> {
        let mut state = self.lock();
        let mut reloaded = false;
        match fingerprint(&self.path) {
            Ok(fp) if fp != state.fingerprint => {
                let parsed = std::fs::read(&self.path)
                    .map(zeroize::Zeroizing::new)
                    .map_err(|e| unreadable(&self.path, &e))
                    .and_then(|bytes| (self.parse)(&bytes).map_err(|e| e.context(&self.path.display().to_string())));
                state.fingerprint = fp;
                match parsed {
                    Ok(v) => {
                        state.value = Arc::new(v);
                        state.last_error = None;
                        reloaded = true;
                    }
                    Err(e) => state.last_error = Some(e),
                }
            }
            Ok(_) => {}
            // A file that vanished (mid-rotation) keeps its last value; the error says so.
            Err(e) => state.last_error = Some(unreadable(&self.path, &e)),
        }
        Current { value: Arc::clone(&state.value), reloaded, reload_error: state.last_error.clone() }
    }
}

/// Where a [`FileAssertionSource`] gets its assertions.
enum Source {
    Signed {
        /// `None` for an inline key (`…private.key.pem`): nothing to re-read.
        key: Option<Watched<SigningKey>>,
        template: Option<Watched<AssertionTemplate>>,
        certificate: Option<Watched<CertificateThumbprints>>,
        signer: Box<Mutex<SignerState>>,
    },
    Prebuilt {
        file: Watched<Secret>,
        margin_seconds: u32,
        mode: Mode,
    },
}

/// The signer in use, and whether the newest key and certificate did not match when last tried
/// (a rotation half done: the previous pair stays in use and the mismatch is reported each call).
struct SignerState {
    signer: AssertionSigner,
    mismatch: bool,
}

/// A certificate file that names the signing key in the assertion header (Entra ID certificate
/// credentials), re-read with the key: while a rotation has replaced one of the two files and not
/// the other, the previous pair keeps signing and the mismatch is reported.
#[derive(Clone, Debug)]
pub struct CertificateFile {
    /// The certificate (PEM, the first `CERTIFICATE` block, or DER).
    pub path: PathBuf,
    /// Which thumbprint header(s) name it.
    pub header: ThumbprintHeader,
}

impl CertificateFile {
    /// The certificate file a front's optional arguments name: none without a path (then a header
    /// is refused with `invalid_config`), `x5t#S256` when no header is given.
    pub fn optional(path: Option<PathBuf>, header: Option<ThumbprintHeader>) -> Result<Option<Self>> {
        let header = ThumbprintHeader::for_certificate(path.is_some(), header)?;
        Ok(path.map(|path| Self { path, header }))
    }
}

/// Assertions for a [`Config`] whose key, template or assertion file may change on disk: the
/// KIP-1258 / KIP-1139 client side, with Kafka's reload semantics and our checks. The key's
/// passphrase is kept across reloads.
pub struct FileAssertionSource {
    source: Source,
}

impl std::fmt::Debug for FileAssertionSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileAssertionSource").finish_non_exhaustive()
    }
}

/// One assertion and what happened on the way.
#[derive(Debug)]
pub struct AssertionOutcome {
    /// The assertion to send.
    pub assertion: Secret,
    /// Files whose newest version failed to read or parse (the last good version was used).
    pub reload_errors: Vec<Error>,
}

impl FileAssertionSource {
    /// Opens the files a config names. Fails unless the config takes an assertion path.
    pub fn from_config(config: &Config, mode: Mode) -> Result<Self> {
        Self::from_config_with_certificate(config, mode, None)
    }

    /// [`FileAssertionSource::from_config`], with a certificate file named in each signed
    /// assertion's header. Fails with `invalid_config` for a pre-built assertion file (its header
    /// is its own) and `invalid_certificate` when the certificate does not hold the key.
    pub fn from_config_with_certificate(
        config: &Config,
        mode: Mode,
        certificate: Option<CertificateFile>,
    ) -> Result<Self> {
        let source = match &config.grant {
            GrantPath::ClientAssertion(AssertionSource::File(_)) | GrantPath::JwtBearer(AssertionSource::File(_))
                if certificate.is_some() =>
            {
                return Err(Error::new(
                    ErrorKind::InvalidConfig,
                    "a certificate names the key of assertions signed here; a pre-built assertion file has its own header",
                ))
            }
            GrantPath::ClientAssertion(AssertionSource::File(path))
            | GrantPath::JwtBearer(AssertionSource::File(path)) => Source::Prebuilt {
                // A file rewritten in place (spiffe-helper's os.WriteFile truncates, then writes)
                // can be read empty or half-written: only a whole JWT replaces the last good one.
                // Expiry is judged at each use, so `now` here is 0.
                file: Watched::open(path, move |b| {
                    let text = String::from_utf8_lossy(b);
                    Ok(check_prebuilt_assertion(&text, 0, 0, mode)?.value)
                })?,
                margin_seconds: DEFAULT_EXPIRY_MARGIN_SECONDS,
                mode,
            },
            GrantPath::ClientAssertion(AssertionSource::Signed) | GrantPath::JwtBearer(AssertionSource::Signed) => {
                let a = &config.assertion;
                let (passphrase, algorithm) = (a.private_key_passphrase.clone(), a.algorithm);
                // Parsing includes the algorithm check, so a replacement key that does not fit
                // is reported on every call (and the previous key kept) until the file is fixed.
                let (key, first_key) = match (&a.private_key_file, &a.private_key_pem) {
                    (Some(path), _) => {
                        let watched = Watched::open(path, move |b| {
                            PrivateKey::from_bytes(b, passphrase.as_ref())?.signing_key(algorithm)
                        })?;
                        let first = (*watched.current().value).clone();
                        (Some(watched), first)
                    }
                    (None, Some(pem)) => {
                        let parsed = PrivateKey::from_bytes(pem.expose().as_bytes(), passphrase.as_ref())
                            .map_err(|e| e.context(crate::config::names::ASSERTION_PRIVATE_KEY_PEM))?;
                        (None, parsed.signing_key(algorithm)?)
                    }
                    (None, None) => {
                        return Err(Error::new(ErrorKind::MissingConfig, "no private key file is configured"))
                    }
                };
                let dialect = config.dialect;
                let template = a
                    .template_file
                    .as_ref()
                    .map(|p| {
                        Watched::open(p, move |b| {
                            let t = AssertionTemplate::parse(b, dialect)?;
                            check_template(&t, mode)?;
                            Ok(t)
                        })
                    })
                    .transpose()?;
                let certificate = certificate
                    .map(|c| Ok::<_, Error>((Watched::open(c.path, CertificateThumbprints::from_bytes)?, c.header)))
                    .transpose()?;
                let signer = Self::build_signer(
                    config,
                    &first_key,
                    template.as_ref().map(|t| t.current().value),
                    certificate.as_ref().map(|(c, header)| ((*c.current().value).clone(), *header)),
                    mode,
                )?;
                let certificate = certificate.map(|(c, _)| c);
                Source::Signed { key, template, certificate, signer: Box::new(Mutex::new(SignerState { signer, mismatch: false })) }
            }
            _ => return Err(Error::new(ErrorKind::InvalidConfig, "this configuration sends no client assertion")),
        };
        Ok(Self { source })
    }

    fn build_signer(
        config: &Config,
        key: &SigningKey,
        template: Option<Arc<AssertionTemplate>>,
        certificate: Option<(CertificateThumbprints, ThumbprintHeader)>,
        mode: Mode,
    ) -> Result<AssertionSigner> {
        let claims = crate::assertion::Claims::from_config(&config.assertion);
        let (certificate, thumbprint_header) = certificate.unzip();
        let options = crate::assertion::AssertionOptions {
            dialect: config.dialect,
            mode,
            certificate,
            thumbprint_header: thumbprint_header.unwrap_or_default(),
            ..Default::default()
        };
        AssertionSigner::new(key.clone(), claims, template.map(|t| (*t).clone()), options)
    }

    /// The assertion to send at `now_ms`: freshly signed (re-reading a changed key or template
    /// first), or the pre-built file's content after checking it has not expired.
    pub fn assertion(&self, now_ms: u64, jti: Option<&str>) -> Result<AssertionOutcome> {
        match &self.source {
            Source::Prebuilt { file, margin_seconds, mode } => {
                let current = file.current();
                let checked = check_prebuilt_assertion(current.value.expose(), now_ms, *margin_seconds, *mode)?;
                Ok(AssertionOutcome {
                    assertion: checked.value,
                    reload_errors: current.reload_error.into_iter().collect(),
                })
            }
            Source::Signed { key, template, certificate, signer } => {
                let key_now = key.as_ref().map(Watched::current);
                let template_now = template.as_ref().map(Watched::current);
                let certificate_now = certificate.as_ref().map(Watched::current);
                let mut state = signer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let SignerState { signer, mismatch } = &mut *state;
                let mut reload_errors: Vec<Error> = Vec::new();
                let key_reloaded = key_now.as_ref().is_some_and(|k| k.reloaded);
                reload_errors.extend(key_now.as_ref().and_then(|k| k.reload_error.clone()));
                if let Some(c) = &certificate_now {
                    reload_errors.extend(c.reload_error.clone());
                    if key_reloaded || c.reloaded || *mismatch {
                        let key = key_now.as_ref().map_or_else(|| signer.signing_key().clone(), |k| (*k.value).clone());
                        match signer.with_key_and_certificate(key, Some((*c.value).clone())) {
                            Ok(s) => (*signer, *mismatch) = (s, false),
                            Err(e) => {
                                reload_errors.push(e);
                                *mismatch = true;
                            }
                        }
                    }
                } else if let Some(k) = key_now.filter(|k| k.reloaded) {
                    *signer = signer.with_key((*k.value).clone());
                }
                if let Some(t) = template_now {
                    reload_errors.extend(t.reload_error.clone());
                    if t.reloaded {
                        match signer.with_template(Some((*t.value).clone())) {
                            Ok(s) => *signer = s,
                            Err(e) => reload_errors.push(e),
                        }
                    }
                }
                let SignedAssertion { value, .. } = signer.sign(now_ms, jti)?;
                Ok(AssertionOutcome { assertion: value, reload_errors })
            }
        }
    }
}

/// An I/O failure in the OS's words ("No such file or directory (os error 2)" reads better than
/// the kind's "entity not found"); the kind where the OS gave no code.
fn io_reason(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(_) => e.to_string(),
        None => e.kind().to_string(),
    }
}
