//! The GitHub Actions OIDC token service: `GET /idtoken` for the runner's token request, and the
//! discovery document and JWKS that a verifier reads.

use hyper::{Method, StatusCode};
use jsonwebtoken::{Algorithm, Header};
use serde_json::{json, Map, Value};

use super::clock::configured_seconds;
use super::http::{Bearer, SimRequest, SimResponse};
use super::scenario::GithubClaims;
use super::state::IssuedIdToken;
use super::Simulator;

/// Seconds by which `nbf` precedes `iat`. GitHub's tokens become valid 600 s before they are
/// issued (the example token in GitHub's OpenID Connect documentation).
const NOT_BEFORE_LEAD_SECONDS: i64 = 600;

/// Routes a request to the token service.
pub(crate) fn handle(simulator: &Simulator, request: &SimRequest) -> SimResponse {
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    match (&request.method, segments.as_slice()) {
        (&Method::GET, ["idtoken"]) => issue_token(simulator, request),
        (&Method::GET, [".well-known", "openid-configuration"]) => discovery_document(simulator),
        (&Method::GET, [".well-known", "jwks"]) => key_set(simulator),
        _ => SimResponse::json(StatusCode::NOT_FOUND, &json!({ "message": "Not Found" })),
    }
}

fn issue_token(simulator: &Simulator, request: &SimRequest) -> SimResponse {
    let github = &simulator.scenario.github;
    let authorized =
        matches!(request.bearer(), Bearer::Token(token) if token == github.request_token);
    if !authorized {
        return SimResponse::json(
            StatusCode::UNAUTHORIZED,
            &json!({ "message": "Bad credentials" }),
        )
        .with_error_code("Bad credentials");
    }

    let owner = repository_owner(&github.claims);
    let audience = match request.query_value("audience") {
        Some(audience) if !audience.is_empty() => audience.to_owned(),
        _ => format!("https://github.com/{owner}"),
    };
    let issued_at = simulator.clock.now();
    let expires_at = issued_at + configured_seconds(github.token_lifetime_seconds);
    let token_id = uuid::Uuid::new_v4().to_string();

    let mut claims = job_claims(&github.claims);
    claims.insert("jti".to_owned(), json!(token_id));
    claims.insert("aud".to_owned(), json!(audience));
    claims.insert("iss".to_owned(), json!(github.issuer));
    let issued_at_seconds = issued_at.unix_timestamp();
    claims.insert(
        "nbf".to_owned(),
        json!(issued_at_seconds - NOT_BEFORE_LEAD_SECONDS),
    );
    claims.insert("exp".to_owned(), json!(expires_at.unix_timestamp()));
    claims.insert("iat".to_owned(), json!(issued_at_seconds));
    for (name, value) in &github.claims.extra {
        claims.insert(name.clone(), value.clone());
    }
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();

    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(simulator.github_key.key_id.clone());
    // NOTE: GitHub's x5t is the SHA-1 thumbprint of the certificate in its JWKS. The simulator has
    // no certificate for its key, so x5t repeats the key ID.
    header.x5t = Some(simulator.github_key.key_id.clone());
    let token = match jsonwebtoken::encode(&header, &claims, &simulator.github_key.encoding_key) {
        Ok(token) => token,
        Err(error) => {
            tracing::error!(%error, "signing a GitHub OIDC token failed");
            return SimResponse::json(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({ "message": format!("signing the token failed: {error}") }),
            );
        }
    };

    simulator.state().id_tokens.push(IssuedIdToken {
        token: token.clone(),
        token_id,
        subject,
        audience,
        issued_at,
        expires_at,
    });
    // The runner's toolkit reads only `value`; `count` mirrors the wrapper the real service sends.
    SimResponse::json(
        StatusCode::OK,
        &json!({ "count": token.len(), "value": token }),
    )
}

