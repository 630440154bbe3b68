//! Entra ID (Microsoft identity platform v2): the tenant discovery documents that MSAL reads, and
//! the token endpoint's client-credentials grant with a federated GitHub client assertion.
//!
//! The token endpoint checks a request in this order and rejects it at the first failed check with
//! Entra's error body (`AADSTS<code>: …` plus trace and correlation IDs):
//!
//! | Check | Code | `error` | Status |
//! | --- | --- | --- | --- |
//! | tenant is the scenario's tenant ID or one of its domains | 90002 | invalid_request | 400 |
//! | `grant_type` present | 900144 | invalid_request | 400 |
//! | `grant_type` is `client_credentials` | 70003 | unsupported_grant_type | 400 |
//! | `client_id` present | 900144 | invalid_request | 400 |
//! | `client_id` is the scenario's app | 700016 | unauthorized_client | 400 |
//! | `client_assertion` present | 7000218 | invalid_client | 401 |
//! | `client_assertion_type` present | 900144 | invalid_request | 400 |
//! | `client_assertion_type` is jwt-bearer | 70002 | invalid_client | 401 |
//! | assertion is a decodable JWT with `exp` | 50027 | invalid_request | 400 |
//! | RS256 signature by the simulated GitHub key | 700027 | invalid_client | 401 |
//! | simulated now is within `nbf`..`exp` | 700024 | invalid_client | 400 |
//! | `jti` not already redeemed (scenario switch) | 700024 | invalid_client | 400 |
//! | a federated credential has the issuer | 700211 | invalid_client | 400 |
//! | … and one of its audiences | 700212 | invalid_client | 400 |
//! | … and the subject, case-sensitively | 700213, or 7002138 when only the case differs | invalid_client | 400 |
//! | `scope` present | 900144 | invalid_request | 400 |
//! | `scope` is an ARM resource + `/.default` | 70011 | invalid_scope | 400 |
//!
//! A replayed `jti` reuses 700024 because a client must react the same way: fetch a new GitHub
//! token for every exchange. Entra itself may accept a replay within the lifetime, which is why
//! the check can be switched off in the scenario.

use std::collections::HashMap;

use hyper::header::{HeaderName, CACHE_CONTROL};
use hyper::{Method, StatusCode};
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::clock::configured_seconds;
use super::format;
use super::http::{SimRequest, SimResponse};
use super::state::IssuedAccessToken;
use super::Simulator;

/// The only `client_assertion_type` Entra accepts for a JWT client assertion (RFC 7523).
const JWT_BEARER_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Scopes MSAL may add to any request; they name no resource.
const RESERVED_SCOPES: [&str; 3] = ["openid", "profile", "offline_access"];

const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("client-request-id");
const REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-request-id");

/// Routes a request to the identity platform.
pub(crate) fn handle(simulator: &Simulator, request: &SimRequest) -> SimResponse {
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    match (&request.method, segments.as_slice()) {
        (&Method::GET, [_, "discovery", "instance"]) => instance_discovery(simulator, request),
        (&Method::GET, [tenant, "v2.0", ".well-known", "openid-configuration"]) => {
            openid_configuration(simulator, request, tenant)
        }
        (&Method::GET, [_, "discovery", "v2.0", "keys"]) => {
            SimResponse::json(StatusCode::OK, &json!({ "keys": [] }))
        }
        (&Method::POST, [tenant, "oauth2", "v2.0", "token"]) => token(simulator, request, tenant),
        _ => SimResponse::json(
            StatusCode::NOT_FOUND,
            &json!({ "error": "not_found", "error_description": "The simulator does not serve this path." }),
        ),
    }
}

/// An Entra error, rendered as the JSON body the token endpoint returns.
struct EntraError {
    status: StatusCode,
    error: &'static str,
    code: u32,
    /// The text after `AADSTS<code>: ` and before the trace details.
    text: String,
}

impl EntraError {
    fn new(status: StatusCode, error: &'static str, code: u32, text: impl Into<String>) -> Self {
        Self {
            status,
            error,
            code,
            text: text.into(),
        }
    }

