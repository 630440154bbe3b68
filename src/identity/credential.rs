//! An azure_core `TokenCredential` that exchanges a fresh GitHub OIDC token with Entra ID
//! (client credentials with a jwt-bearer client assertion) and caches the ARM token until it
//! nears expiry.
//!
//! This is not azure_identity's `ClientAssertionCredential`, because its errors carry Entra's
//! description as text only. A useful message needs the AADSTS code list, the trace and
//! correlation ids and the claims of the exact token that was presented. This type keeps them in
//! a typed [`SignInError`] that callers downcast from `azure_core::Error`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use serde::Deserialize;
use time::OffsetDateTime;

use super::aadsts::{code_from_description, explain_aadsts, FEDERATED_MISMATCH_CODES};
use crate::github::oidc::{OidcClient, OidcError, TokenClaims};
use crate::http::describe_transport_error;
use crate::secret::SecretString;

/// Refresh a cached ARM token this long before it expires, so a request never leaves with a
/// token that dies in flight or at ARM because of clock skew.
const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Lifetime assumed when Entra sends no `expires_in`: short, so the token is renewed early
/// rather than trusted for ever.
const FALLBACK_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// Exchanges tried when Entra fails with a server error or the connection drops; each uses a
/// new GitHub token.
const MAX_EXCHANGE_ATTEMPTS: u32 = 2;

/// Pause before the repeated exchange.
const EXCHANGE_RETRY_PAUSE: Duration = Duration::from_secs(2);

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Entra ID's error reply, with the claims of the token that was presented.
#[derive(Debug, Clone)]
pub struct EntraError {
    pub status: u16,
    pub error: String,
    pub description: String,
    pub codes: Vec<u32>,
    pub trace_id: String,
    pub correlation_id: String,
    pub presented: TokenClaims,
}

impl EntraError {
    pub fn primary_code(&self) -> Option<u32> {
        self.codes
            .first()
            .copied()
            .or_else(|| code_from_description(&self.description))
    }

    fn is_federated_mismatch(&self) -> bool {
        self.primary_code()
            .is_some_and(|code| FEDERATED_MISMATCH_CODES.contains(&code))
    }
}

impl std::fmt::Display for EntraError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let code = self
            .primary_code()
            .map(|code| format!("AADSTS{code}"))
            .unwrap_or_else(|| self.error.clone());
        // Entra appends trace, correlation and timestamp to the description; they are shown
        // once, below, instead.
        let description = self
            .description
            .split(" Trace ID:")
            .next()
            .unwrap_or_default()
            .trim();
        write!(
            f,
            "Entra ID rejected the token exchange (HTTP {}, {code}): {description}",
            self.status
        )?;
        if let Some(explanation) = self.primary_code().and_then(explain_aadsts) {
            write!(f, " Meaning and fix: {explanation}.")?;
        }
        if self.is_federated_mismatch() {
            write!(
                f,
                " Presented GitHub token: issuer '{}', subject '{}', audience '{}'.",
                self.presented.iss, self.presented.sub, self.presented.aud
            )?;
            if self.primary_code() == Some(7002138) {
                write!(
                    f,
                    " The subject differs from the federated credential only in letter case."
                )?;
            }
        }
        if !self.trace_id.is_empty() || !self.correlation_id.is_empty() {
            write!(
                f,
                " Trace ID: {}, Correlation ID: {}.",
                self.trace_id, self.correlation_id
            )?;
        }
        Ok(())
    }
}

/// Sign-in failed: the GitHub token request or the Entra exchange.
#[derive(Debug, Clone)]
pub enum SignInError {
    Oidc(OidcError),
    Entra(Box<EntraError>),
    /// Entra could not be reached or its reply could not be read.
    Unreachable {
        detail: String,
    },
}

impl std::fmt::Display for SignInError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Oidc(error) => write!(f, "{error}"),
            Self::Entra(error) => write!(f, "{error}"),
            Self::Unreachable { detail } => write!(f, "cannot reach Entra ID: {detail}"),
        }
    }
}

impl std::error::Error for SignInError {}

struct CachedToken {
    scope: String,
    token: AccessToken,
    refresh_at: OffsetDateTime,
}

