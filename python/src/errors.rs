//! The exception tree: `OAuthBearerError` (with `.code`, the core's stable code) and one subclass
//! per family of codes. The mapping lives here and only here.

use oauthbearer::ErrorFamily;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    _native,
    OAuthBearerError,
    PyException,
    "Base class of every oauthbearer error; `.code` is the stable code."
);
create_exception!(
    _native,
    PrivateKeyError,
    OAuthBearerError,
    "A private key problem (format, passphrase, strength, curve)."
);
create_exception!(_native, ConfigError, OAuthBearerError, "A configuration, algorithm, template or file problem.");
create_exception!(_native, PrebuiltAssertionError, OAuthBearerError, "A pre-built assertion is malformed or expired.");
create_exception!(
    _native,
    TokenEndpointError,
    OAuthBearerError,
    "The token endpoint refused, failed or was unreachable."
);
create_exception!(
    _native,
    TokenError,
    OAuthBearerError,
    "An access token or SASL message a Kafka client would refuse."
);
create_exception!(_native, CredentialsError, OAuthBearerError, "Cloud credentials are missing, malformed or expiring.");
create_exception!(_native, ClientAuthenticationError, OAuthBearerError, "The local issuer refused a client.");

/// Results whose error is already a Python exception.
pub(crate) type Res<T> = PyResult<T>;

/// Maps core results to Python results.
pub(crate) trait IntoPy<T> {
    fn py(self) -> Res<T>;
}

impl<T> IntoPy<T> for oauthbearer::Result<T> {
    fn py(self) -> Res<T> {
        self.map_err(|e| to_pyerr(&e))
    }
}

/// The exception for a core error: the family's class, `args = (message,)`, `.code`, and for
/// token endpoint refusals `.status`, `.error`, `.error_description`, `.retryable`.
pub(crate) fn to_pyerr(e: &oauthbearer::Error) -> PyErr {
    let message = e.message().to_owned();
    let err = match e.kind().family() {
        ErrorFamily::PrivateKey => PrivateKeyError::new_err(message),
        ErrorFamily::Config => ConfigError::new_err(message),
        ErrorFamily::PrebuiltAssertion => PrebuiltAssertionError::new_err(message),
        ErrorFamily::TokenEndpoint => TokenEndpointError::new_err(message),
        ErrorFamily::Token => TokenError::new_err(message),
        ErrorFamily::Credentials => CredentialsError::new_err(message),
        ErrorFamily::ClientAuthentication => ClientAuthenticationError::new_err(message),
        _ => OAuthBearerError::new_err(message),
    };
    Python::attach(|py| {
        let value = err.value(py);
        let _ = value.setattr("code", e.code());
        if let Some(f) = e.token_endpoint_failure() {
            let _ = value.setattr("status", f.status);
            let _ = value.setattr("error", f.error.clone());
            let _ = value.setattr("error_description", f.error_description.clone());
            let _ = value.setattr("retryable", f.retryable);
        }
    });
    err
}

/// A lock poisoned by a panic in another thread.
pub(crate) fn poisoned<T>(_: T) -> PyErr {
    OAuthBearerError::new_err("internal state poisoned by an earlier failure")
}

/// Adds the exception classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("OAuthBearerError", py.get_type::<OAuthBearerError>())?;
    m.add("PrivateKeyError", py.get_type::<PrivateKeyError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("PrebuiltAssertionError", py.get_type::<PrebuiltAssertionError>())?;
    m.add("TokenEndpointError", py.get_type::<TokenEndpointError>())?;
    m.add("TokenError", py.get_type::<TokenError>())?;
    m.add("CredentialsError", py.get_type::<CredentialsError>())?;
    m.add("ClientAuthenticationError", py.get_type::<ClientAuthenticationError>())?;
    Ok(())
}
