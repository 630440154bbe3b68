//! The RSA key that signs the simulated GitHub OIDC tokens, and its public JWK.

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivatePkcs1KeyDer;

use super::error::SimError;

/// A 2048-bit RSA key (PKCS#1 PEM) made once with `openssl genrsa` for the simulator's tests. It
/// protects nothing: it is public in this repository and only the simulator trusts it. It is
/// committed because generating RSA keys in a debug build takes seconds.
const GITHUB_SIGNING_KEY_PEM: &[u8] = include_bytes!("github_signing_key.pem");

/// The simulated GitHub token service's signing key.
pub(crate) struct GithubSigningKey {
    pub(crate) encoding_key: EncodingKey,
    /// The public half, used by the simulated Entra ID to check assertion signatures.
    pub(crate) decoding_key: DecodingKey,
    /// Key ID: the RFC 7638 SHA-256 thumbprint of the public JWK.
    pub(crate) key_id: String,
    /// Base64url modulus of the public key.
    pub(crate) modulus: String,
    /// Base64url public exponent.
    pub(crate) exponent: String,
}

impl GithubSigningKey {
    /// Loads the committed key and derives its public JWK parameters.
    pub(crate) fn load() -> Result<Self, SimError> {
        let der = PrivatePkcs1KeyDer::from_pem_slice(GITHUB_SIGNING_KEY_PEM).map_err(|e| {
            SimError::SigningKey(format!("the PEM does not hold a PKCS#1 key: {e}"))
        })?;
        let encoding_key = EncodingKey::from_rsa_der(der.secret_pkcs1_der());

        let jwk = Jwk::from_encoding_key(&encoding_key, Algorithm::RS256)
            .map_err(|e| SimError::SigningKey(format!("the public key cannot be derived: {e}")))?;
        let AlgorithmParameters::RSA(rsa) = &jwk.algorithm else {
            return Err(SimError::SigningKey("the key is not an RSA key".to_owned()));
        };
        let key_id = jwk.thumbprint(ThumbprintHash::SHA256);
        let decoding_key = DecodingKey::from_rsa_components(&rsa.n, &rsa.e)
            .map_err(|e| SimError::SigningKey(format!("the public key is invalid: {e}")))?;

        Ok(Self {
            encoding_key,
            decoding_key,
            key_id,
            modulus: rsa.n.clone(),
            exponent: rsa.e.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signing_key_loads_with_public_parameters() {
        let key = GithubSigningKey::load().unwrap();
        assert_eq!(key.exponent, "AQAB");
        // 2048-bit modulus: 256 bytes, 342 base64url characters without padding.
        assert_eq!(key.modulus.len(), 342);
        assert_eq!(key.key_id.len(), 43);
    }
}
