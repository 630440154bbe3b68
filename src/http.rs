//! The one HTTP client shared by the GitHub token request, the Entra exchange and ARM: TLS roots,
//! proxy settings and timeouts are decided here once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

/// Time allowed to open a TCP connection and finish the TLS handshake. Loopback and Azure front
/// doors reply in well under a second, so 10 s leaves room for a slow proxy.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Time allowed for one whole request and its reply. Every call this tool makes returns a small
/// JSON document, so a minute means the peer is stuck, not busy.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The HTTP client could not be built.
#[derive(Debug)]
pub enum HttpSetupError {
    /// The extra CA bundle could not be read or contains no usable certificate.
    CaBundle {
        path: PathBuf,
        detail: String,
    },
    Build(String),
}

impl std::fmt::Display for HttpSetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::CaBundle { path, detail } => write!(
                f,
                "cannot use the CA bundle '{}' (ca-certificates or SSL_CERT_FILE): {detail}",
                path.display()
            ),
            Self::Build(detail) => write!(f, "cannot set up the HTTP client: {detail}"),
        }
    }
}

impl std::error::Error for HttpSetupError {}

/// Builds the shared client: Mozilla's roots, `extra_ca` and the system store as a fallback (see
/// [`crate::tls`]), proxies from `HTTPS_PROXY`/`NO_PROXY`, and the timeouts above.
pub fn build_client(extra_ca: Option<&Path>) -> Result<reqwest::Client, HttpSetupError> {
    // reqwest is built without a default crypto provider; ring is smaller and starts faster than
    // aws-lc-rs. The TLS configuration below names ring itself; the process-wide default is for
    // the other rustls users in tests and the demo. A second install fails harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();

    let extra_roots = match extra_ca {
        Some(path) => read_ca_bundle(path)?,
        None => Vec::new(),
    };
    let tls = crate::tls::client_config(extra_roots).map_err(|detail| match extra_ca {
        Some(path) => HttpSetupError::CaBundle {
            path: path.to_path_buf(),
            detail,
        },
        None => HttpSetupError::Build(detail),
    })?;

    reqwest::Client::builder()
        .user_agent(concat!("azure-backup-oidc/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .tls_backend_preconfigured(tls)
        .hickory_dns(true)
        .build()
        .map_err(|error| HttpSetupError::Build(error_chain(&error)))
}

/// Reads the certificates of a PEM bundle.
fn read_ca_bundle(path: &Path) -> Result<Vec<CertificateDer<'static>>, HttpSetupError> {
    let invalid = |detail: String| HttpSetupError::CaBundle {
        path: path.to_path_buf(),
        detail,
    };
    let pem = std::fs::read(path).map_err(|error| invalid(error.to_string()))?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| invalid(error.to_string()))?;
    if certificates.is_empty() {
        return Err(invalid("no PEM certificate found".to_string()));
    }
    Ok(certificates)
}

/// Formats an error with all its sources, so a TLS or DNS cause is not lost behind
/// "error sending request".
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Describes a transport failure, adding the fix for an untrusted certificate.
pub fn describe_transport_error(error: &reqwest::Error) -> String {
    let text = error_chain(error);
    let lowered = text.to_ascii_lowercase();
    if lowered.contains("unknownissuer")
        || lowered.contains("unknown issuer")
        || lowered.contains("invalid peer certificate")
    {
        format!(
            "{text}. The server's TLS certificate is not trusted: if a proxy or private endpoint \
             uses its own CA, pass its PEM bundle in the ca-certificates input"
        )
    } else if error.is_timeout() {
        format!("{text} (timed out)")
    } else {
        text
    }
}
