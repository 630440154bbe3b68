//! The ARM HTTP client: bearer tokens from the credential, the pinned api-version, retries of
//! reads on transient failures, one token refresh on 401, and ARM's error envelope.

use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde::de::DeserializeOwned;

use super::error::ArmError;
use super::lro::retry_after;
use crate::deadline::Deadline;
use crate::http::describe_transport_error;
use crate::identity::SignInError;

/// Attempts for an idempotent request (GET, DELETE, a tag merge) that fails with a transient
/// error. Repeating it is safe, and four attempts ride out a typical ARM blip of a few seconds.
const MAX_READ_ATTEMPTS: u32 = 4;

/// Backoff before the second read attempt when ARM sends no `Retry-After`; doubled each time.
const FIRST_READ_BACKOFF: Duration = Duration::from_secs(1);

/// Retries of reads rejected with 403 `AuthorizationFailed`, for the whole run. A role assignment
/// made minutes before the run can take a few minutes to reach ARM; two retries cover a fresh
/// assignment without delaying a real permission error for long.
const PROPAGATION_RETRIES: u32 = 2;

/// Pause before each of those retries.
const PROPAGATION_PAUSE: Duration = Duration::from_secs(10);

/// Shortest timeout given to a request near the deadline, so it can still complete on loopback.
const MIN_REQUEST_TIMEOUT: Duration = Duration::from_secs(1);

/// Maximum pause for one retry, whatever `Retry-After` requests, so a wrong header cannot stall
/// the run. It is the same bound as between operation polls.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(120);

/// Statuses ARM documents as transient: request timeout, throttling and gateway errors.
const TRANSIENT_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];

/// ARM error codes on a 401 that a new token cures.
const TOKEN_REJECTED_CODES: [&str; 2] =
    ["ExpiredAuthenticationToken", "InvalidAuthenticationToken"];

/// Remaining requests in ARM's throttling bucket at or below which the client pauses before the
/// next request of that kind, so ARM never has to return 429.
const LOW_RATE_BUDGET: i64 = 10;

/// The pause taken at a low budget. ARM refills a subscription's buckets by 10 (writes, deletes)
/// to 25 (reads) requests a second, so a second restores more than the low mark.
const LOW_RATE_PAUSE: Duration = Duration::from_secs(1);

/// The last `x-ms-ratelimit-remaining-subscription-*` value seen for each kind of request;
/// `i64::MAX` until a reply carries one.
struct RateBudget {
    reads: AtomicI64,
    writes: AtomicI64,
    deletes: AtomicI64,
}

impl RateBudget {
    fn new() -> Self {
        Self {
            reads: AtomicI64::new(i64::MAX),
            writes: AtomicI64::new(i64::MAX),
            deletes: AtomicI64::new(i64::MAX),
        }
    }

    fn slot(&self, method: &Method) -> (&AtomicI64, &'static str) {
        match *method {
            Method::GET => (&self.reads, "x-ms-ratelimit-remaining-subscription-reads"),
            Method::DELETE => (
                &self.deletes,
                "x-ms-ratelimit-remaining-subscription-deletes",
            ),
            _ => (&self.writes, "x-ms-ratelimit-remaining-subscription-writes"),
        }
    }

    fn record(&self, method: &Method, headers: &HeaderMap) {
        let (slot, header) = self.slot(method);
        if let Some(remaining) = headers
            .get(header)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<i64>().ok())
        {
            slot.store(remaining, Ordering::Relaxed);
        }
    }

    fn is_low(&self, method: &Method) -> bool {
        self.slot(method).0.load(Ordering::Relaxed) <= LOW_RATE_BUDGET
    }
}

/// A credential that can also drop its cached token after ARM rejected it.
#[async_trait::async_trait]
pub trait RefreshableCredential: azure_core::credentials::TokenCredential {
    async fn invalidate(&self);
}

#[async_trait::async_trait]
impl RefreshableCredential for crate::identity::FederatedCredential {
    async fn invalidate(&self) {
        crate::identity::FederatedCredential::invalidate(self).await;
    }
}

/// One ARM reply with a success status.
#[derive(Debug, Clone)]
pub struct ArmResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
    pub path: String,
}

impl ArmResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ArmError> {
        serde_json::from_str(&self.body).map_err(|error| ArmError::InvalidReply {
            path: self.path.clone(),
            detail: format!("the body is not the documented JSON ({error})"),
        })
    }
}

