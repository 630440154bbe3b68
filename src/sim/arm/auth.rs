//! ARM's bearer-token check: the token must be one the simulated Entra ID issued and not yet
//! expired on the simulated clock. Failures are 401 with a `WWW-Authenticate` challenge that points
//! at the Entra authority, as ARM's gateway sends them.

use hyper::header::{HeaderName, WWW_AUTHENTICATE};
use hyper::StatusCode;
use time::OffsetDateTime;

use super::response::arm_error;
use crate::sim::format;
use crate::sim::http::{Bearer, SimRequest, SimResponse};
use crate::sim::Simulator;

const FAILURE_CAUSE: HeaderName = HeaderName::from_static("x-ms-failure-cause");

/// Accepts the request's bearer token or returns the 401 response for it.
pub(crate) fn authenticate(simulator: &Simulator, request: &SimRequest) -> Result<(), SimResponse> {
    let token = match request.bearer() {
        Bearer::Token(token) => token,
        Bearer::Missing => {
            return Err(unauthorized(
                simulator,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                "The authentication failed because of missing 'Authorization' header.",
            ))
        }
        Bearer::Malformed => return Err(unauthorized(
            simulator,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is provided in an invalid format.",
            "The authentication failed because the 'Authorization' header is not a bearer token.",
        )),
    };

    let expires_at = simulator
        .state()
        .access_token(token)
        .map(|issued| issued.expires_at);
    let Some(expires_at) = expires_at else {
        let message = "The access token is invalid.";
        return Err(unauthorized(
            simulator,
            "InvalidAuthenticationToken",
            message,
            message,
        ));
    };
    let now = simulator.clock.now();
    if now >= expires_at {
        return Err(expired_token(simulator, expires_at, now));
    }
    Ok(())
}

/// Builds the 401 for a token that expired at `expires_at`.
pub(crate) fn expired_token(
    simulator: &Simulator,
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
) -> SimResponse {
    let message = format!(
        "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
        format::us_date_time(expires_at),
        format::us_date_time(now)
    );
    unauthorized(simulator, "ExpiredAuthenticationToken", &message, &message)
}

fn unauthorized(
    simulator: &Simulator,
    code: &str,
    message: &str,
    challenge_description: &str,
) -> SimResponse {
    let challenge = format!(
        "Bearer authorization_uri=\"{}/{}\", error=\"invalid_token\", error_description=\"{challenge_description}\"",
        simulator.urls.entra_base, simulator.scenario.ids.tenant
    );
    arm_error(StatusCode::UNAUTHORIZED, code, message)
        .with_header(WWW_AUTHENTICATE, challenge)
        .with_header(FAILURE_CAUSE, "gateway")
}
