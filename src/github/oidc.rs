//! The runner's OIDC token request: `ACTIONS_ID_TOKEN_REQUEST_URL` plus the audience, with the
//! request token as bearer, retried on transient failures, and the token masked on arrival.

use std::time::Duration;

use serde::Deserialize;

use crate::http::describe_transport_error;
use crate::secret::SecretString;

/// Attempts for one token request. GitHub's token service fails now and then with a 5xx or a
/// hung connection; a second or third try almost always works.
const MAX_ATTEMPTS: u32 = 3;

/// Time allowed for one attempt, well under reqwest's whole-request timeout, because a hung
/// token service should cost seconds, not minutes.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);

/// Pause before the second attempt; doubled before each later one.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// Maximum length, in characters, of a body excerpt quoted in an error message.
const BODY_EXCERPT_CHARS: usize = 200;

/// The claims of a GitHub OIDC token that identify the workflow. None of them is secret.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct TokenClaims {
    #[serde(default)]
    pub iss: String,
    #[serde(default)]
    pub sub: String,
    #[serde(default, deserialize_with = "audience_as_text")]
    pub aud: String,
    #[serde(default)]
    pub exp: i64,
    #[serde(default)]
    pub iat: i64,
    #[serde(default)]
    pub nbf: i64,
    #[serde(default)]
    pub jti: String,
    #[serde(default)]
    pub repository: String,
    #[serde(default)]
    pub run_id: String,
}

/// `aud` is a string or a list of strings in JWTs; keep it as one comma-separated text.
fn audience_as_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Audience {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Audience::deserialize(deserializer)? {
        Audience::One(text) => text,
        Audience::Many(list) => list.join(","),
    })
}

/// A GitHub OIDC token and its decoded claims.
#[derive(Debug, Clone)]
pub struct IdToken {
    pub jwt: SecretString,
    pub claims: TokenClaims,
}

/// The token request failed.
#[derive(Debug, Clone)]
pub enum OidcError {
    /// `ACTIONS_ID_TOKEN_REQUEST_URL` or `_TOKEN` is missing: the job lacks `id-token: write`.
    MissingVariables { missing: Vec<&'static str> },
    /// GitHub returned an error status that retrying will not fix.
    Rejected { status: u16, body_excerpt: String },
    /// Every attempt failed with a transient error; the last cause is kept.
    Unavailable { attempts: u32, last_cause: String },
    /// The reply had no token in `value`, or the token is not a JWT.
    InvalidReply { detail: String },
}

impl std::fmt::Display for OidcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingVariables { missing } => write!(
                f,
                "The runner did not provide {}, so no GitHub OIDC token can be requested. Add \
                 `permissions: id-token: write` to the job (or workflow). Pull requests from \
                 forks and Dependabot runs never get an OIDC token: run this step on push, \
                 schedule or workflow_dispatch events instead.",
                missing.join(" and ")
            ),
            Self::Rejected {
                status,
                body_excerpt,
            } => write!(
                f,
                "GitHub's OIDC token request failed with HTTP {status} ({body_excerpt}); check \
                 that the job has `permissions: id-token: write` and that the request token is \
                 the runner's own"
            ),
            Self::Unavailable {
                attempts,
                last_cause,
            } => write!(
                f,
                "GitHub's OIDC token service did not answer after {attempts} attempts (last: \
                 {last_cause}); this is usually transient, so try re-running the job"
            ),
            Self::InvalidReply { detail } => {
                write!(f, "GitHub's OIDC token reply is not usable: {detail}")
            }
        }
    }
}

impl std::error::Error for OidcError {}

/// Requests GitHub OIDC tokens for one audience. Every call requests a new token.
#[derive(Debug, Clone)]
pub struct OidcClient {
    http: reqwest::Client,
    request_url: String,
    request_token: SecretString,
}