/// Sends ARM requests for one cloud endpoint and scope.
#[derive(Clone)]
pub struct ArmClient {
    http: reqwest::Client,
    credential: Arc<dyn RefreshableCredential>,
    endpoint: String,
    scope: String,
    deadline: Deadline,
    budget: Arc<RateBudget>,
    propagation_retries: Arc<AtomicU32>,
}

impl ArmClient {
    pub fn new(
        http: reqwest::Client,
        credential: Arc<dyn RefreshableCredential>,
        endpoint: &url::Url,
        scope: &str,
        deadline: Deadline,
    ) -> Self {
        Self {
            http,
            credential,
            endpoint: endpoint.as_str().trim_end_matches('/').to_string(),
            scope: scope.to_string(),
            deadline,
            budget: Arc::new(RateBudget::new()),
            propagation_retries: Arc::new(AtomicU32::new(PROPAGATION_RETRIES)),
        }
    }

    pub fn deadline(&self) -> Deadline {
        self.deadline
    }

    /// Builds the URL of `path` (starting with `/`) with `api-version` and optional extra query.
    pub fn url(&self, path: &str, api_version: &str, extra_query: &[(&str, &str)]) -> String {
        let mut url = format!("{}{path}?api-version={api_version}", self.endpoint);
        for (name, value) in extra_query {
            url.push('&');
            url.push_str(name);
            url.push('=');
            url.push_str(&percent_encoding::utf8_percent_encode(value, QUERY_VALUE).to_string());
        }
        url
    }

    /// Signs in (or reuses the cached token) without sending an ARM request.
    pub async fn sign_in(&self) -> Result<(), ArmError> {
        self.token().await.map(|_| ())
    }

    /// GETs `url` (used verbatim), retrying transient failures within the deadline.
    pub async fn get(&self, url: &str) -> Result<ArmResponse, ArmError> {
        self.send_with_retries(Method::GET, url, None).await
    }

    /// DELETEs `url`. ARM deletes are idempotent, so transient failures are retried.
    pub async fn delete(&self, url: &str) -> Result<ArmResponse, ArmError> {
        self.send_with_retries(Method::DELETE, url, None).await
    }

    /// PATCHes `url` with `body`; used only for idempotent merges, so transient failures are
    /// retried.
    pub async fn patch(
        &self,
        url: &str,
        body: &serde_json::Value,
    ) -> Result<ArmResponse, ArmError> {
        self.send_with_retries(Method::PATCH, url, Some(body)).await
    }

