//! TLS for the three listeners: a throw-away CA and a server certificate for the loopback names,
//! generated at every start, and the rustls server configuration that uses them.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use rustls::ServerConfig;
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

use super::error::SimError;

/// Host names and addresses in the server certificate: every way a client may name loopback.
const SERVER_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

/// How far back the certificates' validity starts, so that a client whose clock lags a little
/// behind still accepts them.
const CERTIFICATE_BACKDATE: Duration = Duration::hours(1);

/// How long the certificates stay valid. A fresh pair is made at every start, so this only has to
/// outlast one long test or demo session.
const CERTIFICATE_VALIDITY: Duration = Duration::days(30);

/// The certificates of one simulator run.
pub(crate) struct TlsMaterial {
    /// PEM of the CA certificate that clients must trust.
    pub(crate) ca_pem: String,
    pub(crate) server_config: Arc<ServerConfig>,
}

/// Generates a CA and a server certificate signed by it (ECDSA P-256), and builds a rustls server
/// configuration with the ring provider that offers only HTTP/1.1.
pub(crate) fn generate() -> Result<TlsMaterial, SimError> {
    let tls_error =
        |context: &str, error: rcgen::Error| SimError::Tls(format!("{context}: {error}"));
    let now = OffsetDateTime::now_utc();

    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
        .map_err(|e| tls_error("CA key generation failed", e))?;
    let mut ca_params = CertificateParams::default();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "azure-backup-sim local CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = now - CERTIFICATE_BACKDATE;
    ca_params.not_after = now + CERTIFICATE_VALIDITY;
    let ca_certificate = ca_params
        .self_signed(&ca_key)
        .map_err(|e| tls_error("CA certificate signing failed", e))?;
    let ca_pem = ca_certificate.pem();
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
        .map_err(|e| tls_error("server key generation failed", e))?;
    let server_names: Vec<String> = SERVER_NAMES.iter().map(|name| (*name).to_owned()).collect();
    let mut server_params = CertificateParams::new(server_names)
        .map_err(|e| tls_error("server certificate names are invalid", e))?;
    server_params.distinguished_name = rcgen::DistinguishedName::new();
    server_params
        .distinguished_name
        .push(DnType::CommonName, "azure-backup-sim");
    server_params.is_ca = IsCa::ExplicitNoCa;
    server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server_params.use_authority_key_identifier_extension = true;
    server_params.not_before = now - CERTIFICATE_BACKDATE;
    server_params.not_after = now + CERTIFICATE_VALIDITY;
    let server_certificate = server_params
        .signed_by(&server_key, &issuer)
        .map_err(|e| tls_error("server certificate signing failed", e))?;

    let private_key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server_config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SimError::Tls(format!("no usable TLS protocol version: {e}")))?
        .with_no_client_auth()
        .with_single_cert(vec![server_certificate.der().clone()], private_key)
        .map_err(|e| SimError::Tls(format!("the server certificate was rejected: {e}")))?;
    server_config.alpn_protocols = vec![b"http/1.1".to_vec()];

    Ok(TlsMaterial {
        ca_pem,
        server_config: Arc::new(server_config),
    })
}