impl OidcClient {
    /// Checks the runner's variables before any network call.
    pub fn new(
        http: reqwest::Client,
        request_url: Option<&str>,
        request_token: Option<&SecretString>,
        audience: &str,
    ) -> Result<Self, OidcError> {
        let mut missing = Vec::new();
        if request_url.is_none() {
            missing.push("ACTIONS_ID_TOKEN_REQUEST_URL");
        }
        if request_token.is_none() {
            missing.push("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
        }
        match (request_url, request_token) {
            (Some(url), Some(token)) => Ok(Self {
                http,
                request_url: token_request_url(url, audience),
                request_token: token.clone(),
            }),
            _ => Err(OidcError::MissingVariables { missing }),
        }
    }

    /// Requests a new token, masks it and logs its claims.
    pub async fn request_token(&self) -> Result<IdToken, OidcError> {
        let mut backoff = FIRST_BACKOFF;
        let mut last_cause = String::new();
        for attempt in 1..=MAX_ATTEMPTS {
            match self.attempt().await {
                Ok(token) => return Ok(token),
                Err(AttemptError::Permanent(error)) => return Err(error),
                Err(AttemptError::Transient(cause)) => {
                    // A log line: the last failure becomes the error.
                    tracing::info!(
                        "GitHub OIDC token request attempt {attempt} of {MAX_ATTEMPTS} failed: {cause}"
                    );
                    last_cause = cause;
                }
            }
            if attempt < MAX_ATTEMPTS {
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        }
        Err(OidcError::Unavailable {
            attempts: MAX_ATTEMPTS,
            last_cause,
        })
    }

    async fn attempt(&self) -> Result<IdToken, AttemptError> {
        let reply = self
            .http
            .get(&self.request_url)
            .bearer_auth(self.request_token.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(ATTEMPT_TIMEOUT)
            .send()
            .await
            .map_err(|error| AttemptError::Transient(describe_transport_error(&error)))?;

        let status = reply.status();
        let body = reply
            .text()
            .await
            .map_err(|error| AttemptError::Transient(describe_transport_error(&error)))?;
        if !status.is_success() {
            let body_excerpt = excerpt(&body);
            let transient = status.is_server_error() || status.as_u16() == 429;
            return Err(if transient {
                AttemptError::Transient(format!("HTTP {} ({body_excerpt})", status.as_u16()))
            } else {
                AttemptError::Permanent(OidcError::Rejected {
                    status: status.as_u16(),
                    body_excerpt,
                })
            });
        }
        parse_reply(&body).map_err(AttemptError::Permanent)
    }
}

enum AttemptError {
    Transient(String),
    Permanent(OidcError),
}

/// Appends the audience as the Actions toolkit does, with `encodeURIComponent` escaping.
pub fn token_request_url(base: &str, audience: &str) -> String {
    if audience.is_empty() {
        return base.to_string();
    }
    let separator = if base.contains('?') { '&' } else { '?' };
    format!(
        "{base}{separator}audience={}",
        encode_uri_component(audience)
    )
}

/// JavaScript's `encodeURIComponent`: everything but `A-Z a-z 0-9 - _ . ! ~ * ' ( )` is escaped.
fn encode_uri_component(text: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'!')
        .remove(b'~')
        .remove(b'*')
        .remove(b'\'')
        .remove(b'(')
        .remove(b')');
    percent_encoding::utf8_percent_encode(text, KEEP).to_string()
}

/// Reads `{"value": "<jwt>"}`, masks the token at once, then decodes its claims.
fn parse_reply(body: &str) -> Result<IdToken, OidcError> {
    #[derive(Deserialize)]
    struct Reply {
        value: Option<String>,
    }
    let reply: Reply = serde_json::from_str(body).map_err(|error| OidcError::InvalidReply {
        detail: format!("not JSON ({error})"),
    })?;
    let jwt = match reply.value {
        Some(value) if !value.is_empty() => SecretString::new(value),
        _ => {
            return Err(OidcError::InvalidReply {
                detail: "the response has no token in its `value` field".to_string(),
            })
        }
    };
    crate::github::log().add_mask(&jwt);

    let claims = jsonwebtoken::dangerous::insecure_decode::<TokenClaims>(jwt.expose())
        .map_err(|error| OidcError::InvalidReply {
            detail: format!("the token is not a readable JWT ({error})"),
        })?
        .claims;
    tracing::info!(
        "GitHub OIDC token: iss={} sub={} aud={} expires={}",
        claims.iss,
        claims.sub,
        claims.aud,
        crate::report::format_unix_time(claims.exp)
    );
    Ok(IdToken { jwt, claims })
}

fn excerpt(body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return "empty body".to_string();
    }
    let mut text: String = trimmed.chars().take(BODY_EXCERPT_CHARS).collect();
    if trimmed.chars().count() > BODY_EXCERPT_CHARS {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://example.invalid/idtoken?api-version=2.0";

    #[test]
    fn request_url_matches_toolkit_vectors() {
        let cases = [
            (
                "api://AzureADTokenExchange",
                "&audience=api%3A%2F%2FAzureADTokenExchange",
            ),
            (
                "https://github.com/octo-org",
                "&audience=https%3A%2F%2Fgithub.com%2Focto-org",
            ),
            ("sts.amazonaws.com", "&audience=sts.amazonaws.com"),
            ("a b!'()*~._-", "&audience=a%20b!'()*~._-"),
        ];
        for (audience, suffix) in cases {
            assert_eq!(token_request_url(BASE, audience), format!("{BASE}{suffix}"));
        }
        assert_eq!(token_request_url(BASE, ""), BASE);
    }

    #[test]
    fn request_url_without_query_uses_question_mark() {
        assert_eq!(
            token_request_url("https://example.invalid/idtoken", "x"),
            "https://example.invalid/idtoken?audience=x"
        );
    }

    #[test]
    fn reply_without_value_is_rejected() {
        for body in [r#"{}"#, r#"{"value":""}"#, r#"{"count":0}"#] {
            let error = parse_reply(body).unwrap_err();
            assert!(error.to_string().contains("`value`"), "{error}");
        }
    }

    #[test]
    fn missing_variables_name_the_permission() {
        let http = crate::http::build_client(None).unwrap();
        let error = OidcClient::new(http, None, None, "aud").unwrap_err();
        let text = error.to_string();
        assert!(text.contains("id-token: write"));
        assert!(text.contains("forks"));
        assert!(text.contains("Dependabot"));
    }
}