/// A credential for one app registration that signs in with the runner's OIDC token.
pub struct FederatedCredential {
    http: reqwest::Client,
    oidc: OidcClient,
    token_url: String,
    client_id: String,
    cache: tokio::sync::Mutex<Option<CachedToken>>,
    exchanges: AtomicU32,
    last_claims: std::sync::Mutex<Option<TokenClaims>>,
}

impl std::fmt::Debug for FederatedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FederatedCredential")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl FederatedCredential {
    pub fn new(
        http: reqwest::Client,
        oidc: OidcClient,
        authority_host: &url::Url,
        tenant_id: &str,
        client_id: &str,
    ) -> Self {
        let host = authority_host.as_str().trim_end_matches('/');
        Self {
            http,
            oidc,
            token_url: format!("{host}/{tenant_id}/oauth2/v2.0/token"),
            client_id: client_id.to_string(),
            cache: tokio::sync::Mutex::new(None),
            exchanges: AtomicU32::new(0),
            last_claims: std::sync::Mutex::new(None),
        }
    }

    /// Forgets the cached token, so the next request signs in again (after ARM rejected it).
    pub async fn invalidate(&self) {
        *self.cache.lock().await = None;
    }

    /// Returns the claims of the last GitHub token presented to Entra, for the drill report.
    pub fn last_claims(&self) -> Option<TokenClaims> {
        self.last_claims
            .lock()
            .ok()
            .and_then(|claims| claims.clone())
    }

    /// Number of Entra exchanges so far.
    pub fn exchange_count(&self) -> u32 {
        self.exchanges.load(Ordering::Relaxed)
    }

    /// Signs in for `scope`, as `get_token` does, but returns the typed error.
    pub async fn sign_in(&self, scope: &str) -> Result<AccessToken, SignInError> {
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.as_ref() {
            if cached.scope == scope && OffsetDateTime::now_utc() < cached.refresh_at {
                return Ok(cached.token.clone());
            }
        }

        let mut attempt = 1;
        let (token, lifetime) = loop {
            match self.exchange(scope).await {
                Ok(result) => break result,
                Err(error) if attempt < MAX_EXCHANGE_ATTEMPTS && is_transient(&error) => {
                    // A log line: the last failure becomes the error.
                    tracing::info!("Entra token exchange attempt {attempt} failed: {error}");
                    attempt += 1;
                    tokio::time::sleep(EXCHANGE_RETRY_PAUSE).await;
                }
                Err(error) => return Err(error),
            }
        };

        let margin = MAX_REFRESH_MARGIN.min(lifetime / 2);
        let refresh_at = token.expires_on - margin;
        *cache = Some(CachedToken {
            scope: scope.to_string(),
            token: token.clone(),
            refresh_at,
        });
        Ok(token)
    }

    async fn exchange(&self, scope: &str) -> Result<(AccessToken, Duration), SignInError> {
        // A new GitHub token for every exchange: GitHub's tokens live minutes, and replaying an
        // old one fails with AADSTS700024 in long jobs.
        let id_token = self.oidc.request_token().await.map_err(SignInError::Oidc)?;
        self.exchanges.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut last) = self.last_claims.lock() {
            *last = Some(id_token.claims.clone());
        }

        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", id_token.jwt.expose()),
            ("scope", scope),
        ];
        let reply = self
            .http
            .post(&self.token_url)
            .form(&form)
            .send()
            .await
            .map_err(|error| SignInError::Unreachable {
                detail: describe_transport_error(&error),
            })?;
        let status = reply.status().as_u16();
        let body = reply
            .text()
            .await
            .map_err(|error| SignInError::Unreachable {
                detail: describe_transport_error(&error),
            })?;

        if !(200..300).contains(&status) {
            return Err(parse_error(status, &body, id_token.claims));
        }
        let (token, lifetime) = parse_success(&body)?;
        tracing::info!(
            "Signed in to Entra ID as client {}; the ARM token expires at {}",
            self.client_id,
            crate::report::format_time(token.expires_on)
        );
        Ok((token, lifetime))
    }
}

#[async_trait::async_trait]
impl TokenCredential for FederatedCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let scope = scopes.join(" ");
        self.sign_in(&scope).await.map_err(|error| {
            azure_core::Error::new(azure_core::error::ErrorKind::Credential, error)
        })
    }
}