    fn missing_parameter(name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{name}'."),
        )
    }

    fn invalid_client(code: u32, text: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_client", code, text)
    }

    fn into_response(self, simulator: &Simulator, request: &SimRequest) -> SimResponse {
        let now = simulator.clock.now();
        let trace_id = uuid::Uuid::new_v4().to_string();
        let correlation_id = correlation_id(request);
        let timestamp = format::entra_timestamp(now);
        let description = format!(
            "AADSTS{}: {} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}",
            self.code, self.text
        );
        let body = json!({
            "error": self.error,
            "error_description": description,
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("{}/error?code={}", simulator.urls.entra_base, self.code),
        });
        SimResponse::json(self.status, &body)
            .with_header(REQUEST_ID, trace_id)
            .with_header(CLIENT_REQUEST_ID, correlation_id)
            .with_header(CACHE_CONTROL, "no-store, no-cache")
            .with_error_code(self.code.to_string())
    }
}

/// Builds the token endpoint's error reply (`AADSTS<code>: <text>` with trace and correlation
/// IDs) for a scripted fault.
pub(crate) fn error_response(
    simulator: &Simulator,
    request: &SimRequest,
    status: StatusCode,
    error: &'static str,
    code: u32,
    text: &str,
) -> SimResponse {
    EntraError::new(status, error, code, text).into_response(simulator, request)
}

/// Returns the client's `client-request-id` (MSAL sends one), else a new GUID.
fn correlation_id(request: &SimRequest) -> String {
    request
        .header("client-request-id")
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

fn is_known_tenant(simulator: &Simulator, tenant: &str) -> bool {
    let ids = &simulator.scenario.ids;
    ids.tenant.eq_ignore_ascii_case(tenant)
        || ids
            .tenant_domains
            .iter()
            .any(|domain| domain.eq_ignore_ascii_case(tenant))
}

fn tenant_not_found(tenant: &str, error: &'static str) -> EntraError {
    EntraError::new(
        StatusCode::BAD_REQUEST,
        error,
        90002,
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
        ),
    )
}

