//! The error envelope `{"error":{"code","message"}}` and the correlation headers that every ARM
//! response carries.

use hyper::header::{HeaderName, CACHE_CONTROL};
use hyper::StatusCode;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::sim::http::{SimRequest, SimResponse};

pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-request-id");
pub(crate) const CORRELATION_REQUEST_ID: HeaderName =
    HeaderName::from_static("x-ms-correlation-request-id");
pub(crate) const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-client-request-id");
pub(crate) const ROUTING_REQUEST_ID: HeaderName =
    HeaderName::from_static("x-ms-routing-request-id");

/// Builds an ARM error response.
pub(crate) fn arm_error(status: StatusCode, code: &str, message: impl Into<String>) -> SimResponse {
    let body = json!({ "error": { "code": code, "message": message.into() } });
    SimResponse::json(status, &body).with_error_code(code)
}

/// Parses a JSON request body, or returns ARM's 400 `InvalidRequestContent` for text that is
/// not JSON.
pub(crate) fn parse_json_body(body: &[u8]) -> Result<Value, SimResponse> {
    serde_json::from_slice(body).map_err(|error| {
        arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{error}'."),
        )
    })
}

/// Adds `x-ms-request-id`, `x-ms-correlation-request-id` (the client's, else the request ID),
/// `x-ms-client-request-id` when the client sent one, `x-ms-routing-request-id` and
/// `Cache-Control: no-cache`.
pub(crate) fn add_common_headers(
    response: &mut SimResponse,
    request: &SimRequest,
    now: OffsetDateTime,
) {
    let request_id = uuid::Uuid::new_v4().to_string();
    let correlation_id = request
        .header("x-ms-correlation-request-id")
        .map(str::to_owned)
        .unwrap_or_else(|| request_id.clone());
    let routing_id = format!(
        "LOCAL:{:04}{:02}{:02}T{:02}{:02}{:02}Z:{request_id}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );

    response.headers.push((REQUEST_ID, request_id));
    response
        .headers
        .push((CORRELATION_REQUEST_ID, correlation_id));
    if let Some(client_request_id) = request.header("x-ms-client-request-id") {
        response
            .headers
            .push((CLIENT_REQUEST_ID, client_request_id.to_owned()));
    }
    response.headers.push((ROUTING_REQUEST_ID, routing_id));
    if !response.has_header(&CACHE_CONTROL) {
        response
            .headers
            .push((CACHE_CONTROL, "no-cache".to_owned()));
    }
}