/// Builds the GitHub-specific claims of the job, without the time, audience and issuer claims.
fn job_claims(claims: &GithubClaims) -> Map<String, Value> {
    let owner = repository_owner(claims);
    let workflow_ref = format!(
        "{}/{}@{}",
        claims.repository, claims.workflow_path, claims.git_ref
    );
    let subject = claims
        .sub
        .clone()
        .unwrap_or_else(|| default_subject(claims));

    let mut map = Map::new();
    map.insert("sub".to_owned(), json!(subject));
    map.insert("ref".to_owned(), json!(claims.git_ref));
    map.insert("sha".to_owned(), json!(claims.sha));
    map.insert("repository".to_owned(), json!(claims.repository));
    map.insert("repository_owner".to_owned(), json!(owner));
    map.insert(
        "repository_owner_id".to_owned(),
        json!(claims.repository_owner_id),
    );
    map.insert("run_id".to_owned(), json!(claims.run_id));
    map.insert("run_number".to_owned(), json!(claims.run_number));
    map.insert("run_attempt".to_owned(), json!(claims.run_attempt));
    map.insert(
        "repository_visibility".to_owned(),
        json!(claims.repository_visibility),
    );
    map.insert("repository_id".to_owned(), json!(claims.repository_id));
    map.insert("actor_id".to_owned(), json!(claims.actor_id));
    map.insert("actor".to_owned(), json!(claims.actor));
    map.insert("workflow".to_owned(), json!(claims.workflow));
    map.insert("head_ref".to_owned(), json!(""));
    map.insert("base_ref".to_owned(), json!(""));
    map.insert("event_name".to_owned(), json!(claims.event_name));
    map.insert("ref_protected".to_owned(), json!(claims.ref_protected));
    map.insert("ref_type".to_owned(), json!(claims.ref_type));
    map.insert("workflow_ref".to_owned(), json!(workflow_ref));
    map.insert("workflow_sha".to_owned(), json!(claims.sha));
    map.insert("job_workflow_ref".to_owned(), json!(workflow_ref));
    map.insert("job_workflow_sha".to_owned(), json!(claims.sha));
    map.insert(
        "runner_environment".to_owned(),
        json!(claims.runner_environment),
    );
    if let Some(environment) = &claims.environment {
        map.insert("environment".to_owned(), json!(environment));
    }
    map
}

/// Builds `sub` the way GitHub does by default: the environment wins over `pull_request`, which
/// wins over the ref. A `:` inside a value is written as `%3A`.
fn default_subject(claims: &GithubClaims) -> String {
    let escape = |value: &str| value.replace(':', "%3A");
    let repository = &claims.repository;
    if let Some(environment) = &claims.environment {
        format!("repo:{repository}:environment:{}", escape(environment))
    } else if claims.event_name == "pull_request" {
        format!("repo:{repository}:pull_request")
    } else {
        format!("repo:{repository}:ref:{}", escape(&claims.git_ref))
    }
}

fn repository_owner(claims: &GithubClaims) -> String {
    claims.repository_owner.clone().unwrap_or_else(|| {
        claims
            .repository
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned()
    })
}

fn discovery_document(simulator: &Simulator) -> SimResponse {
    let base = &simulator.urls.github_base;
    SimResponse::json(
        StatusCode::OK,
        &json!({
            "issuer": simulator.scenario.github.issuer,
            "jwks_uri": format!("{base}/.well-known/jwks"),
            "subject_types_supported": ["public", "pairwise"],
            "response_types_supported": ["id_token"],
            "claims_supported": [
                "sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "sha", "repository",
                "repository_id", "repository_owner", "repository_owner_id", "repository_visibility",
                "run_id", "run_number", "run_attempt", "runner_environment", "actor", "actor_id",
                "workflow", "workflow_ref", "workflow_sha", "head_ref", "base_ref", "event_name",
                "ref_type", "ref_protected", "environment", "job_workflow_ref", "job_workflow_sha"
            ],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid"]
        }),
    )
}

fn key_set(simulator: &Simulator) -> SimResponse {
    let key = &simulator.github_key;
    SimResponse::json(
        StatusCode::OK,
        &json!({
            "keys": [{
                "kty": "RSA",
                "alg": "RS256",
                "use": "sig",
                "kid": key.key_id,
                "x5t": key.key_id,
                "n": key.modulus,
                "e": key.exponent
            }]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_prefers_environment_then_pull_request_then_ref() {
        let mut claims = GithubClaims::default();
        assert_eq!(
            default_subject(&claims),
            "repo:contoso/backup-drills:environment:prod"
        );
        claims.environment = Some("Production:V1".to_owned());
        assert_eq!(
            default_subject(&claims),
            "repo:contoso/backup-drills:environment:Production%3AV1"
        );
        claims.environment = None;
        claims.event_name = "pull_request".to_owned();
        assert_eq!(
            default_subject(&claims),
            "repo:contoso/backup-drills:pull_request"
        );
        claims.event_name = "push".to_owned();
        assert_eq!(
            default_subject(&claims),
            "repo:contoso/backup-drills:ref:refs/heads/main"
        );
    }

    #[test]
    fn subject_override_wins() {
        let claims = GithubClaims {
            sub: Some("repo:Contoso/Backup-Drills:environment:Prod".to_owned()),
            ..GithubClaims::default()
        };
        assert_eq!(
            job_claims(&claims)["sub"],
            "repo:Contoso/Backup-Drills:environment:Prod"
        );
    }
}