fn openid_configuration(simulator: &Simulator, request: &SimRequest, tenant: &str) -> SimResponse {
    if !is_known_tenant(simulator, tenant) {
        return tenant_not_found(tenant, "invalid_tenant").into_response(simulator, request);
    }
    let base = &simulator.urls.entra_base;
    let tenant_id = &simulator.scenario.ids.tenant;
    let host = base.trim_start_matches("https://");
    let body = json!({
        "token_endpoint": format!("{base}/{tenant_id}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/{tenant_id}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{base}/{tenant_id}/v2.0"),
        "request_uri_parameter_supported": false,
        "authorization_endpoint": format!("{base}/{tenant_id}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/{tenant_id}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/{tenant_id}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "name", "oid", "tid", "ver"],
        "tenant_region_scope": "EU",
        "cloud_instance_name": host,
        "cloud_graph_host_name": host,
        "msgraph_host": host,
        "rbac_url": simulator.urls.arm_base,
    });
    SimResponse::json(StatusCode::OK, &body)
}

/// MSAL's instance discovery (`/common/discovery/instance`): the simulator is its own only alias.
fn instance_discovery(simulator: &Simulator, request: &SimRequest) -> SimResponse {
    let base = &simulator.urls.entra_base;
    let host = base.trim_start_matches("https://");
    let tenant = request
        .query_value("authorization_endpoint")
        .and_then(|endpoint| url::Url::parse(endpoint).ok())
        .and_then(|endpoint| {
            endpoint
                .path_segments()
                .and_then(|mut segments| segments.next().map(str::to_owned))
        })
        .filter(|tenant| !tenant.is_empty())
        .unwrap_or_else(|| "common".to_owned());
    let body = json!({
        "tenant_discovery_endpoint": format!("{base}/{tenant}/v2.0/.well-known/openid-configuration"),
        "api-version": "1.1",
        "metadata": [{ "preferred_network": host, "preferred_cache": host, "aliases": [host] }]
    });
    SimResponse::json(StatusCode::OK, &body)
}

fn token(simulator: &Simulator, request: &SimRequest, tenant: &str) -> SimResponse {
    let mut assertion_id = None;
    let mut response = match exchange_assertion(simulator, request, tenant, &mut assertion_id) {
        Ok(response) => response,
        Err(error) => error.into_response(simulator, request),
    };
    response.assertion_id = assertion_id;
    response
}

/// Runs the checks in the order of the module table and issues an access token.
fn exchange_assertion(
    simulator: &Simulator,
    request: &SimRequest,
    tenant: &str,
    assertion_id: &mut Option<String>,
) -> Result<SimResponse, EntraError> {
    let scenario = &simulator.scenario;
    if !is_known_tenant(simulator, tenant) {
        return Err(tenant_not_found(tenant, "invalid_request"));
    }

    // The first occurrence of a repeated field wins.
    let mut form: HashMap<String, String> = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(&request.body).into_owned() {
        form.entry(name).or_insert(value);
    }
    let field = |name: &str| {
        form.get(name)
            .map(String::as_str)
            .filter(|value| !value.is_empty())
    };

    let grant_type =
        field("grant_type").ok_or_else(|| EntraError::missing_parameter("grant_type"))?;
    if grant_type != "client_credentials" {
        return Err(EntraError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant_type}'."),
        ));
    }

    let client_id = field("client_id").ok_or_else(|| EntraError::missing_parameter("client_id"))?;
    if !client_id.eq_ignore_ascii_case(&scenario.ids.client) {
        return Err(EntraError::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
        ));
    }

    let Some(assertion) = field("client_assertion") else {
        return Err(EntraError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ));
    };
    let assertion_type = field("client_assertion_type")
        .ok_or_else(|| EntraError::missing_parameter("client_assertion_type"))?;
    if assertion_type != JWT_BEARER_ASSERTION_TYPE {
        // NOTE: the code is Entra's generic credential error. The text is the simulator's own.
        return Err(EntraError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            70002,
            format!(
                "Error validating credentials. The client_assertion_type '{assertion_type}' is not supported; send '{JWT_BEARER_ASSERTION_TYPE}'."
            ),
        ));
    }

    let claims = verify_assertion(simulator, assertion)?;
    *assertion_id = claims.get("jti").and_then(Value::as_str).map(str::to_owned);
    let now = simulator.clock.now();
    check_time_window(&claims, now)?;
    let reject_replays = scenario.entra.reject_replayed_assertions;
    if let Some(token_id) = assertion_id.as_deref() {
        if reject_replays && simulator.state().redeemed_assertion_ids.contains(token_id) {
            return Err(replayed_assertion(token_id));
        }
    }
    match_federated_credential(simulator, &claims)?;
    let resource = check_scope(simulator, field("scope"))?;

    let lifetime = scenario.entra.access_token_lifetime_seconds;
    let access_token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    {
        let mut state = simulator.state();
        if let Some(token_id) = assertion_id.as_deref() {
            // Checked again under the same lock as the insert, for concurrent requests.
            let first_use = state.redeemed_assertion_ids.insert(token_id.to_owned());
            if reject_replays && !first_use {
                return Err(replayed_assertion(token_id));
            }
        }
        state.access_tokens.push(IssuedAccessToken {
            token: access_token.clone(),
            client_id: client_id.to_ascii_lowercase(),
            resource,
            issued_at: now,
            expires_at: now + configured_seconds(lifetime),
        });
    }

    let body = json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
    });
    Ok(SimResponse::json(StatusCode::OK, &body)
        .with_header(REQUEST_ID, uuid::Uuid::new_v4().to_string())
        .with_header(CLIENT_REQUEST_ID, correlation_id(request))
        .with_header(CACHE_CONTROL, "no-store, no-cache"))
}

fn replayed_assertion(token_id: &str) -> EntraError {
    EntraError::invalid_client(
        700024,
        format!(
            "Client assertion with jti '{token_id}' was already redeemed. Request a new assertion for each token request."
        ),
    )
}

/// Decodes the assertion and checks its RS256 signature against the simulated GitHub key.
fn verify_assertion(
    simulator: &Simulator,
    assertion: &str,
) -> Result<serde_json::Map<String, Value>, EntraError> {
    let malformed = |detail: &str| {
        EntraError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50027,
            format!("JWT token is invalid or malformed. {detail}"),
        )
    };
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| malformed("The header cannot be decoded."))?;
    let unverified = jsonwebtoken::dangerous::insecure_decode::<Value>(assertion)
        .map_err(|_| malformed("The payload cannot be decoded."))?;
    let Value::Object(claims) = unverified.claims else {
        return Err(malformed("The payload is not a JSON object."));
    };
    if !claims.get("exp").is_some_and(Value::is_number) {
        return Err(malformed("The 'exp' claim is missing."));
    }

    let signature_invalid = || {
        EntraError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            "Client assertion failed signature validation.",
        )
    };
    let key = &simulator.github_key;
    if header.alg != Algorithm::RS256 || header.kid.as_deref() != Some(key.key_id.as_str()) {
        return Err(signature_invalid());
    }
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(assertion, &key.decoding_key, &validation)
        .map_err(|_| signature_invalid())?;
    Ok(claims)
}

