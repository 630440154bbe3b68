//! The replies that faults send: the error reply of a `status` fault in each service's own format,
//! ARM's 401 for `expire_token`, and the broken body of `malformed_json`.

use hyper::header::{HeaderName, CONTENT_TYPE, RETRY_AFTER};
use hyper::StatusCode;
use serde_json::{json, Value};
use time::Duration;

use crate::sim::arm::auth::expired_token;
use crate::sim::arm::response::{add_common_headers, arm_error};
use crate::sim::entra;
use crate::sim::http::{Bearer, SimRequest, SimResponse};
use crate::sim::state::ServiceKind;
use crate::sim::Simulator;

const RETRY_AFTER_MS: HeaderName = HeaderName::from_static("retry-after-ms");
const X_MS_RETRY_AFTER_MS: HeaderName = HeaderName::from_static("x-ms-retry-after-ms");

/// Text appended to the first half of a real body to make it invalid JSON. `<` cannot follow a
/// complete JSON value, and inside a cut-off string the string stays unterminated.
const MALFORMED_SUFFIX: &str = "<!-- not JSON -->";

/// The fields of a `status` fault action.
pub(super) struct StatusFault<'a> {
    pub(super) status: u16,
    pub(super) retry_after: Option<&'a str>,
    pub(super) retry_after_ms: Option<u64>,
    pub(super) body: Option<&'a str>,
}

/// Builds the reply of a `status` fault: the scripted body, or the service's own error body for
/// the status, with the scripted retry headers. ARM replies also get ARM's correlation headers.
pub(super) fn status_reply(
    simulator: &Simulator,
    service: ServiceKind,
    request: &SimRequest,
    fault: &StatusFault<'_>,
) -> SimResponse {
    let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut response = match fault.body {
        Some(body) => scripted_body(status, body),
        None => service_error(simulator, service, request, status),
    };
    if let Some(retry_after) = fault.retry_after {
        response = response.with_header(RETRY_AFTER, retry_after);
    }
    if let Some(milliseconds) = fault.retry_after_ms {
        response = response
            .with_header(RETRY_AFTER_MS, milliseconds.to_string())
            .with_header(X_MS_RETRY_AFTER_MS, milliseconds.to_string());
    }
    if service == ServiceKind::Arm {
        add_common_headers(&mut response, request, simulator.clock.now());
    }
    response
}

/// Builds a reply with the scenario's body: JSON when it parses as JSON, else plain text. The
/// request log takes the error code from an ARM (`error.code`) or Entra (`error_codes`) body.
fn scripted_body(status: StatusCode, body: &str) -> SimResponse {
    let mut response = SimResponse::empty(status);
    response.body = body.as_bytes().to_vec();
    let Ok(parsed) = serde_json::from_str::<Value>(body) else {
        return response.with_header(CONTENT_TYPE, "text/plain; charset=utf-8");
    };
    let code = parsed["error"]["code"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| {
            parsed["error_codes"][0]
                .as_u64()
                .map(|code| code.to_string())
        });
    response = response.with_header(CONTENT_TYPE, "application/json; charset=utf-8");
    match code {
        Some(code) => response.with_error_code(code),
        None => response,
    }
}

/// Builds the service's own error reply for a status.
fn service_error(
    simulator: &Simulator,
    service: ServiceKind,
    request: &SimRequest,
    status: StatusCode,
) -> SimResponse {
    let reason = status.canonical_reason().unwrap_or("Error");
    match service {
        ServiceKind::Arm => {
            // A 429 gets ARM's throttling code. Other statuses get their reason phrase as the code,
            // which for 504 is GatewayTimeout, the code of ARM's gateway.
            let code: String = if status == StatusCode::TOO_MANY_REQUESTS {
                "ResourceRequestsThrottled".to_owned()
            } else if status.canonical_reason().is_some() {
                reason.chars().filter(char::is_ascii_alphanumeric).collect()
            } else {
                format!("HttpStatus{}", status.as_u16())
            };
            arm_error(
                status,
                &code,
                format!(
                    "The request failed with a scripted {} ({reason}) fault of the simulator. Retry the request later.",
                    status.as_u16()
                ),
            )
        }
        ServiceKind::Entra => {
            let (error, code, text) = entra_error(status);
            entra::error_response(simulator, request, status, error, code, text)
        }
        ServiceKind::Github => {
            SimResponse::json(status, &json!({ "message": reason })).with_error_code(reason)
        }
    }
}