    async fn send_with_retries(
        &self,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<ArmResponse, ArmError> {
        let mut backoff = FIRST_READ_BACKOFF;
        let mut attempt = 1;
        loop {
            let result = self.send(method.clone(), url, body).await;
            let wait = match &result {
                Err(Failure::Transient { wait, .. }) if attempt < MAX_READ_ATTEMPTS => {
                    wait.unwrap_or(backoff)
                }
                Err(Failure::Permanent(error)) if self.may_wait_for_propagation(error) => {
                    tracing::warn!(
                        "ARM denied {} {}. A role assignment made in the last minutes may not \
                         have reached ARM yet; retrying in {} s",
                        method_name(&method),
                        display_path(url),
                        PROPAGATION_PAUSE.as_secs()
                    );
                    if self.deadline.sleep(PROPAGATION_PAUSE).await.is_err() {
                        return result.map_err(Failure::into_error);
                    }
                    continue;
                }
                _ => return result.map_err(Failure::into_error),
            };
            if !self.announce_retry(&method, url, wait, attempt, &result) {
                return result.map_err(Failure::into_error);
            }
            if self.deadline.sleep(wait.min(MAX_RETRY_WAIT)).await.is_err() {
                return result.map_err(Failure::into_error);
            }
            attempt += 1;
            backoff *= 2;
        }
    }

    /// Logs the coming retry and returns true, or logs why there is none (the wait would pass
    /// the run's deadline) and returns false.
    fn announce_retry(
        &self,
        method: &Method,
        url: &str,
        wait: Duration,
        attempt: u32,
        result: &Result<ArmResponse, Failure>,
    ) -> bool {
        let cause = result
            .as_ref()
            .err()
            .map(|failure| failure.to_string())
            .unwrap_or_default();
        let wait = wait.min(MAX_RETRY_WAIT);
        if wait >= self.deadline.remaining() {
            tracing::warn!(
                "Not retrying {} {}: the wait of {} s would pass the run's timeout: {cause}",
                method_name(method),
                display_path(url),
                wait.as_secs()
            );
            return false;
        }
        // A log line, not a warning annotation: a retry that succeeds needs no attention, one that
        // fails ends in an error, and a step shows at most 10 warning annotations.
        tracing::info!(
            "Retrying {} {} in {} s (attempt {attempt} of {MAX_READ_ATTEMPTS}): {cause}",
            method_name(method),
            display_path(url),
            wait.as_secs()
        );
        true
    }

    /// POSTs `body` to `url` once. A POST that starts a job is not idempotent, so only a 401
    /// (which ARM rejects before doing anything) is repeated, with a new token.
    pub async fn post(&self, url: &str, body: &serde_json::Value) -> Result<ArmResponse, ArmError> {
        let mut attempt = 1;
        loop {
            let result = self.send(Method::POST, url, Some(body)).await;
            // A 429 means ARM throttled the request without processing it, so sending it again
            // after the wait cannot start a second job. Nothing else is repeated.
            let wait = match &result {
                Err(Failure::Transient { error, wait })
                    if error.status() == Some(429) && attempt < MAX_READ_ATTEMPTS =>
                {
                    wait.unwrap_or(FIRST_READ_BACKOFF)
                }
                _ => return result.map_err(Failure::into_error),
            };
            if !self.announce_retry(&Method::POST, url, wait, attempt, &result) {
                return result.map_err(Failure::into_error);
            }
            if self.deadline.sleep(wait.min(MAX_RETRY_WAIT)).await.is_err() {
                return result.map_err(Failure::into_error);
            }
            attempt += 1;
        }
    }

    /// Takes one of the run's propagation retries for a 403 `AuthorizationFailed`, if any is left.
    fn may_wait_for_propagation(&self, error: &ArmError) -> bool {
        error.status() == Some(403)
            && error.code() == "AuthorizationFailed"
            && self
                .propagation_retries
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                    left.checked_sub(1)
                })
                .is_ok()
    }

    async fn token(&self) -> Result<String, ArmError> {
        match self
            .credential
            .get_token(&[self.scope.as_str()], None)
            .await
        {
            Ok(token) => Ok(token.token.secret().to_string()),
            Err(error) => Err(match error.downcast_ref::<SignInError>() {
                Some(sign_in) => ArmError::SignIn(sign_in.clone()),
                None => ArmError::SignIn(SignInError::Unreachable {
                    detail: error.to_string(),
                }),
            }),
        }
    }

    /// Rejects a URL that leaves the configured ARM endpoint (another scheme, host or port), so the
    /// bearer token never follows a `nextLink`, `Location` or resource ID somewhere else.
    fn check_origin(&self, method: &Method, url: &str) -> Result<(), ArmError> {
        let same_origin = match (url::Url::parse(url), url::Url::parse(&self.endpoint)) {
            (Ok(target), Ok(endpoint)) => {
                target.scheme() == "https"
                    && target.scheme() == endpoint.scheme()
                    && target.host_str() == endpoint.host_str()
                    && target.port_or_known_default() == endpoint.port_or_known_default()
                    && target.username().is_empty()
                    && target.password().is_none()
            }
            _ => false,
        };
        if same_origin {
            return Ok(());
        }
        Err(ArmError::InvalidReply {
            path: display_path(url),
            detail: format!(
                "{} {} is outside the ARM endpoint {}; it was not requested, so the token is not \
                 sent elsewhere",
                method_name(method),
                url.split('?').next().unwrap_or(url),
                self.endpoint
            ),
        })
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<ArmResponse, Failure> {
        self.check_origin(&method, url)
            .map_err(Failure::Permanent)?;
        let mut refreshed = false;
        loop {
            let token = self.token().await.map_err(Failure::Permanent)?;
            let reply = self.send_once(method.clone(), url, body, &token).await?;
            match reply {
                Reply::Ok(response) => return Ok(response),
                Reply::TokenRejected(error) if !refreshed => {
                    tracing::info!(
                        "ARM rejected the access token ({}); signing in again",
                        error.code()
                    );
                    self.credential.invalidate().await;
                    refreshed = true;
                }
                Reply::TokenRejected(error) => return Err(Failure::Permanent(error)),
            }
        }
    }

    async fn send_once(
        &self,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
        token: &str,
    ) -> Result<Reply, Failure> {
        let method_name = method_name(&method);
        let path = display_path(url);
        if self.budget.is_low(&method) {
            tracing::info!(
                "ARM's {method_name} budget for this subscription is nearly spent; pausing {} s",
                LOW_RATE_PAUSE.as_secs()
            );
            let _ = self.deadline.sleep(LOW_RATE_PAUSE).await;
        }
        let method_copy = method.clone();
        // No single request may outlast the run's deadline; the client's own timeout is the cap.
        let request_timeout = crate::http::REQUEST_TIMEOUT
            .min(self.deadline.remaining())
            .max(MIN_REQUEST_TIMEOUT);
        let mut request = self
            .http
            .request(method, url)
            .timeout(request_timeout)
            .bearer_auth(token)
            .header("x-ms-client-request-id", uuid::Uuid::new_v4().to_string());
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|error| Failure::Transient {
            error: ArmError::Transport {
                method: method_name,
                path: path.clone(),
                detail: describe_transport_error(&error),
            },
            wait: None,
        })?;

        let status = response.status().as_u16();
        let headers = response.headers().clone();
        self.budget.record(&method_copy, &headers);
        let body = response.text().await.map_err(|error| Failure::Transient {
            error: ArmError::Transport {
                method: method_name,
                path: path.clone(),
                detail: describe_transport_error(&error),
            },
            wait: None,
        })?;
        let request_id = headers
            .get("x-ms-request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        tracing::debug!(
            "{method_name} {path} -> {status} (x-ms-request-id {})",
            request_id.as_deref().unwrap_or("-")
        );

        if (200..300).contains(&status) {
            return Ok(Reply::Ok(ArmResponse {
                status,
                headers,
                body,
                path,
            }));
        }

        let (code, message) = parse_error_envelope(&body);
        let error = ArmError::Service {
            method: method_name,
            path,
            status,
            code,
            message,
            request_id,
        };
        if status == 401 && TOKEN_REJECTED_CODES.contains(&error.code()) {
            return Ok(Reply::TokenRejected(error));
        }
        if TRANSIENT_STATUSES.contains(&status) {
            return Err(Failure::Transient {
                error,
                wait: retry_after(&headers),
            });
        }
        Err(Failure::Permanent(error))
    }
}