fn is_transient(error: &SignInError) -> bool {
    match error {
        SignInError::Unreachable { .. } => true,
        SignInError::Entra(entra) => entra.status >= 500 || entra.status == 429,
        SignInError::Oidc(_) => false,
    }
}

/// `expires_in` arrives as a number from the v2 endpoint and as a numeric string from v1.
#[derive(Deserialize)]
#[serde(untagged)]
enum Seconds {
    Number(u64),
    Text(String),
}

fn parse_success(body: &str) -> Result<(AccessToken, Duration), SignInError> {
    #[derive(Deserialize)]
    struct Reply {
        access_token: Option<String>,
        expires_in: Option<Seconds>,
    }
    let reply: Reply = serde_json::from_str(body).map_err(|error| SignInError::Unreachable {
        detail: format!("the token reply is not JSON ({error})"),
    })?;
    let access_token = match reply.access_token {
        Some(token) if !token.is_empty() => SecretString::new(token),
        _ => {
            return Err(SignInError::Unreachable {
                detail: "the token reply has no access_token".to_string(),
            })
        }
    };
    crate::github::log().add_mask(&access_token);

    let lifetime = match reply.expires_in {
        Some(Seconds::Number(seconds)) => Duration::from_secs(seconds),
        Some(Seconds::Text(text)) => text
            .trim()
            .parse()
            .map(Duration::from_secs)
            .unwrap_or(FALLBACK_LIFETIME),
        None => FALLBACK_LIFETIME,
    };
    let expires_on = OffsetDateTime::now_utc() + lifetime;
    Ok((
        AccessToken::new(access_token.expose().to_string(), expires_on),
        lifetime,
    ))
}

fn parse_error(status: u16, body: &str, presented: TokenClaims) -> SignInError {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Reply {
        error: String,
        error_description: String,
        error_codes: Vec<u32>,
        trace_id: String,
        correlation_id: String,
    }
    let reply: Reply = serde_json::from_str(body).unwrap_or_else(|_| Reply {
        error: "unreadable_reply".to_string(),
        error_description: body.chars().take(200).collect(),
        ..Reply::default()
    });
    SignInError::Entra(Box::new(EntraError {
        status,
        error: reply.error,
        description: reply.error_description,
        codes: reply.error_codes,
        trace_id: reply.trace_id,
        correlation_id: reply.correlation_id,
        presented,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entra_error(code: u32) -> EntraError {
        EntraError {
            status: 400,
            error: "invalid_client".into(),
            description: format!(
                "AADSTS{code}: No matching federated identity record found. Trace ID: t1 \
                 Correlation ID: c1 Timestamp: 2025-05-01 10:00:00Z"
            ),
            codes: vec![code],
            trace_id: "t1".into(),
            correlation_id: "c1".into(),
            presented: TokenClaims {
                iss: "https://token.actions.githubusercontent.com".into(),
                sub: "repo:Contoso/Backup-Drills:environment:Prod".into(),
                aud: "api://AzureADTokenExchange".into(),
                ..TokenClaims::default()
            },
        }
    }

    #[test]
    fn subject_mismatch_shows_presented_claims() {
        let text = entra_error(700213).to_string();
        assert!(text.contains("AADSTS700213"));
        assert!(text.contains("subject 'repo:Contoso/Backup-Drills:environment:Prod'"));
        assert!(text.contains("issuer 'https://token.actions.githubusercontent.com'"));
        assert!(text.contains("Trace ID: t1, Correlation ID: c1"));
        assert!(!text.contains("only in letter case"));
    }

    #[test]
    fn case_only_mismatch_is_named() {
        let text = entra_error(7002138).to_string();
        assert!(text.contains("only in letter case"), "{text}");
    }

    #[test]
    fn expires_in_accepts_number_and_text() {
        let (_, lifetime) = parse_success(r#"{"access_token":"a","expires_in":"3599"}"#).unwrap();
        assert_eq!(lifetime, Duration::from_secs(3599));
        let (_, lifetime) = parse_success(r#"{"access_token":"a","expires_in":120}"#).unwrap();
        assert_eq!(lifetime, Duration::from_secs(120));
        let (_, lifetime) = parse_success(r#"{"access_token":"a"}"#).unwrap();
        assert_eq!(lifetime, FALLBACK_LIFETIME);
    }
}