/// Checks `nbf` and `exp` against the simulated clock, without clock-skew leeway.
fn check_time_window(
    claims: &serde_json::Map<String, Value>,
    now: OffsetDateTime,
) -> Result<(), EntraError> {
    let timestamp = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_i64)
            .and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds).ok())
    };
    let expires = timestamp("exp").unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let not_before = timestamp("nbf").unwrap_or(OffsetDateTime::UNIX_EPOCH);
    if now < not_before || now >= expires {
        return Err(EntraError::invalid_client(
            700024,
            format!(
                "Client assertion is not within its valid time range. Current time: {}, assertion valid from {}, expiry time of assertion {}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
                format::dotnet_utc(now),
                format::dotnet_utc(not_before),
                format::dotnet_utc(expires)
            ),
        ));
    }
    Ok(())
}

/// Finds a federated credential with the assertion's issuer, one of its audiences and its subject,
/// comparing case-sensitively as Entra has done since 2025.
fn match_federated_credential(
    simulator: &Simulator,
    claims: &serde_json::Map<String, Value>,
) -> Result<(), EntraError> {
    const CHECK_CREDENTIAL: &str =
        "Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.";
    let text_claim = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or_default();
    let issuer = text_claim("iss");
    let subject = text_claim("sub");
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(audience)) => vec![audience.as_str()],
        Some(Value::Array(values)) => values.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };

    let credentials = &simulator.scenario.entra.federated_credentials;
    let with_issuer: Vec<_> = credentials
        .iter()
        .filter(|credential| credential.issuer == issuer)
        .collect();
    if with_issuer.is_empty() {
        return Err(EntraError::invalid_client(
            700211,
            format!("No matching federated identity record found for presented assertion issuer '{issuer}'. {CHECK_CREDENTIAL}"),
        ));
    }

    let with_audience: Vec<_> = with_issuer
        .into_iter()
        .filter(|credential| {
            credential
                .audiences
                .iter()
                .any(|expected| audiences.contains(&expected.as_str()))
        })
        .collect();
    if with_audience.is_empty() {
        let presented = audiences.join(", ");
        return Err(EntraError::invalid_client(
            700212,
            format!("No matching federated identity record found for presented assertion audience '{presented}'. {CHECK_CREDENTIAL}"),
        ));
    }

    if with_audience
        .iter()
        .any(|credential| credential.subject == subject)
    {
        return Ok(());
    }
    if with_audience
        .iter()
        .any(|credential| credential.subject.to_lowercase() == subject.to_lowercase())
    {
        return Err(EntraError::invalid_client(
            7002138,
            format!(
                "No matching federated identity record found for presented assertion subject '{subject}'. The subject matches with case-insensitive comparison, but not with case-sensitive comparison. {CHECK_CREDENTIAL}"
            ),
        ));
    }
    Err(EntraError::invalid_client(
        700213,
        format!("No matching federated identity record found for presented assertion subject '{subject}'. {CHECK_CREDENTIAL}"),
    ))
}

/// Checks that the scope names an ARM resource with `/.default` and returns that resource.
fn check_scope(simulator: &Simulator, scope: Option<&str>) -> Result<String, EntraError> {
    let scope = scope.ok_or_else(|| EntraError::missing_parameter("scope"))?;
    let invalid = || {
        EntraError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            format!("The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."),
        )
    };
    let resource_scopes: Vec<&str> = scope
        .split_whitespace()
        .filter(|part| !RESERVED_SCOPES.contains(part))
        .collect();
    let [resource_scope] = resource_scopes.as_slice() else {
        return Err(invalid());
    };
    let resource = resource_scope
        .strip_suffix("/.default")
        .ok_or_else(invalid)?;

    let normalize = |value: &str| value.trim_end_matches('/').to_ascii_lowercase();
    let requested = normalize(resource);
    let arm_base = simulator.urls.arm_base.as_str();
    let known = std::iter::once(arm_base)
        .chain(
            simulator
                .scenario
                .arm
                .token_audiences
                .iter()
                .map(String::as_str),
        )
        .any(|audience| normalize(audience) == requested);
    if !known || requested.is_empty() {
        return Err(invalid());
    }
    Ok(resource.to_owned())
}