enum Reply {
    Ok(ArmResponse),
    TokenRejected(ArmError),
}

enum Failure {
    Transient {
        error: ArmError,
        wait: Option<Duration>,
    },
    Permanent(ArmError),
}

impl Failure {
    fn into_error(self) -> ArmError {
        match self {
            Self::Transient { error, .. } | Self::Permanent(error) => error,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Transient { error, .. } | Self::Permanent(error) => write!(f, "{error}"),
        }
    }
}

/// Characters escaped in a query value: everything but unreserved characters and a few
/// separators ARM filters use literally.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'\'');

/// Reads `{"error": {"code", "message"}}`; a body without it is quoted as the message.
fn parse_error_envelope(body: &str) -> (String, String) {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let error = value.get("error").unwrap_or(&value);
    let code = error
        .get("code")
        .and_then(|code| code.as_str())
        .unwrap_or("UnknownError")
        .to_string();
    let message = error
        .get("message")
        .and_then(|message| message.as_str())
        .map(crate::backup::bounded_server_text)
        .unwrap_or_else(|| {
            let excerpt: String = body.trim().chars().take(200).collect();
            if excerpt.is_empty() {
                "no error details in the reply".to_string()
            } else {
                excerpt
            }
        });
    (code, message)
}

/// Returns the path of an ARM URL without host and query, for messages.
pub(crate) fn display_path(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => percent_encoding::percent_decode_str(parsed.path())
            .decode_utf8_lossy()
            .into_owned(),
        Err(_) => url.split('?').next().unwrap_or(url).to_string(),
    }
}

fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::POST => "POST",
        Method::DELETE => "DELETE",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        _ => "GET",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_envelope_is_parsed() {
        let (code, message) =
            parse_error_envelope(r#"{"error":{"code":"AuthorizationFailed","message":"no"}}"#);
        assert_eq!(code, "AuthorizationFailed");
        assert_eq!(message, "no");
    }

    #[test]
    fn body_without_envelope_becomes_message() {
        let (code, message) = parse_error_envelope("upstream unavailable");
        assert_eq!(code, "UnknownError");
        assert_eq!(message, "upstream unavailable");
    }

    #[test]
    fn display_path_drops_host_and_query() {
        assert_eq!(
            display_path("https://h/subscriptions/s/x%3By?api-version=1"),
            "/subscriptions/s/x;y"
        );
    }
}
