//! The TLS client configuration behind the HTTP client: which certificate authorities are trusted,
//! and in what order they are loaded.
//!
//! Trusted are Mozilla's root certificates compiled into the binary (`webpki-roots`), the
//! `ca-certificates` bundle (or `SSL_CERT_FILE`), and the system certificate store. The system
//! store is read only when a server's certificate chains to none of the first two. Reading it was
//! the largest cost of a run: `rustls-native-certs` opens and parses every file of the system
//! certificate directory, which took 35 % of the CPU time of a one-VM backup against the simulator
//! (`perf record` of the release binary on a 2-core x86_64 VM). Azure and GitHub present
//! certificates that chain to Mozilla's roots, so a normal run never reads the store.
//!
//! Trade-off: the compiled-in set is the one of the `webpki-roots` release in `Cargo.lock`. A root
//! that the runner's administrator removed from the system store is still trusted when Mozilla's
//! set has it, and a root that Mozilla distrusts after that release stays trusted until the binary
//! is rebuilt with a newer `webpki-roots`. Roots that the runner only has in its system store (a
//! company CA installed with `update-ca-certificates`) keep working through the fallback.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// ALPN protocols offered, in order of preference: what reqwest offers itself with its `http2`
/// feature, so a preconfigured client negotiates like a default one.
const ALPN_PROTOCOLS: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Builds the rustls client configuration with the ring provider, TLS 1.2 and 1.3, and a verifier
/// that trusts Mozilla's roots and `extra_roots`, then the system store as a fallback.
pub fn client_config(extra_roots: Vec<CertificateDer<'static>>) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = FallbackVerifier::new(extra_roots, provider.clone())?;
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = ALPN_PROTOCOLS
        .iter()
        .map(|protocol| protocol.to_vec())
        .collect();
    Ok(config)
}

/// Verifies with Mozilla's roots plus the extra roots, and on `UnknownIssuer` verifies again with
/// the system store plus the extra roots, loading the store on first use.
#[derive(Debug)]
struct FallbackVerifier {
    bundled: Arc<WebPkiServerVerifier>,
    extra_roots: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
    /// `None` once loading found no usable certificate in the system store.
    system: OnceLock<Option<Arc<WebPkiServerVerifier>>>,
}

impl FallbackVerifier {
    fn new(
        extra_roots: Vec<CertificateDer<'static>>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Self, String> {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for certificate in &extra_roots {
            roots
                .add(certificate.clone())
                .map_err(|error| format!("a certificate of the CA bundle is invalid: {error}"))?;
        }
        let bundled = build_verifier(roots, &provider)?;
        Ok(Self {
            bundled,
            extra_roots,
            provider,
            system: OnceLock::new(),
        })
    }

    fn system_verifier(&self) -> Option<&Arc<WebPkiServerVerifier>> {
        self.system
            .get_or_init(|| {
                let loaded = rustls_native_certs::load_native_certs();
                for error in &loaded.errors {
                    tracing::debug!(%error, "Skipped part of the system certificate store");
                }
                let mut roots = RootCertStore::empty();
                let (added, ignored) = roots.add_parsable_certificates(loaded.certs);
                tracing::debug!(
                    added,
                    ignored,
                    "Loaded the system certificate store for a certificate that Mozilla's roots do not cover"
                );
                // Already validated when the bundled verifier was built.
                roots.add_parsable_certificates(self.extra_roots.iter().cloned());
                if roots.is_empty() {
                    return None;
                }
                build_verifier(roots, &self.provider).ok()
            })
            .as_ref()
    }
}

fn build_verifier(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, String> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|error| format!("cannot set up certificate verification: {error}"))
}

impl ServerCertVerifier for FallbackVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verify = |verifier: &WebPkiServerVerifier| {
            verifier.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        };
        match verify(&self.bundled) {
            Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => {
                match self.system_verifier() {
                    Some(system) => verify(system),
                    None => Err(rustls::Error::InvalidCertificate(
                        CertificateError::UnknownIssuer,
                    )),
                }
            }
            result => result,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.bundled.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.bundled.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.bundled.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_offers_h2_and_http11() {
        let config = client_config(Vec::new()).unwrap();
        assert_eq!(
            config.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }

    #[test]
    fn bundled_roots_include_azure_roots() {
        let subjects: Vec<String> = webpki_roots::TLS_SERVER_ROOTS
            .iter()
            .map(|anchor| String::from_utf8_lossy(anchor.subject.as_ref()).into_owned())
            .collect();
        for name in [
            "DigiCert Global Root G2",
            "Microsoft RSA Root Certificate Authority 2017",
            "Microsoft ECC Root Certificate Authority 2017",
        ] {
            assert!(
                subjects.iter().any(|subject| subject.contains(name)),
                "{name} is missing from the compiled-in roots"
            );
        }
    }

    #[test]
    fn invalid_extra_root_is_rejected() {
        let error =
            client_config(vec![CertificateDer::from(b"not a certificate".to_vec())]).unwrap_err();
        assert!(error.contains("CA bundle"), "{error}");
    }
}