/// Returns the OAuth `error`, AADSTS code and text for a status.
// NOTE: Entra does not document which AADSTS code comes with which status in an outage. These are
// codes from Entra's published list: 90024 (RequestBudgetExceededError, "A transient error has
// occurred. Try again.") for 429, 90006 (ExternalServerRetryableError, "The service is temporarily
// unavailable.") for 5xx, and 90100 (InvalidRequestParameter) for any other 4xx.
fn entra_error(status: StatusCode) -> (&'static str, u32, &'static str) {
    if status == StatusCode::TOO_MANY_REQUESTS {
        (
            "temporarily_unavailable",
            90024,
            "A transient error has occurred. Try again.",
        )
    } else if status.is_server_error() {
        (
            "temporarily_unavailable",
            90006,
            "The service is temporarily unavailable.",
        )
    } else {
        (
            "invalid_request",
            90100,
            "The parameter is empty or not valid.",
        )
    }
}

/// Builds ARM's 401 for an expired token and makes the presented token expire now, so that a
/// retry with the same token is rejected too and only a new sign-in helps.
pub(super) fn expired_token_reply(simulator: &Simulator, request: &SimRequest) -> SimResponse {
    let now = simulator.clock.now();
    let expired_at = now - Duration::seconds(1);
    if let Bearer::Token(token) = request.bearer() {
        let mut state = simulator.state();
        if let Some(issued) = state
            .access_tokens
            .iter_mut()
            .find(|issued| issued.token == token)
        {
            issued.expires_at = issued.expires_at.min(expired_at);
        }
    }
    let mut response = expired_token(simulator, expired_at, now);
    add_common_headers(&mut response, request, now);
    response
}

/// Turns a processed reply into a 200 whose body is the first half of the real body followed by
/// [`MALFORMED_SUFFIX`], with the other headers kept.
pub(super) fn malformed_json(mut response: SimResponse) -> SimResponse {
    response.status = StatusCode::OK;
    response.body.truncate(response.body.len() / 2);
    response.body.extend_from_slice(MALFORMED_SUFFIX.as_bytes());
    response.headers.retain(|(name, _)| name != CONTENT_TYPE);
    response.with_header(CONTENT_TYPE, "application/json; charset=utf-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_body_never_parses() {
        for body in ["", "{}", "[]", "1234", r#"{"status":"InProgress"}"#] {
            let mut response = SimResponse::empty(StatusCode::ACCEPTED);
            response.body = body.as_bytes().to_vec();
            let broken = malformed_json(response);
            assert_eq!(broken.status, StatusCode::OK);
            assert!(
                serde_json::from_slice::<Value>(&broken.body).is_err(),
                "{body}"
            );
        }
    }

    #[test]
    fn scripted_body_sets_type_and_code() {
        let arm = scripted_body(
            StatusCode::SERVICE_UNAVAILABLE,
            r#"{"error":{"code":"ServiceUnavailable","message":"x"}}"#,
        );
        assert_eq!(arm.error_code.as_deref(), Some("ServiceUnavailable"));
        let text = scripted_body(StatusCode::SERVICE_UNAVAILABLE, "upstream unavailable");
        assert!(text
            .headers
            .iter()
            .any(|(name, value)| name == CONTENT_TYPE && value.starts_with("text/plain")));
        assert_eq!(text.error_code, None);
    }

    #[test]
    fn entra_error_by_status() {
        assert_eq!(entra_error(StatusCode::SERVICE_UNAVAILABLE).1, 90006);
        assert_eq!(entra_error(StatusCode::TOO_MANY_REQUESTS).1, 90024);
        assert_eq!(entra_error(StatusCode::BAD_REQUEST).0, "invalid_request");
    }
}
