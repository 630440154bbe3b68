//! Conformance of the simulator with the real services: it runs in-process on loopback and its
//! replies are compared with Microsoft's official REST examples (copied under `tests/fixtures`),
//! with Entra's documented error bodies and with ARM's authentication and paging behaviour.

use std::path::PathBuf;

use azure_backup_oidc::sim::{self, JobOutcome, RunningSimulator, Scenario, SimulatorUrls};
use reqwest::{Response, StatusCode};
use serde_json::Value;

const TENANT: &str = "00000000-0000-0000-0000-000000000002";
const CLIENT: &str = "00000000-0000-0000-0000-000000000001";
const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000003";
const EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

const RSV_2025: &str =
    "specification/recoveryservicesbackup/resource-manager/Microsoft.RecoveryServices/stable/2025-02-01/examples";
const RSV_2026: &str =
    "specification/recoveryservicesbackup/resource-manager/Microsoft.RecoveryServices/RecoveryServicesBackup/stable/2026-07-01/examples";

/// An in-process simulator, a client that trusts its CA, and its state directory.
struct Harness {
    simulator: RunningSimulator,
    client: reqwest::Client,
    state_dir: PathBuf,
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.state_dir);
    }
}

impl Harness {
    async fn start(scenario: Scenario) -> Harness {
        let state_dir =
            std::env::temp_dir().join(format!("sim-conformance-{}", uuid::Uuid::new_v4()));
        let simulator = sim::start(scenario, &state_dir)
            .await
            .expect("simulator starts");
        let _ = rustls::crypto::ring::default_provider().install_default();
        let ca = std::fs::read(&simulator.urls.ca_file).expect("CA file is written");
        let client = reqwest::Client::builder()
            .no_proxy()
            .tls_certs_only(reqwest::Certificate::from_pem_bundle(&ca).expect("CA file is PEM"))
            .build()
            .expect("HTTP client builds");
        Harness {
            simulator,
            client,
            state_dir,
        }
    }

    fn urls(&self) -> &SimulatorUrls {
        &self.simulator.urls
    }

    fn arm(&self) -> &str {
        &self.urls().resource_manager_endpoint
    }

    fn vault_url(&self) -> String {
        format!(
            "{}/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-contoso",
            self.arm()
        )
    }

    /// Builds the item URL with `;` unescaped, as the service's own URLs write it.
    fn item_url(&self, vm: &str) -> String {
        format!(
            "{}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;{vm}/protectedItems/VM;iaasvmcontainerv2;rg-app;{vm}",
            self.vault_url()
        )
    }

    async fn github_token_response(&self, audience: Option<&str>) -> Response {
        let mut url = self.urls().id_token_request_url.clone();
        if let Some(audience) = audience {
            url.push_str("&audience=");
            url.push_str(
                &percent_encoding::utf8_percent_encode(
                    audience,
                    percent_encoding::NON_ALPHANUMERIC,
                )
                .to_string(),
            );
        }
        self.client
            .get(url)
            .bearer_auth(&self.urls().id_token_request_token)
            .send()
            .await
            .expect("GitHub token request is answered")
    }

    async fn github_token(&self) -> String {
        let response = self.github_token_response(Some(EXCHANGE_AUDIENCE)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["value"].as_str().expect("token in 'value'").to_owned()
    }

    async fn token_request(&self, tenant: &str, fields: &[(&str, &str)]) -> Response {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.client
            .post(format!(
                "{}/{tenant}/oauth2/v2.0/token",
                self.urls().authority_host
            ))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("Entra token request is answered")
    }

    async fn exchange(&self, assertion: &str, scope: &str) -> Response {
        self.token_request(
            TENANT,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", assertion),
                ("scope", scope),
            ],
        )
        .await
    }

    async fn access_token(&self) -> String {
        let assertion = self.github_token().await;
        let response = self
            .exchange(&assertion, &format!("{}/.default", self.arm()))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    async fn get(&self, url: &str, token: &str) -> Response {
        self.client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .expect("ARM request is answered")
    }

    async fn get_json(&self, url: &str, token: &str) -> Value {
        let response = self.get(url, token).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {url}");
        response.json().await.unwrap()
    }

    async fn trigger_backup(&self, vm: &str, token: &str) -> Response {
        self.client
            .post(format!(
                "{}/backup?api-version=2026-07-01",
                self.item_url(vm)
            ))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(r#"{"properties":{"objectType":"IaasVMBackupRequest"}}"#)
            .send()
            .await
            .expect("backup trigger is answered")
    }

    /// Moves the simulated clock forward through the admin endpoint.
    async fn advance_clock(&self, seconds: u64) {
        let response = self
            .client
            .post(format!(
                "{}/clock/advance?seconds={seconds}",
                self.urls().admin_url
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    async fn admin(&self, endpoint: &str) -> Value {
        self.client
            .get(format!("{}/{endpoint}", self.urls().admin_url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// Loads an official example file from `tests/fixtures/azure-rest-api-specs`.
fn example(version_dir: &str, relative: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/azure-rest-api-specs")
        .join(version_dir)
        .join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Collects where `actual` lacks a key of `expected` or has another JSON type. Arrays compare their
/// first elements; a `null` in the example matches anything.
fn shape_mismatches(expected: &Value, actual: &Value, path: &str, mismatches: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Null, _) => {}
        (Value::Object(expected), Value::Object(actual)) => {
            for (key, expected_value) in expected {
                let child = format!("{path}.{key}");
                match actual.get(key) {
                    Some(actual_value) => {
                        shape_mismatches(expected_value, actual_value, &child, mismatches)
                    }
                    None => mismatches.push(format!("{child} is missing")),
                }
            }
        }
        (Value::Array(expected), Value::Array(actual)) => {
            match (expected.first(), actual.first()) {
                (Some(expected_first), Some(actual_first)) => shape_mismatches(
                    expected_first,
                    actual_first,
                    &format!("{path}[0]"),
                    mismatches,
                ),
                (Some(_), None) => mismatches.push(format!("{path} is empty")),
                _ => {}
            }
        }
        (Value::Bool(_), Value::Bool(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_)) => {}
        _ => mismatches.push(format!(
            "{path} is {actual}, expected the type of {expected}"
        )),
    }
}

fn assert_same_shape(example_name: &str, expected: &Value, actual: &Value) {
    let mut mismatches = Vec::new();
    shape_mismatches(expected, actual, "$", &mut mismatches);
    assert!(
        mismatches.is_empty(),
        "the simulator's reply differs from {example_name}:\n{}\nreply: {actual:#}",
        mismatches.join("\n")
    );
}

fn header<'a>(response: &'a Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("header {name} is missing"))
        .to_str()
        .unwrap()
}

/// Decodes a JWT payload without checking its signature.
fn claims(token: &str) -> Value {
    jsonwebtoken::dangerous::insecure_decode::<Value>(token)
        .unwrap()
        .claims
}

async fn entra_error(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// Checks the fields every Entra error body has, and that the description starts with the code.
fn assert_entra_error_body(body: &Value, code: u64) {
    let description = body["error_description"]
        .as_str()
        .expect("error_description");
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
    assert_eq!(body["error_codes"], serde_json::json!([code]));
    assert!(body["error"].is_string());

    let trace_id = body["trace_id"].as_str().expect("trace_id");
    let correlation_id = body["correlation_id"].as_str().expect("correlation_id");
    let timestamp = body["timestamp"].as_str().expect("timestamp");
    assert!(
        description.contains(&format!(" Trace ID: {trace_id} ")),
        "{description}"
    );
    assert!(
        description.contains(&format!(" Correlation ID: {correlation_id} ")),
        "{description}"
    );
    assert!(
        description.ends_with(&format!(" Timestamp: {timestamp}")),
        "{description}"
    );

    assert!(timestamp.ends_with('Z'), "{timestamp}");
    assert_eq!(timestamp.len(), "2025-05-01 10:00:00Z".len(), "{timestamp}");
    assert!(body["error_uri"]
        .as_str()
        .unwrap()
        .ends_with(&format!("error?code={code}")));
}

#[tokio::test]
async fn ready_file_matches_urls() {
    let harness = Harness::start(Scenario::demo()).await;
    let ready = std::fs::read_to_string(harness.state_dir.join(sim::READY_FILE_NAME)).unwrap();
    let ready: SimulatorUrls = serde_json::from_str(&ready).unwrap();
    assert_eq!(&ready, harness.urls());

    let ca = std::fs::read_to_string(&ready.ca_file).unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(ready.id_token_request_url.starts_with("https://127.0.0.1:"));
    assert!(ready
        .id_token_request_url
        .ends_with("/idtoken?api-version=2.0"));
    assert!(ready.authority_host.starts_with("https://127.0.0.1:"));
    assert!(ready
        .resource_manager_endpoint
        .starts_with("https://127.0.0.1:"));
    assert_eq!(
        ready.admin_url,
        format!("{}/_sim", ready.resource_manager_endpoint)
    );
    assert_eq!(ready.id_token_request_token, "gh-request-token-placeholder");
}

#[tokio::test]
async fn github_token_claims_and_signature() {
    let harness = Harness::start(Scenario::demo()).await;
    let token = harness.github_token().await;

    let jwks: Value = harness
        .client
        .get(
            harness
                .urls()
                .id_token_request_url
                .replace("/idtoken?api-version=2.0", "/.well-known/jwks"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = &jwks["keys"][0];
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());
    assert!(header.x5t.is_some());

    let decoding_key = jsonwebtoken::DecodingKey::from_rsa_components(
        key["n"].as_str().unwrap(),
        key["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[EXCHANGE_AUDIENCE]);
    validation.set_issuer(&["https://token.actions.githubusercontent.com"]);
    let verified = jsonwebtoken::decode::<Value>(&token, &decoding_key, &validation)
        .expect("signature verifies");
    let claims = verified.claims;

    assert_eq!(claims["sub"], "repo:contoso/backup-drills:environment:prod");
    assert_eq!(claims["repository"], "contoso/backup-drills");
    assert_eq!(claims["repository_owner"], "contoso");
    assert_eq!(claims["ref"], "refs/heads/main");
    assert_eq!(claims["environment"], "prod");
    assert_eq!(claims["runner_environment"], "github-hosted");
    assert!(claims["job_workflow_ref"]
        .as_str()
        .unwrap()
        .starts_with("contoso/backup-drills/.github/workflows/"));
    let issued_at = claims["iat"].as_i64().unwrap();
    assert_eq!(claims["exp"].as_i64().unwrap() - issued_at, 300);
    assert_eq!(issued_at - claims["nbf"].as_i64().unwrap(), 600);

    let second = self::claims(&harness.github_token().await);
    assert_ne!(second["jti"], claims["jti"]);

    let default_audience: Value = harness
        .github_token_response(None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        self::claims(default_audience["value"].as_str().unwrap())["aud"],
        "https://github.com/contoso"
    );

    let discovery: Value = harness
        .client
        .get(harness.urls().id_token_request_url.replace(
            "/idtoken?api-version=2.0",
            "/.well-known/openid-configuration",
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["issuer"],
        "https://token.actions.githubusercontent.com"
    );
    assert!(discovery["jwks_uri"]
        .as_str()
        .unwrap()
        .ends_with("/.well-known/jwks"));
}

#[tokio::test]
async fn github_rejects_wrong_request_token() {
    let harness = Harness::start(Scenario::demo()).await;
    let url = &harness.urls().id_token_request_url;

    let missing = harness.client.get(url).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    let wrong = harness
        .client
        .get(url)
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["message"], "Bad credentials");
}

#[tokio::test]
async fn entra_discovery_documents() {
    let harness = Harness::start(Scenario::demo()).await;
    let authority = &harness.urls().authority_host;

    let configuration: Value = harness
        .client
        .get(format!(
            "{authority}/{TENANT}/v2.0/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for key in [
        "issuer",
        "token_endpoint",
        "authorization_endpoint",
        "jwks_uri",
    ] {
        assert!(
            configuration[key].is_string(),
            "{key} missing: {configuration:#}"
        );
    }
    assert_eq!(
        configuration["token_endpoint"],
        format!("{authority}/{TENANT}/oauth2/v2.0/token")
    );

    let unknown = harness
        .client
        .get(format!("{authority}/00000000-0000-0000-0000-00000000dead/v2.0/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    let (status, body) = entra_error(unknown).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_entra_error_body(&body, 90002);
}

#[tokio::test]
async fn entra_issues_token_for_valid_assertion() {
    let harness = Harness::start(Scenario::demo()).await;
    let arm = harness.arm().to_owned();

    for scope in [
        format!("{arm}/.default"),
        format!("{arm}//.default"),
        "https://management.azure.com/.default".to_owned(),
        "https://management.core.windows.net//.default".to_owned(),
    ] {
        let assertion = harness.github_token().await;
        let response = harness.exchange(&assertion, &scope).await;
        assert_eq!(response.status(), StatusCode::OK, "scope {scope}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3599);
        assert!(body["ext_expires_in"].is_number());
        let access_token = body["access_token"].as_str().unwrap();

        let tokens = harness.admin("tokens").await;
        let issued: Vec<&str> = tokens["access_tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["token"].as_str().unwrap())
            .collect();
        assert!(issued.contains(&access_token));
    }
}

#[tokio::test]
async fn entra_subject_mismatch_700213() {
    let mut scenario = Scenario::demo();
    scenario.github.claims.environment = None;
    let harness = Harness::start(scenario).await;

    let assertion = harness.github_token().await;
    let response = harness
        .exchange(&assertion, &format!("{}/.default", harness.arm()))
        .await;
    let (status, body) = entra_error(response).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_client");
    assert_entra_error_body(&body, 700213);
    let description = body["error_description"].as_str().unwrap();
    assert!(description.starts_with(
        "AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:contoso/backup-drills:ref:refs/heads/main'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."
    ), "{description}");
}

#[tokio::test]
async fn entra_subject_case_mismatch_7002138() {
    let mut scenario = Scenario::demo();
    scenario.github.claims.sub = Some("repo:Contoso/Backup-Drills:environment:Prod".to_owned());
    let harness = Harness::start(scenario).await;

    let assertion = harness.github_token().await;
    let response = harness
        .exchange(&assertion, &format!("{}/.default", harness.arm()))
        .await;
    let (status, body) = entra_error(response).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_client");
    assert_entra_error_body(&body, 7002138);
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains("subject 'repo:Contoso/Backup-Drills:environment:Prod'"),
        "{description}"
    );
    assert!(description.contains("case-insensitive"), "{description}");
}

/// One token request that must fail at a given check.
struct EntraCase<'a> {
    name: &'a str,
    tenant: &'a str,
    fields: &'a [(&'a str, &'a str)],
    status: StatusCode,
    code: u64,
}

#[tokio::test]
async fn entra_error_codes_by_check() {
    let harness = Harness::start(Scenario::demo()).await;
    let arm_scope = format!("{}/.default", harness.arm());
    let arm_scope = arm_scope.as_str();
    let assertion = harness.github_token().await;
    let other_audience: Value = harness
        .github_token_response(Some("api://SomethingElse"))
        .await
        .json()
        .await
        .unwrap();
    let other_audience = other_audience["value"].as_str().unwrap();
    // Change one character in the middle of the signature, so it still decodes but fails.
    let mut tampered = assertion.clone().into_bytes();
    let index = tampered.len() - 20;
    tampered[index] = if tampered[index] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let tampered = tampered.as_str();
    let assertion = assertion.as_str();

    let cases = [
        EntraCase {
            name: "unknown tenant",
            tenant: "00000000-0000-0000-0000-00000000dead",
            fields: &[("grant_type", "client_credentials")],
            status: StatusCode::BAD_REQUEST,
            code: 90002,
        },
        EntraCase {
            name: "grant type",
            tenant: TENANT,
            fields: &[("grant_type", "password")],
            status: StatusCode::BAD_REQUEST,
            code: 70003,
        },
        EntraCase {
            name: "unknown client",
            tenant: TENANT,
            fields: &[
                ("grant_type", "client_credentials"),
                ("client_id", "00000000-0000-0000-0000-0000000000ff"),
            ],
            status: StatusCode::BAD_REQUEST,
            code: 700016,
        },
        EntraCase {
            name: "missing assertion",
            tenant: TENANT,
            fields: &[("grant_type", "client_credentials"), ("client_id", CLIENT)],
            status: StatusCode::UNAUTHORIZED,
            code: 7000218,
        },
        EntraCase {
            name: "malformed assertion",
            tenant: TENANT,
            fields: &[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", "not.a.jwt"),
                ("scope", arm_scope),
            ],
            status: StatusCode::BAD_REQUEST,
            code: 50027,
        },
        EntraCase {
            name: "bad signature",
            tenant: TENANT,
            fields: &[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", tampered),
                ("scope", arm_scope),
            ],
            status: StatusCode::UNAUTHORIZED,
            code: 700027,
        },
        EntraCase {
            name: "audience",
            tenant: TENANT,
            fields: &[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", other_audience),
                ("scope", arm_scope),
            ],
            status: StatusCode::BAD_REQUEST,
            code: 700212,
        },
        EntraCase {
            name: "scope",
            tenant: TENANT,
            fields: &[
                ("grant_type", "client_credentials"),
                ("client_id", CLIENT),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", assertion),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
            status: StatusCode::BAD_REQUEST,
            code: 70011,
        },
    ];
    for case in cases {
        let (status, body) =
            entra_error(harness.token_request(case.tenant, case.fields).await).await;
        assert_eq!(status, case.status, "{}: {body:#}", case.name);
        assert_entra_error_body(&body, case.code);
    }
}

#[tokio::test]
async fn entra_issuer_mismatch_700211() {
    let mut scenario = Scenario::demo();
    scenario.github.issuer = "https://token.actions.githubusercontent.com/contoso".to_owned();
    let harness = Harness::start(scenario).await;

    let assertion = harness.github_token().await;
    let (status, body) = entra_error(
        harness
            .exchange(&assertion, &format!("{}/.default", harness.arm()))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_entra_error_body(&body, 700211);
}

#[tokio::test]
async fn entra_rejects_expired_and_replayed_assertions() {
    let harness = Harness::start(Scenario::demo()).await;
    let scope = format!("{}/.default", harness.arm());

    let first = harness.github_token().await;
    assert_eq!(
        harness.exchange(&first, &scope).await.status(),
        StatusCode::OK
    );
    let (status, body) = entra_error(harness.exchange(&first, &scope).await).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "replayed assertion: {body:#}"
    );
    assert_entra_error_body(&body, 700024);

    let second = harness.github_token().await;
    // The demo's GitHub tokens expire 300 simulated seconds after they are issued.
    harness.advance_clock(301).await;
    let (status, body) = entra_error(harness.exchange(&second, &scope).await).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "expired assertion: {body:#}"
    );
    assert_entra_error_body(&body, 700024);
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains("Client assertion is not within its valid time range. Current time: "),
        "{description}"
    );

    let requests = harness.admin("requests").await;
    let token_requests: Vec<&Value> = requests
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["service"] == "entra")
        .collect();
    assert_eq!(token_requests.len(), 3);
    assert_eq!(token_requests[0]["assertion_id"], claims(&first)["jti"]);
    assert_eq!(token_requests[1]["error_code"], "700024");
}

#[tokio::test]
async fn arm_bearer_check() {
    let harness = Harness::start(Scenario::demo()).await;
    let vault = format!("{}?api-version=2026-07-01", harness.vault_url());

    let missing = harness.client.get(&vault).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    let challenge = header(&missing, "www-authenticate").to_owned();
    assert!(
        challenge.starts_with("Bearer authorization_uri=\""),
        "{challenge}"
    );
    assert!(challenge.contains(TENANT), "{challenge}");
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "AuthenticationFailed");

    let unknown = harness.get(&vault, "not-a-token").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert!(unknown.headers().contains_key("www-authenticate"));
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");

    let token = harness.access_token().await;
    assert_eq!(harness.get(&vault, &token).await.status(), StatusCode::OK);
    // The demo's access tokens expire 3599 simulated seconds after they are issued.
    harness.advance_clock(3600).await;
    let expired = harness.get(&vault, &token).await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert!(header(&expired, "www-authenticate").contains("error=\"invalid_token\""));
    let body: Value = expired.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ExpiredAuthenticationToken");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("The access token expiry UTC time '"),
        "{message}"
    );
    assert!(
        message.contains("' is earlier than current UTC time '"),
        "{message}"
    );
}

#[tokio::test]
async fn arm_requires_api_version_and_sets_headers() {
    let harness = Harness::start(Scenario::demo()).await;
    let token = harness.access_token().await;

    let missing = harness.get(&harness.vault_url(), &token).await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "MissingApiVersionParameter");

    let response = harness
        .client
        .get(format!("{}?api-version=2026-07-01", harness.vault_url()))
        .bearer_auth(&token)
        .header(
            "x-ms-client-request-id",
            "11111111-2222-3333-4444-555555555555",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("x-ms-request-id"));
    assert!(response
        .headers()
        .contains_key("x-ms-correlation-request-id"));
    assert_eq!(
        header(&response, "x-ms-client-request-id"),
        "11111111-2222-3333-4444-555555555555"
    );
    let reads: u32 = header(&response, "x-ms-ratelimit-remaining-subscription-reads")
        .parse()
        .unwrap();
    assert!(reads < 250);

    let trigger = harness.trigger_backup("vm-app01", &token).await;
    assert!(trigger
        .headers()
        .contains_key("x-ms-ratelimit-remaining-subscription-writes"));
}

/// Without TCP_NODELAY on the simulator's sockets, Nagle's algorithm held the end of a reply until
/// the client's delayed ACK, and each of the action's first requests on a connection took 40 ms
/// more than the work. Replies must leave at once, as Azure's do.
#[tokio::test]
async fn replies_leave_without_delayed_ack_stall() {
    // Linux delays an ACK by at least 40 ms, so 8 stalled requests take 320 ms or more; without
    // stalls they take a few milliseconds, which leaves room for a busy test machine.
    const REQUESTS: u32 = 8;
    const MAX_TOTAL: std::time::Duration = std::time::Duration::from_millis(200);

    let harness = Harness::start(Scenario::demo()).await;
    let token = harness.access_token().await;
    let url = format!("{}?api-version=2026-08-01", harness.vault_url());

    let started = std::time::Instant::now();
    for _ in 0..REQUESTS {
        // A new client each time: a new connection, as the action opens one per service.
        let client = reqwest::Client::builder()
            .no_proxy()
            .tls_certs_only(
                reqwest::Certificate::from_pem_bundle(
                    &std::fs::read(&harness.urls().ca_file).unwrap(),
                )
                .unwrap(),
            )
            .build()
            .unwrap();
        let response = client.get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.bytes().await.unwrap();
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < MAX_TOTAL,
        "{REQUESTS} requests took {elapsed:?}, more than {MAX_TOTAL:?}: replies wait for delayed ACKs"
    );
}

#[tokio::test]
async fn arm_vault_and_not_found_errors() {
    let harness = Harness::start(Scenario::demo()).await;
    let token = harness.access_token().await;
    let arm = harness.arm().to_owned();

    let vault = harness
        .get_json(
            &format!("{}?api-version=2026-07-01", harness.vault_url()),
            &token,
        )
        .await;
    assert_eq!(vault["name"], "rsv-contoso");
    assert_eq!(vault["type"], "Microsoft.RecoveryServices/vaults");
    assert_eq!(vault["location"], "westeurope");
    assert_eq!(vault["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        vault["id"],
        format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-contoso")
    );

    let mixed_case = format!(
        "{arm}/Subscriptions/{SUBSCRIPTION}/resourcegroups/RG-BACKUP/providers/microsoft.recoveryservices/Vaults/RSV-Contoso?api-version=1"
    );
    assert_eq!(
        harness.get(&mixed_case, &token).await.status(),
        StatusCode::OK
    );

    let cases = [
        (
            format!("{arm}/subscriptions/00000000-0000-0000-0000-0000000000ff/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-contoso?api-version=1"),
            "SubscriptionNotFound",
            None,
        ),
        (
            format!("{arm}/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-missing/providers/Microsoft.RecoveryServices/vaults/rsv-contoso?api-version=1"),
            "ResourceGroupNotFound",
            None,
        ),
        (
            format!("{arm}/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-missing?api-version=1"),
            "ResourceNotFound",
            Some("The Resource 'Microsoft.RecoveryServices/vaults/rsv-missing' under resource group 'rg-backup' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"),
        ),
        (
            format!("{}?api-version=1", harness.item_url("vm-missing")),
            "BMSUserErrorDataSourceObjectNotFound",
            None,
        ),
    ];
    for (url, code, message) in cases {
        let response = harness.get(&url, &token).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{url}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{url}");
        assert!(body["error"]["message"].is_string());
        if let Some(message) = message {
            assert_eq!(body["error"]["message"], message);
        }
    }
}

#[tokio::test]
async fn protected_items_match_examples() {
    let harness = Harness::start(Scenario::demo()).await;
    let token = harness.access_token().await;
    let list_example = example(RSV_2025, "AzureIaasVm/BackupProtectedItems_List.json");
    let get_example = example(RSV_2025, "AzureIaasVm/Compute_ProtectedItem_Get.json");

    let filter = list_example["parameters"]["$filter"].as_str().unwrap();
    let url = format!(
        "{}/backupProtectedItems?api-version=2026-07-01&$filter={}",
        harness.vault_url(),
        percent_encoding::utf8_percent_encode(filter, percent_encoding::NON_ALPHANUMERIC)
    );
    let list = harness.get_json(&url, &token).await;
    assert_same_shape(
        "BackupProtectedItems_List.json",
        &list_example["responses"]["200"]["body"],
        &list,
    );
    let items = list["value"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_same_shape(
        "Compute_ProtectedItem_Get.json",
        &get_example["responses"]["200"]["body"],
        &items[0],
    );
    assert_eq!(items[0]["name"], "VM;iaasvmcontainerv2;rg-app;vm-app01");
    assert_eq!(items[0]["properties"]["friendlyName"], "vm-app01");
    assert_eq!(
        items[0]["properties"]["containerName"],
        "iaasvmcontainerv2;rg-app;vm-app01"
    );
    assert!(items[0]["id"]
        .as_str()
        .unwrap()
        .ends_with("/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;vm-app01/protectedItems/VM;iaasvmcontainerv2;rg-app;vm-app01"));

    let other_type = format!(
        "{}/backupProtectedItems?api-version=1&$filter=backupManagementType%20eq%20'AzureStorage'%20and%20itemType%20eq%20'AzureFileShare'",
        harness.vault_url()
    );
    let empty = harness.get_json(&other_type, &token).await;
    assert_eq!(empty["value"], serde_json::json!([]));

    let invalid = format!(
        "{}/backupProtectedItems?api-version=1&$filter=itemType%20ne%20'VM'",
        harness.vault_url()
    );
    let response = harness.get(&invalid, &token).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn protected_item_paths_with_encoded_semicolons() {
    let harness = Harness::start(Scenario::demo()).await;
    let token = harness.access_token().await;
    let get_example = example(RSV_2025, "AzureIaasVm/Compute_ProtectedItem_Get.json");
    let vault = harness.vault_url();

    let raw = format!("{}?api-version=2026-07-01", harness.item_url("vm-app01"));
    let encoded = format!(
        "{vault}/backupFabrics/Azure/protectionContainers/IaasVMContainer%3Biaasvmcontainerv2%3Brg-app%3Bvm-app01/protectedItems/VM%3Biaasvmcontainerv2%3Brg-app%3Bvm-app01?api-version=2026-07-01"
    );
    let mixed = format!(
        "{vault}/BACKUPFABRICS/azure/protectionContainers/iaasvmcontainer%3biaasvmcontainerv2%3bRG-APP%3bVM-APP01/PROTECTEDITEMS/vm;iaasvmcontainerv2;rg-app;vm-app01?api-version=2026-07-01"
    );

    let expected = harness.get_json(&raw, &token).await;
    assert_same_shape(
        "Compute_ProtectedItem_Get.json",
        &get_example["responses"]["200"]["body"],
        &expected,
    );
    for url in [&encoded, &mixed] {
        let body = harness.get_json(url, &token).await;
        assert_eq!(body["id"], expected["id"], "{url}");
    }

    let requests = harness.admin("requests").await;
    let logged = requests.as_array().unwrap().iter().any(|entry| {
        entry["path"].as_str().is_some_and(|path| {
            path.contains(
                "/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;vm-app01/",
            )
        }) && entry["query"] == "api-version=2026-07-01"
    });
    assert!(logged, "the request log holds decoded paths: {requests:#}");
}

#[tokio::test]
async fn protected_items_paging_follows_next_link() {
    let mut scenario = Scenario::demo();
    scenario.arm.page_size = 1;
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;

    let first = harness
        .get_json(
            &format!(
                "{}/backupProtectedItems?api-version=2026-07-01&$filter=backupManagementType%20eq%20'AzureIaasVM'",
                harness.vault_url()
            ),
            &token,
        )
        .await;
    assert_eq!(first["value"].as_array().unwrap().len(), 1);
    let next_link = first["nextLink"]
        .as_str()
        .expect("a nextLink on the first page");
    assert!(
        next_link.starts_with(&format!("{}/", harness.arm())),
        "{next_link}"
    );
    assert!(next_link.contains("api-version=2026-07-01"), "{next_link}");
    assert!(next_link.contains("%24skipToken="), "{next_link}");
    assert!(next_link.contains("%24filter="), "{next_link}");

    let second = harness.get_json(next_link, &token).await;
    assert_eq!(second["value"].as_array().unwrap().len(), 1);
    assert!(second.get("nextLink").is_none());
    assert_ne!(first["value"][0]["name"], second["value"][0]["name"]);

    let bad_token = format!(
        "{}/backupProtectedItems?api-version=1&$skipToken=unknown",
        harness.vault_url()
    );
    assert_eq!(
        harness.get(&bad_token, &token).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn backup_trigger_matches_example() {
    let mut scenario = Scenario::demo();
    scenario.arm.operation_retry_after_seconds = 7;
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;

    let response = harness.trigger_backup("vm-app01", &token).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    for (version_dir, name) in [(RSV_2025, "2025-02-01"), (RSV_2026, "2026-07-01")] {
        let example = example(version_dir, "Common/TriggerBackup_Post.json");
        let headers = example["responses"]["202"]["headers"].as_object().unwrap();
        for header_name in headers.keys() {
            assert!(
                response.headers().contains_key(header_name.as_str()),
                "{header_name} from the {name} example is missing"
            );
        }
    }
    let item_url = harness.item_url("vm-app01");
    let location = header(&response, "location").to_owned();
    let async_operation = header(&response, "azure-asyncoperation").to_owned();
    assert!(
        location.starts_with(&format!("{item_url}/operationResults/")),
        "{location}"
    );
    assert!(location.ends_with("?api-version=2016-12-01"), "{location}");
    assert!(
        async_operation.starts_with(&format!("{item_url}/operationsStatus/")),
        "{async_operation}"
    );
    assert!(
        async_operation.ends_with("?api-version=2016-12-01"),
        "{async_operation}"
    );
    assert_eq!(header(&response, "retry-after"), "7");
    assert_eq!(response.bytes().await.unwrap().len(), 0);

    let wrong_type = harness
        .client
        .post(format!("{item_url}/backup?api-version=1"))
        .bearer_auth(&token)
        .body(r#"{"properties":{"objectType":"AzureFileShareBackupRequest"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::BAD_REQUEST);
    let past_expiry = harness
        .client
        .post(format!("{item_url}/backup?api-version=1"))
        .bearer_auth(&token)
        .body(r#"{"properties":{"objectType":"IaasVMBackupRequest","recoveryPointExpiryTimeInUTC":"2020-01-01T00:00:00Z"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(past_expiry.status(), StatusCode::BAD_REQUEST);
    let body: Value = past_expiry.json().await.unwrap();
    assert!(body["error"]["code"].is_string());
}

#[tokio::test]
async fn operation_then_job_match_examples() {
    let mut scenario = Scenario::demo();
    scenario.arm.operation_duration_seconds = 60;
    scenario.arm.vaults[0].protected_items[0]
        .job
        .duration_seconds = 600;
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;
    let status_example = example(RSV_2025, "AzureIaasVm/ProtectedItemOperationStatus.json");
    let job_examples = [
        (
            "GetJobDetails.json 2025-02-01",
            example(RSV_2025, "Common/GetJobDetails.json"),
        ),
        (
            "GetJobDetails.json 2026-07-01",
            example(RSV_2026, "Common/GetJobDetails.json"),
        ),
    ];

    let trigger = harness.trigger_backup("vm-app01", &token).await;
    let location = header(&trigger, "location").to_owned();
    let async_operation = header(&trigger, "azure-asyncoperation").to_owned();
    let operation_id = async_operation
        .rsplit_once("/operationsStatus/")
        .unwrap()
        .1
        .split('?')
        .next()
        .unwrap()
        .to_owned();

    let results_example = example(RSV_2025, "AzureIaasVm/ProtectedItemOperationResults.json");
    let running = harness.get(&location, &token).await;
    assert_eq!(running.status(), StatusCode::ACCEPTED);
    let example_headers = results_example["responses"]["202"]["headers"]
        .as_object()
        .unwrap();
    for name in example_headers.keys() {
        assert!(
            running.headers().contains_key(name.as_str()),
            "operationResults 202 lacks {name}"
        );
    }
    assert!(results_example["responses"].get("204").is_some());
    let in_progress = harness.get_json(&async_operation, &token).await;
    assert_eq!(in_progress["status"], "InProgress");
    assert_eq!(in_progress["id"], operation_id.as_str());
    assert!(in_progress["startTime"].is_string());

    harness.advance_clock(60).await;
    let succeeded = harness.get_json(&async_operation, &token).await;
    assert_eq!(succeeded["status"], "Succeeded");
    assert_same_shape(
        "ProtectedItemOperationStatus.json",
        &status_example["responses"]["200"]["body"],
        &succeeded,
    );
    let vault_level = harness
        .get_json(
            &format!(
                "{}/backupOperations/{operation_id}?api-version=2026-08-01",
                harness.vault_url()
            ),
            &token,
        )
        .await;
    assert_eq!(vault_level, succeeded);
    let finished = harness.get(&location, &token).await;
    assert_eq!(finished.status(), StatusCode::NO_CONTENT);
    assert_eq!(finished.bytes().await.unwrap().len(), 0);

    let job_id = succeeded["properties"]["jobId"]
        .as_str()
        .unwrap()
        .to_owned();
    let job_url = format!(
        "{}/backupJobs/{job_id}?api-version=2026-07-01",
        harness.vault_url()
    );
    let job = harness.get_json(&job_url, &token).await;
    assert_eq!(job["properties"]["status"], "InProgress");
    assert!(job["properties"].get("endTime").is_none());
    for (name, example) in &job_examples {
        assert_same_shape(name, &example["responses"]["200"]["body"], &job);
    }
    assert_eq!(job["name"], job_id.as_str());
    assert_eq!(job["properties"]["entityFriendlyName"], "vm-app01");

    harness.advance_clock(600).await;
    let completed = harness.get_json(&job_url, &token).await;
    assert_eq!(completed["properties"]["status"], "Completed");
    assert!(completed["properties"]["endTime"].is_string());
    assert!(completed["properties"]["duration"]
        .as_str()
        .unwrap()
        .starts_with("PT"));
    for (name, example) in &job_examples {
        assert_same_shape(name, &example["responses"]["200"]["body"], &completed);
    }
}

#[tokio::test]
async fn failed_job_has_error_details() {
    let mut scenario = Scenario::demo();
    let job = &mut scenario.arm.vaults[0].protected_items[0].job;
    job.outcome = JobOutcome::Failed;
    job.error_code = Some(400002);
    job.error_message =
        Some("Snapshot operation failed because the VM agent is not responding.".to_owned());
    job.recommendations = vec![
        "Ensure the VM agent is running.".to_owned(),
        "Retry the backup.".to_owned(),
    ];
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;

    let trigger = harness.trigger_backup("vm-app01", &token).await;
    let async_operation = header(&trigger, "azure-asyncoperation").to_owned();
    // The demo's operations take 2 simulated seconds and its jobs 4.
    harness.advance_clock(2).await;
    let operation = harness.get_json(&async_operation, &token).await;
    assert_eq!(operation["status"], "Succeeded");
    let job_url = format!(
        "{}/backupJobs/{}?api-version=1",
        harness.vault_url(),
        operation["properties"]["jobId"].as_str().unwrap()
    );
    harness.advance_clock(4).await;
    let failed = harness.get_json(&job_url, &token).await;
    assert_eq!(failed["properties"]["status"], "Failed");

    let detail = &failed["properties"]["errorDetails"][0];
    assert_eq!(detail["errorCode"], 400002);
    assert_eq!(
        detail["errorString"],
        "Snapshot operation failed because the VM agent is not responding."
    );
    assert!(detail["errorTitle"].is_string());
    assert_eq!(detail["recommendations"].as_array().unwrap().len(), 2);
    assert!(failed["properties"]["extendedInfo"]["tasksList"].is_array());
    assert!(failed["properties"]["endTime"].is_string());
}

#[tokio::test]
async fn jobs_list_filter_and_paging() {
    let mut scenario = Scenario::demo();
    scenario.arm.page_size = 1;
    for item in &mut scenario.arm.vaults[0].protected_items {
        item.job.outcome = JobOutcome::Never;
    }
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;
    let list_example = example(RSV_2025, "Common/ListJobs.json");
    let filter_example = example(RSV_2025, "Common/ListJobsWithAllSupportedFilters.json");
    let paged_example = example(
        RSV_2025,
        "Common/ListJobsWithStartTimeAndEndTimeFilters.json",
    );

    for vm in ["vm-app01", "vm-app02"] {
        assert_eq!(
            harness.trigger_backup(vm, &token).await.status(),
            StatusCode::ACCEPTED
        );
    }

    let filter = "operation eq 'Backup' and backupManagementType eq 'AzureIaasVM' and status eq 'InProgress'";
    let encode = |text: &str| {
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let first = harness
        .get_json(
            &format!(
                "{}/backupJobs?api-version=2026-07-01&$filter={}",
                harness.vault_url(),
                encode(filter)
            ),
            &token,
        )
        .await;
    assert_same_shape(
        "ListJobs.json",
        &list_example["responses"]["200"]["body"],
        &first,
    );
    assert_same_shape(
        "ListJobsWithStartTimeAndEndTimeFilters.json",
        &paged_example["responses"]["200"]["body"],
        &first,
    );
    assert_eq!(first["value"].as_array().unwrap().len(), 1);
    let next_link = first["nextLink"]
        .as_str()
        .expect("a nextLink on the first page");
    assert!(next_link.contains("%24skiptoken="), "{next_link}");
    let second = harness.get_json(next_link, &token).await;
    assert_eq!(second["value"].as_array().unwrap().len(), 1);
    assert!(second.get("nextLink").is_none());
    let names: Vec<&Value> = [&first, &second]
        .iter()
        .map(|page| &page["value"][0]["properties"]["entityFriendlyName"])
        .collect();
    assert_eq!(
        names,
        [
            &serde_json::json!("vm-app02"),
            &serde_json::json!("vm-app01")
        ],
        "newest job first"
    );

    let documented_filter = filter_example["parameters"]["$filter"].as_str().unwrap();
    let window = harness
        .get(
            &format!(
                "{}/backupJobs?api-version=1&$filter={}",
                harness.vault_url(),
                encode(documented_filter)
            ),
            &token,
        )
        .await;
    assert_eq!(
        window.status(),
        StatusCode::OK,
        "the documented filter parses"
    );

    let completed = harness
        .get_json(
            &format!(
                "{}/backupJobs?api-version=1&$filter={}",
                harness.vault_url(),
                encode("status eq 'Completed'")
            ),
            &token,
        )
        .await;
    assert_eq!(completed["value"], serde_json::json!([]));
    let unsupported = harness
        .get(
            &format!(
                "{}/backupJobs?api-version=1&$filter={}",
                harness.vault_url(),
                encode("vaultName eq 'x'")
            ),
            &token,
        )
        .await;
    assert_eq!(unsupported.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn metadata_endpoints_and_subscriptions() {
    let harness = Harness::start(Scenario::demo()).await;

    let metadata: Value = harness
        .client
        .get(format!(
            "{}/metadata/endpoints?api-version=2022-09-01",
            harness.arm()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(metadata["name"].is_string());
    assert_eq!(metadata["resourceManager"], format!("{}/", harness.arm()));
    assert_eq!(
        metadata["authentication"]["loginEndpoint"],
        format!("{}/", harness.urls().authority_host)
    );
    assert!(metadata["authentication"]["audiences"]
        .as_array()
        .is_some_and(|list| !list.is_empty()));
    assert!(metadata["suffixes"].is_object());

    let token = harness.access_token().await;
    let subscriptions = harness
        .get_json(
            &format!("{}/subscriptions?api-version=2022-12-01", harness.arm()),
            &token,
        )
        .await;
    let subscription = &subscriptions["value"][0];
    assert_eq!(subscription["subscriptionId"], SUBSCRIPTION);
    assert_eq!(subscription["tenantId"], TENANT);
    assert!(subscription["displayName"].is_string());
    assert_eq!(subscription["state"], "Enabled");
}

#[tokio::test]
async fn admin_endpoints_report_state() {
    let harness = Harness::start(Scenario::demo()).await;
    let token = harness.access_token().await;
    assert_eq!(
        harness.trigger_backup("vm-app02", &token).await.status(),
        StatusCode::ACCEPTED
    );

    let requests = harness.admin("requests").await;
    let services: Vec<&str> = requests
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["service"].as_str().unwrap())
        .collect();
    assert_eq!(services, ["github", "entra", "arm"]);
    let trigger = &requests[2];
    assert_eq!(trigger["method"], "POST");
    assert_eq!(trigger["status"], 202);
    assert!(trigger["time"].is_string());
    assert_eq!(trigger["bearer_token"], token.as_str());

    let tokens = harness.admin("tokens").await;
    assert_eq!(tokens["github_tokens"].as_array().unwrap().len(), 1);
    assert_eq!(tokens["access_tokens"][0]["token"], token.as_str());

    let clock = harness.admin("clock").await;
    assert_eq!(clock["speed"], 1.0);
    let before = clock["now"].as_str().unwrap().to_owned();
    harness.advance_clock(86_400).await;
    let after = harness.admin("clock").await;
    assert!(after["now"].as_str().unwrap() > before.as_str());
    let invalid = harness
        .client
        .post(format!(
            "{}/clock/advance?seconds=soon",
            harness.urls().admin_url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);

    let jobs = harness.admin("jobs").await;
    assert_eq!(jobs[0]["vm_name"], "vm-app02");
    assert_eq!(
        jobs[0]["status"], "Completed",
        "a day later the 4-second job is done"
    );
}

// Restore drills: recovery points, restores, and the resource groups, storage accounts, VMs,
// disks, tags and permissions around them.

const DRILL_GROUP: &str = "rg-drill";
const STAGING_ACCOUNT: &str = "stdrillstaging";
/// Simulated seconds until a demo restore operation has its job ID and its job has ended: the
/// operation takes 2 and the job 4.
const DEMO_RESTORE_SECONDS: u64 = 4;

impl Harness {
    fn group_url(&self, group: &str) -> String {
        format!(
            "{}/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}",
            self.arm()
        )
    }

    fn disk_url(&self, group: &str, name: &str) -> String {
        format!(
            "{}/providers/Microsoft.Compute/disks/{name}?api-version=2024-03-02",
            self.group_url(group)
        )
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.client.request(method, url).bearer_auth(token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        request.send().await.expect("ARM request is answered")
    }

    /// Returns the names of a VM's recovery points from every page, newest first.
    async fn recovery_point_names(&self, vm: &str, token: &str) -> Vec<String> {
        let mut names = Vec::new();
        let mut url = format!(
            "{}/recoveryPoints?api-version=2026-07-01",
            self.item_url(vm)
        );
        loop {
            let page = self.get_json(&url, token).await;
            for point in page["value"].as_array().unwrap() {
                names.push(point["name"].as_str().unwrap().to_owned());
            }
            match page["nextLink"].as_str() {
                Some(next_link) => url = next_link.to_owned(),
                None => return names,
            }
        }
    }

    async fn trigger_restore(&self, vm: &str, point: &str, body: &Value, token: &str) -> Response {
        self.send(
            reqwest::Method::POST,
            &format!(
                "{}/recoveryPoints/{point}/restore?api-version=2026-07-01",
                self.item_url(vm)
            ),
            token,
            Some(body),
        )
        .await
    }

    /// Restores a VM's newest point into `rg-drill`, waits until the operation has a job ID, and
    /// returns the job's URL.
    async fn start_restore(&self, vm: &str, token: &str) -> String {
        let point = self.recovery_point_names(vm, token).await.remove(0);
        let response = self
            .trigger_restore(vm, &point, &restore_body(vm, &point), token)
            .await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let async_operation = header(&response, "azure-asyncoperation").to_owned();
        self.advance_clock(2).await;
        let operation = self.get_json(&async_operation, token).await;
        assert_eq!(operation["status"], "Succeeded");
        format!(
            "{}/backupJobs/{}?api-version=2026-07-01",
            self.vault_url(),
            operation["properties"]["jobId"].as_str().unwrap()
        )
    }

    async fn drill_disks(&self, token: &str) -> Vec<Value> {
        let list = self
            .get_json(
                &format!(
                    "{}/providers/Microsoft.Compute/disks?api-version=2024-03-02",
                    self.group_url(DRILL_GROUP)
                ),
                token,
            )
            .await;
        list["value"].as_array().unwrap().clone()
    }
}

fn vm_id(vm: &str) -> String {
    format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/{vm}"
    )
}

/// Builds a restore request from the service's 2026-07-01 example body, with the simulator's IDs
/// and `targetResourceGroupId` added. The example's managed identity and disk access settings stay.
fn restore_body(vm: &str, point: &str) -> Value {
    let example = example(
        RSV_2026,
        "AzureIaasVm/TriggerRestore_RestoreDisks_IaasVMRestoreRequest.json",
    );
    let mut body = example["parameters"]["parameters"].clone();
    let properties = &mut body["properties"];
    properties["recoveryPointId"] = serde_json::json!(point);
    properties["sourceResourceId"] = serde_json::json!(vm_id(vm));
    properties["storageAccountId"] = serde_json::json!(format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-backup/providers/Microsoft.Storage/storageAccounts/{STAGING_ACCOUNT}"
    ));
    properties["region"] = serde_json::json!("westeurope");
    properties["targetResourceGroupId"] = serde_json::json!(format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/{DRILL_GROUP}"
    ));
    properties["createNewCloudService"] = serde_json::json!(false);
    body
}

fn parse_time(text: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|error| panic!("'{text}' is not RFC 3339: {error}"))
}

async fn error_code(response: Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.code in {body}"))
        .to_owned();
    (status, code)
}

#[tokio::test]
async fn recovery_points_match_examples() {
    let harness = Harness::start(Scenario::demo()).await;
    let token = harness.access_token().await;
    let list_example = example(RSV_2025, "AzureIaasVm/RecoveryPoints_List.json");
    let get_example = example(RSV_2025, "AzureIaasVm/RecoveryPoints_Get.json");

    // The list example's first point names the archive tier "Archive", its other points and the
    // get example "ArchivedRP"; the simulator writes "ArchivedRP". The get example's point is in a
    // zone, the simulated VMs are not.
    let mut expected_list = list_example["responses"]["200"]["body"].clone();
    expected_list["value"][0]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("recoveryPointMoveReadinessInfo");
    let mut expected_point = get_example["responses"]["200"]["body"].clone();
    expected_point["properties"]
        .as_object_mut()
        .unwrap()
        .remove("zones");

    let url = format!(
        "{}/recoveryPoints?api-version=2026-07-01",
        harness.item_url("vm-app01")
    );
    let list = harness.get_json(&url, &token).await;
    assert_same_shape("RecoveryPoints_List.json", &expected_list, &list);
    assert!(list.get("nextLink").is_some_and(Value::is_null), "{list:#}");
    let points = list["value"].as_array().unwrap();
    assert_eq!(points.len(), 3);

    let clock = harness.admin("clock").await;
    let now = parse_time(clock["now"].as_str().unwrap());
    let mut fraction_lengths = std::collections::BTreeSet::new();
    let mut times = Vec::new();
    for point in points {
        assert_same_shape("RecoveryPoints_Get.json", &expected_point, point);
        let name = point["name"].as_str().unwrap();
        assert!(name.chars().all(|c| c.is_ascii_digit()), "{name}");
        assert!(point["id"].as_str().unwrap().ends_with(&format!(
            "/protectedItems/VM;iaasvmcontainerv2;rg-app;vm-app01/recoveryPoints/{name}"
        )));
        let properties = &point["properties"];
        assert_eq!(properties["objectType"], "IaasVMRecoveryPoint");
        assert_eq!(properties["virtualMachineSize"], "Standard_D2s_v3");
        let text = properties["recoveryPointTime"].as_str().unwrap();
        assert!(text.ends_with('Z'), "{text}");
        fraction_lengths.insert(text.split_once('.').map_or(0, |(_, rest)| rest.len() - 1));
        times.push(parse_time(text));
    }
    assert!(
        fraction_lengths.len() > 1,
        "fractional digits vary: {fraction_lengths:?}"
    );
    let ages: Vec<i64> = times
        .iter()
        .map(|time| (now - *time).whole_hours())
        .collect();
    assert_eq!(ages, [2, 26, 50], "newest first, at the default ages");

    let name = points[1]["name"].as_str().unwrap();
    let point = harness
        .get_json(
            &format!(
                "{}/recoveryPoints/{name}?api-version=2025-02-01",
                harness.item_url("vm-app01")
            ),
            &token,
        )
        .await;
    assert_same_shape("RecoveryPoints_Get.json", &expected_point, &point);
    assert_eq!(&point, &points[1]);

    let missing = harness
        .get(
            &format!(
                "{}/recoveryPoints/123?api-version=1",
                harness.item_url("vm-app01")
            ),
            &token,
        )
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let item = harness
        .get_json(
            &format!("{}?api-version=2026-07-01", harness.item_url("vm-app01")),
            &token,
        )
        .await;
    assert_eq!(item["properties"]["sourceResourceId"], vm_id("vm-app01"));
    assert_eq!(item["properties"]["virtualMachineId"], vm_id("vm-app01"));
    let last_point = parse_time(item["properties"]["lastRecoveryPoint"].as_str().unwrap());
    assert_eq!(
        last_point, times[0],
        "lastRecoveryPoint is the newest point"
    );
    let listed = harness
        .get_json(
            &format!("{}/backupProtectedItems?api-version=1", harness.vault_url()),
            &token,
        )
        .await;
    assert_eq!(
        listed["value"][0]["properties"]["sourceResourceId"],
        vm_id("vm-app01")
    );
}

#[tokio::test]
async fn recovery_points_filter_and_paging() {
    let mut scenario = Scenario::demo();
    scenario.arm.page_size = 2;
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;
    let base = format!(
        "{}/recoveryPoints?api-version=2026-07-01",
        harness.item_url("vm-app01")
    );

    let first = harness.get_json(&base, &token).await;
    assert_eq!(first["value"].as_array().unwrap().len(), 2);
    let next_link = first["nextLink"].as_str().expect("a nextLink on page one");
    assert!(next_link.starts_with(harness.arm()), "{next_link}");
    let second = harness.get_json(next_link, &token).await;
    assert_eq!(second["value"].as_array().unwrap().len(), 1);
    assert!(second["nextLink"].is_null());

    let clock = harness.admin("clock").await;
    let now = parse_time(clock["now"].as_str().unwrap());
    let window_start = now - time::Duration::hours(30);
    let filter = format!(
        "startDate eq '{}' and endDate eq '{}'",
        window_start
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap(),
        now.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    );
    let filtered = harness
        .get_json(
            &format!(
                "{base}&$filter={}",
                percent_encoding::utf8_percent_encode(&filter, percent_encoding::NON_ALPHANUMERIC)
            ),
            &token,
        )
        .await;
    assert_eq!(
        filtered["value"].as_array().unwrap().len(),
        2,
        "points of 2 h and 26 h are in the window"
    );

    // A completed backup adds a point.
    assert_eq!(
        harness.trigger_backup("vm-app01", &token).await.status(),
        StatusCode::ACCEPTED
    );
    harness.advance_clock(4).await;
    let names = harness.recovery_point_names("vm-app01", &token).await;
    assert_eq!(names.len(), 4);
    let newest = harness
        .get_json(
            &format!(
                "{}/recoveryPoints/{}?api-version=1",
                harness.item_url("vm-app01"),
                names[0]
            ),
            &token,
        )
        .await;
    let newest_time = parse_time(newest["properties"]["recoveryPointTime"].as_str().unwrap());
    assert!(newest_time > now, "the backup's point is the newest");
}

#[tokio::test]
async fn restore_trigger_matches_example() {
    let mut scenario = Scenario::demo();
    scenario.arm.operation_retry_after_seconds = 7;
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;
    let point = harness
        .recovery_point_names("vm-app01", &token)
        .await
        .remove(0);

    let response = harness
        .trigger_restore(
            "vm-app01",
            &point,
            &restore_body("vm-app01", &point),
            &token,
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    for version_dir in [RSV_2025, RSV_2026] {
        let example = example(
            version_dir,
            "AzureIaasVm/TriggerRestore_RestoreDisks_IaasVMRestoreRequest.json",
        );
        let headers = example["responses"]["202"]["headers"].as_object().unwrap();
        for name in headers.keys() {
            assert!(
                response.headers().contains_key(name.as_str()),
                "{name} from the {version_dir} example is missing"
            );
        }
    }
    let item_url = harness.item_url("vm-app01");
    let location = header(&response, "location").to_owned();
    let async_operation = header(&response, "azure-asyncoperation").to_owned();
    assert!(
        location.starts_with(&format!("{item_url}/operationResults/")),
        "{location}"
    );
    assert!(
        async_operation.starts_with(&format!("{item_url}/operationsStatus/")),
        "{async_operation}"
    );
    assert_eq!(header(&response, "retry-after"), "7");
    assert_eq!(response.bytes().await.unwrap().len(), 0);

    let running = harness.get_json(&async_operation, &token).await;
    assert_eq!(running["status"], "InProgress");
    harness.advance_clock(2).await;
    let succeeded = harness.get_json(&async_operation, &token).await;
    assert_eq!(succeeded["status"], "Succeeded");
    assert_eq!(
        harness.get(&location, &token).await.status(),
        StatusCode::NO_CONTENT
    );
    let job_id = succeeded["properties"]["jobId"]
        .as_str()
        .unwrap()
        .to_owned();
    let job_url = format!(
        "{}/backupJobs/{job_id}?api-version=2026-07-01",
        harness.vault_url()
    );

    let job = harness.get_json(&job_url, &token).await;
    for (name, version_dir) in [
        ("GetJobDetails.json 2025-02-01", RSV_2025),
        ("GetJobDetails.json 2026-07-01", RSV_2026),
    ] {
        let example = example(version_dir, "Common/GetJobDetails.json");
        assert_same_shape(name, &example["responses"]["200"]["body"], &job);
    }
    let properties = &job["properties"];
    assert_eq!(properties["operation"], "Restore");
    assert_eq!(properties["jobType"], "AzureIaaSVMJob");
    assert_eq!(properties["status"], "InProgress");
    assert_eq!(properties["entityFriendlyName"], "vm-app01");
    let tasks = properties["extendedInfo"]["tasksList"].as_array().unwrap();
    assert_eq!(tasks[0]["taskId"], "Transfer data from vault");
    let bag = &properties["extendedInfo"]["propertyBag"];
    assert_eq!(bag["Target resource group"], DRILL_GROUP);
    assert_eq!(bag["Target Storage Account Name"], STAGING_ACCOUNT);
    assert!(bag["Recovery point time"].is_string());

    harness.advance_clock(DEMO_RESTORE_SECONDS).await;
    let completed = harness.get_json(&job_url, &token).await;
    assert_eq!(completed["properties"]["status"], "Completed");
    assert!(completed["properties"]["endTime"].is_string());
    assert_eq!(
        completed["properties"]["extendedInfo"]["tasksList"][0]["status"],
        "Completed"
    );
    assert!(
        completed["properties"]["extendedInfo"]["propertyBag"]["Template Blob Uri"].is_string()
    );

    let restore_jobs = harness
        .get_json(
            &format!(
                "{}/backupJobs?api-version=1&$filter={}",
                harness.vault_url(),
                percent_encoding::utf8_percent_encode(
                    "operation eq 'Restore'",
                    percent_encoding::NON_ALPHANUMERIC
                )
            ),
            &token,
        )
        .await;
    assert_eq!(restore_jobs["value"].as_array().unwrap().len(), 1);

    let admin_jobs = harness.admin("jobs").await;
    assert_eq!(admin_jobs[0]["operation"], "Restore");
    assert_eq!(admin_jobs[0]["recovery_point"], point.as_str());
    assert_eq!(admin_jobs[0]["target_resource_group"], DRILL_GROUP);
}

#[tokio::test]
async fn restore_rejects_invalid_requests() {
    let harness = Harness::start(Scenario::demo()).await;
    let token = harness.access_token().await;
    let points = harness.recovery_point_names("vm-app01", &token).await;
    let point = points[0].as_str();
    let set = |field: &str, value: Value| {
        let mut body = restore_body("vm-app01", point);
        body["properties"][field] = value;
        body
    };
    let remove = |field: &str| {
        let mut body = restore_body("vm-app01", point);
        body["properties"].as_object_mut().unwrap().remove(field);
        body
    };
    let group_id = |group: &str| format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}");
    let account_id = |group: &str, name: &str| {
        format!(
            "{}/providers/Microsoft.Storage/storageAccounts/{name}",
            group_id(group)
        )
    };

    for (case, body) in [
        (
            "object type",
            set(
                "objectType",
                serde_json::json!("AzureFileShareRestoreRequest"),
            ),
        ),
        (
            "alternate location",
            set("recoveryType", serde_json::json!("AlternateLocation")),
        ),
        (
            "unknown recovery type",
            set("recoveryType", serde_json::json!("Offline")),
        ),
        (
            "other point",
            set("recoveryPointId", serde_json::json!(points[1])),
        ),
        (
            "other VM",
            set("sourceResourceId", serde_json::json!(vm_id("vm-app02"))),
        ),
        (
            "other region",
            set("region", serde_json::json!("northeurope")),
        ),
        (
            "missing account",
            set(
                "storageAccountId",
                serde_json::json!(account_id("rg-backup", "stmissing")),
            ),
        ),
        (
            "account in other group",
            set(
                "storageAccountId",
                serde_json::json!(account_id("rg-app", STAGING_ACCOUNT)),
            ),
        ),
        (
            "missing group",
            set(
                "targetResourceGroupId",
                serde_json::json!(group_id("rg-missing")),
            ),
        ),
        ("no target group", remove("targetResourceGroupId")),
        ("no storage account", remove("storageAccountId")),
        ("no properties", serde_json::json!({})),
    ] {
        let response = harness
            .trigger_restore("vm-app01", point, &body, &token)
            .await;
        let (status, code) = error_code(response).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case}");
        assert_eq!(code, "BMSUserErrorInvalidInput", "{case}");
    }

    let unknown_point = harness
        .trigger_restore("vm-app01", "999", &restore_body("vm-app01", "999"), &token)
        .await;
    assert_eq!(unknown_point.status(), StatusCode::NOT_FOUND);
    let not_json = harness
        .client
        .post(format!(
            "{}/recoveryPoints/{point}/restore?api-version=1",
            harness.item_url("vm-app01")
        ))
        .bearer_auth(&token)
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    assert!(
        harness.admin("jobs").await.as_array().unwrap().is_empty(),
        "rejected requests start no job"
    );
}

#[tokio::test]
async fn restore_job_creates_disks() {
    let mut scenario = Scenario::demo();
    scenario.arm.vaults[0].protected_items[1].restore.outcome = JobOutcome::Failed;
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;

    let vm = harness
        .get_json(
            &format!(
                "{}/providers/Microsoft.Compute/virtualMachines/vm-app01?api-version=2024-07-01",
                harness.group_url("rg-app")
            ),
            &token,
        )
        .await;
    assert_eq!(vm["id"], vm_id("vm-app01"));
    assert_eq!(
        vm["properties"]["hardwareProfile"]["vmSize"],
        "Standard_D2s_v3"
    );
    let storage = &vm["properties"]["storageProfile"];
    let mut source_ids = vec![storage["osDisk"]["managedDisk"]["id"]
        .as_str()
        .unwrap()
        .to_owned()];
    for data_disk in storage["dataDisks"].as_array().unwrap() {
        assert_eq!(data_disk["lun"], 0);
        source_ids.push(data_disk["managedDisk"]["id"].as_str().unwrap().to_owned());
    }
    let mut source_disks = Vec::new();
    for id in &source_ids {
        let disk = harness
            .get_json(
                &format!("{}{id}?api-version=2024-03-02", harness.arm()),
                &token,
            )
            .await;
        assert_eq!(disk["properties"]["diskState"], "Attached");
        source_disks.push((
            disk["properties"]["diskSizeGB"].as_u64().unwrap(),
            disk["sku"]["name"].as_str().unwrap().to_owned(),
        ));
    }
    assert_eq!(
        source_disks,
        [
            (128, "Premium_LRS".to_owned()),
            (256, "StandardSSD_LRS".to_owned())
        ]
    );

    let job_url = harness.start_restore("vm-app01", &token).await;
    assert!(
        harness.drill_disks(&token).await.is_empty(),
        "no disks while the job runs"
    );
    harness.advance_clock(DEMO_RESTORE_SECONDS).await;
    let job = harness.get_json(&job_url, &token).await;
    assert_eq!(job["properties"]["status"], "Completed");
    let job_id = job["name"].as_str().unwrap();

    let disks = harness.drill_disks(&token).await;
    assert_eq!(disks.len(), 2);
    let mut restored = Vec::new();
    for disk in &disks {
        let name = disk["name"].as_str().unwrap();
        assert!(name.starts_with("vm-app01-"), "{name}");
        assert_eq!(disk["type"], "Microsoft.Compute/disks");
        assert_eq!(disk["location"], "westeurope");
        assert_eq!(disk["tags"], serde_json::json!({}));
        let properties = &disk["properties"];
        assert_eq!(properties["provisioningState"], "Succeeded");
        assert_eq!(properties["diskState"], "Unattached");
        assert_eq!(properties["creationData"]["createOption"], "Restore");
        assert!(disk.get("managedBy").is_none());
        restored.push((
            properties["diskSizeGB"].as_u64().unwrap(),
            disk["sku"]["name"].as_str().unwrap().to_owned(),
        ));
        let fetched = harness
            .get_json(&harness.disk_url(DRILL_GROUP, name), &token)
            .await;
        assert_eq!(&fetched, disk);
    }
    assert_eq!(
        restored, source_disks,
        "the restored disks match the source"
    );
    assert!(disks[0]["name"].as_str().unwrap().contains("-osdisk-"));
    assert!(disks[1]["name"].as_str().unwrap().contains("-datadisk-0-"));

    let resources = harness.admin("resources").await;
    let drill_disks: Vec<&Value> = resources
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| {
            entry["type"] == "Microsoft.Compute/disks" && entry["resource_group"] == DRILL_GROUP
        })
        .collect();
    assert_eq!(drill_disks.len(), 2);
    assert_eq!(drill_disks[0]["restore_job_id"], job_id);
    assert_eq!(drill_disks[0]["disk_state"], "Unattached");
    assert_eq!(drill_disks[0]["deleting"], false);

    // A failed restore job creates nothing.
    let failed_url = harness.start_restore("vm-app02", &token).await;
    harness.advance_clock(DEMO_RESTORE_SECONDS).await;
    let failed = harness.get_json(&failed_url, &token).await;
    assert_eq!(failed["properties"]["status"], "Failed");
    assert!(failed["properties"]["errorDetails"][0]["errorString"].is_string());
    assert_eq!(harness.drill_disks(&token).await.len(), 2);
}

#[tokio::test]
async fn concurrent_restore_conflicts() {
    let harness = Harness::start(Scenario::demo()).await;
    let token = harness.access_token().await;
    let point = harness
        .recovery_point_names("vm-app01", &token)
        .await
        .remove(0);
    let body = restore_body("vm-app01", &point);

    let first = harness
        .trigger_restore("vm-app01", &point, &body, &token)
        .await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let second = harness
        .trigger_restore("vm-app01", &point, &body, &token)
        .await;
    assert_eq!(
        error_code(second).await,
        (StatusCode::CONFLICT, "BMSUserErrorObjectLocked".to_owned())
    );
    let other_vm_point = harness
        .recovery_point_names("vm-app02", &token)
        .await
        .remove(0);
    let other_vm = harness
        .trigger_restore(
            "vm-app02",
            &other_vm_point,
            &restore_body("vm-app02", &other_vm_point),
            &token,
        )
        .await;
    assert_eq!(
        other_vm.status(),
        StatusCode::ACCEPTED,
        "another VM may restore meanwhile"
    );

    harness.advance_clock(DEMO_RESTORE_SECONDS).await;
    let after = harness
        .trigger_restore("vm-app01", &point, &body, &token)
        .await;
    assert_eq!(after.status(), StatusCode::ACCEPTED);
}

#[tokio::test]
async fn disk_delete_operation() {
    let mut scenario = Scenario::demo();
    scenario.arm.failing_deletes = vec!["vm-app01-datadisk-0-*".to_owned()];
    scenario.arm.delete_duration_seconds = 5;
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;
    harness.start_restore("vm-app01", &token).await;
    harness.advance_clock(DEMO_RESTORE_SECONDS).await;
    let disks = harness.drill_disks(&token).await;
    let os_disk = disks[0]["name"].as_str().unwrap().to_owned();
    let data_disk = disks[1]["name"].as_str().unwrap().to_owned();

    let delete = harness
        .send(
            reqwest::Method::DELETE,
            &harness.disk_url(DRILL_GROUP, &os_disk),
            &token,
            None,
        )
        .await;
    assert_eq!(delete.status(), StatusCode::ACCEPTED);
    let operation_prefix = format!(
        "{}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/locations/westeurope/operations/",
        harness.arm()
    );
    let async_operation = header(&delete, "azure-asyncoperation").to_owned();
    let location = header(&delete, "location").to_owned();
    assert!(
        async_operation.starts_with(&operation_prefix),
        "{async_operation}"
    );
    assert!(
        async_operation.ends_with("api-version=2024-03-02"),
        "{async_operation}"
    );
    assert!(location.starts_with(&operation_prefix), "{location}");
    assert!(location.contains("monitor=true"), "{location}");
    assert_eq!(header(&delete, "retry-after"), "1");

    let running = harness.get_json(&async_operation, &token).await;
    assert_eq!(running["status"], "InProgress");
    assert!(running["startTime"].as_str().unwrap().ends_with("+00:00"));
    assert!(running["name"].is_string());
    assert_eq!(
        harness.get(&location, &token).await.status(),
        StatusCode::ACCEPTED
    );
    let resources = harness.admin("resources").await;
    let deleting = resources
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["name"] == os_disk.as_str())
        .unwrap();
    assert_eq!(deleting["deleting"], true);

    harness.advance_clock(5).await;
    let succeeded = harness.get_json(&async_operation, &token).await;
    assert_eq!(succeeded["status"], "Succeeded");
    assert!(succeeded["endTime"].is_string());
    assert!(succeeded.get("error").is_none());
    assert_eq!(
        harness.get(&location, &token).await.status(),
        StatusCode::NO_CONTENT
    );
    let deleted_disk = harness
        .get(&harness.disk_url(DRILL_GROUP, &os_disk), &token)
        .await;
    assert_eq!(
        error_code(deleted_disk).await,
        (StatusCode::NOT_FOUND, "ResourceNotFound".to_owned())
    );
    let again = harness
        .send(
            reqwest::Method::DELETE,
            &harness.disk_url(DRILL_GROUP, &os_disk),
            &token,
            None,
        )
        .await;
    assert_eq!(again.status(), StatusCode::NO_CONTENT);

    let failing = harness
        .send(
            reqwest::Method::DELETE,
            &harness.disk_url(DRILL_GROUP, &data_disk),
            &token,
            None,
        )
        .await;
    assert_eq!(failing.status(), StatusCode::ACCEPTED);
    let failing_status = header(&failing, "azure-asyncoperation").to_owned();
    let failing_location = header(&failing, "location").to_owned();
    harness.advance_clock(5).await;
    let failed = harness.get_json(&failing_status, &token).await;
    assert_eq!(failed["status"], "Failed");
    assert_eq!(failed["error"]["code"], "OperationNotAllowed");
    assert!(failed["error"]["message"].is_string());
    assert_eq!(
        error_code(harness.get(&failing_location, &token).await).await,
        (StatusCode::CONFLICT, "OperationNotAllowed".to_owned())
    );
    let failed_disk = harness
        .get_json(&harness.disk_url(DRILL_GROUP, &data_disk), &token)
        .await;
    assert_eq!(failed_disk["name"], data_disk.as_str());
    assert_eq!(harness.drill_disks(&token).await.len(), 1);

    let attached = harness
        .send(
            reqwest::Method::DELETE,
            &harness.disk_url("rg-app", "vm-app01_OsDisk_1"),
            &token,
            None,
        )
        .await;
    assert_eq!(
        error_code(attached).await,
        (StatusCode::CONFLICT, "OperationNotAllowed".to_owned())
    );
}

#[tokio::test]
async fn disk_tags_merge() {
    let harness = Harness::start(Scenario::demo()).await;
    let token = harness.access_token().await;
    harness.start_restore("vm-app01", &token).await;
    harness.advance_clock(DEMO_RESTORE_SECONDS).await;
    let disk = harness.drill_disks(&token).await.remove(0);
    let disk_id = disk["id"].as_str().unwrap().to_owned();
    let tags_url = format!(
        "{}{disk_id}/providers/Microsoft.Resources/tags/default?api-version=2021-04-01",
        harness.arm()
    );

    let merge =
        |tags: Value| serde_json::json!({"operation": "Merge", "properties": {"tags": tags}});
    let first = harness
        .send(
            reqwest::Method::PATCH,
            &tags_url,
            &token,
            Some(&merge(
                serde_json::json!({"drill-run": "42", "owner": "ci"}),
            )),
        )
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    let second: Value = harness
        .send(
            reqwest::Method::PATCH,
            &tags_url,
            &token,
            Some(&merge(serde_json::json!({"owner": "backup-drills"}))),
        )
        .await
        .json()
        .await
        .unwrap();
    let expected_tags = serde_json::json!({"drill-run": "42", "owner": "backup-drills"});
    assert_eq!(
        second,
        serde_json::json!({
            "id": format!("{disk_id}/providers/Microsoft.Resources/tags/default"),
            "name": "default",
            "type": "Microsoft.Resources/tags",
            "properties": {"tags": expected_tags},
        })
    );

    let fetched = harness
        .get_json(
            &format!("{}{disk_id}?api-version=2024-03-02", harness.arm()),
            &token,
        )
        .await;
    assert_eq!(fetched["tags"], expected_tags);
    let resources = harness.admin("resources").await;
    let entry = resources
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["id"] == disk_id.as_str())
        .unwrap();
    assert_eq!(entry["tags"], expected_tags);

    let invalid = harness
        .send(
            reqwest::Method::PATCH,
            &tags_url,
            &token,
            Some(&serde_json::json!({"operation": "Append", "properties": {"tags": {}}})),
        )
        .await;
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
    let missing_disk = harness
        .send(
            reqwest::Method::PATCH,
            &format!(
                "{}/providers/Microsoft.Compute/disks/missing/providers/Microsoft.Resources/tags/default?api-version=2021-04-01",
                harness.group_url(DRILL_GROUP)
            ),
            &token,
            Some(&merge(serde_json::json!({"a": "b"}))),
        )
        .await;
    assert_eq!(missing_disk.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn resource_groups_and_storage_accounts() {
    let harness = Harness::start(Scenario::demo()).await;
    let token = harness.access_token().await;

    for spelling in ["resourceGroups", "resourcegroups"] {
        let group = harness
            .get_json(
                &format!(
                    "{}/subscriptions/{SUBSCRIPTION}/{spelling}/{DRILL_GROUP}?api-version=2021-04-01",
                    harness.arm()
                ),
                &token,
            )
            .await;
        assert_eq!(
            group,
            serde_json::json!({
                "id": format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{DRILL_GROUP}"),
                "name": DRILL_GROUP,
                "type": "Microsoft.Resources/resourceGroups",
                "location": "westeurope",
                "properties": {"provisioningState": "Succeeded"},
            })
        );
    }
    let missing_group = harness
        .get(
            &format!("{}?api-version=2021-04-01", harness.group_url("rg-missing")),
            &token,
        )
        .await;
    assert_eq!(missing_group.status(), StatusCode::NOT_FOUND);
    let body: Value = missing_group.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ResourceGroupNotFound");
    assert_eq!(
        body["error"]["message"],
        "Resource group 'rg-missing' could not be found."
    );

    let account = harness
        .get_json(
            &format!(
                "{}/providers/Microsoft.Storage/storageAccounts/{STAGING_ACCOUNT}?api-version=2023-05-01",
                harness.group_url("rg-backup")
            ),
            &token,
        )
        .await;
    assert_eq!(account["name"], STAGING_ACCOUNT);
    assert_eq!(account["type"], "Microsoft.Storage/storageAccounts");
    assert_eq!(account["location"], "westeurope");
    assert_eq!(account["kind"], "StorageV2");
    assert!(account["sku"]["name"].is_string());
    assert_eq!(account["properties"]["provisioningState"], "Succeeded");
    assert!(account["id"].as_str().unwrap().ends_with(
        "/resourceGroups/rg-backup/providers/Microsoft.Storage/storageAccounts/stdrillstaging"
    ));

    let missing_account = harness
        .get(
            &format!(
                "{}/providers/Microsoft.Storage/storageAccounts/stmissing?api-version=2023-05-01",
                harness.group_url("rg-backup")
            ),
            &token,
        )
        .await;
    assert_eq!(
        error_code(missing_account).await,
        (StatusCode::NOT_FOUND, "ResourceNotFound".to_owned())
    );
    let missing_vm = harness
        .get(
            &format!(
                "{}/providers/Microsoft.Compute/virtualMachines/vm-missing?api-version=2024-07-01",
                harness.group_url("rg-app")
            ),
            &token,
        )
        .await;
    assert_eq!(
        error_code(missing_vm).await,
        (StatusCode::NOT_FOUND, "ResourceNotFound".to_owned())
    );
}

#[tokio::test]
async fn permissions_for_any_scope() {
    let harness = Harness::start(Scenario::demo()).await;
    let token = harness.access_token().await;
    let permissions_url = |scope: String| {
        format!("{scope}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01")
    };
    let account = format!(
        "{}/providers/Microsoft.Storage/storageAccounts/{STAGING_ACCOUNT}",
        harness.group_url("rg-backup")
    );
    for scope in [harness.vault_url(), harness.group_url(DRILL_GROUP), account] {
        let body = harness.get_json(&permissions_url(scope), &token).await;
        assert_eq!(
            body,
            serde_json::json!({"value": [{"actions": ["*"], "notActions": [], "dataActions": [], "notDataActions": []}]})
        );
    }
    let missing = harness
        .get(&permissions_url(harness.group_url("rg-missing")), &token)
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let mut scenario = Scenario::demo();
    scenario.arm.permissions.actions =
        vec!["Microsoft.RecoveryServices/Vaults/backupJobs/read".to_owned()];
    scenario.arm.permissions.not_actions = vec!["Microsoft.Compute/disks/delete".to_owned()];
    let restricted = Harness::start(scenario).await;
    let token = restricted.access_token().await;
    let body = restricted
        .get_json(&permissions_url(restricted.group_url(DRILL_GROUP)), &token)
        .await;
    assert_eq!(
        body["value"][0]["actions"],
        serde_json::json!(["Microsoft.RecoveryServices/Vaults/backupJobs/read"])
    );
    assert_eq!(
        body["value"][0]["notActions"],
        serde_json::json!(["Microsoft.Compute/disks/delete"])
    );
}

// Scripted faults, throttling, items busy with a backup, and job cancellation.

/// Simulated seconds of the demo scenario's backup operation (`arm.operation_duration_seconds`).
const DEMO_OPERATION_SECONDS: u64 = 2;

/// Parses a fault list written as in a scenario file.
fn fault_list(list: Value) -> Vec<sim::FaultScenario> {
    serde_json::from_value(list).expect("the fault list parses")
}

impl Harness {
    fn job_url(&self, job_id: &str) -> String {
        format!(
            "{}/backupJobs/{job_id}?api-version=2026-07-01",
            self.vault_url()
        )
    }

    /// Builds a client that trusts the simulator's CA and gives up on a request after `timeout`.
    fn client_with_timeout(&self, timeout: std::time::Duration) -> reqwest::Client {
        let ca = std::fs::read(&self.urls().ca_file).unwrap();
        reqwest::Client::builder()
            .no_proxy()
            .tls_certs_only(reqwest::Certificate::from_pem_bundle(&ca).unwrap())
            .timeout(timeout)
            .build()
            .unwrap()
    }

    /// Sends a backup trigger and returns the transport result, for faults that drop the reply.
    async fn try_trigger_backup(&self, vm: &str, token: &str) -> reqwest::Result<Response> {
        self.client
            .post(format!(
                "{}/backup?api-version=2026-07-01",
                self.item_url(vm)
            ))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(r#"{"properties":{"objectType":"IaasVMBackupRequest"}}"#)
            .send()
            .await
    }

    /// Triggers a backup, moves the clock past its operation and returns the status URL and the
    /// final operation status.
    async fn finish_backup_operation(&self, vm: &str, token: &str) -> (String, Value) {
        let trigger = self.trigger_backup(vm, token).await;
        assert_eq!(trigger.status(), StatusCode::ACCEPTED, "backup of {vm}");
        let status_url = header(&trigger, "azure-asyncoperation").to_owned();
        self.advance_clock(DEMO_OPERATION_SECONDS).await;
        let status = self.get_json(&status_url, token).await;
        (status_url, status)
    }

    /// Starts a backup job and returns its ID.
    async fn start_backup_job(&self, vm: &str, token: &str) -> String {
        let (_, status) = self.finish_backup_operation(vm, token).await;
        assert_eq!(status["status"], "Succeeded", "{status}");
        status["properties"]["jobId"].as_str().unwrap().to_owned()
    }

    async fn post_empty(&self, url: &str, token: &str) -> Response {
        self.client
            .post(url)
            .bearer_auth(token)
            .send()
            .await
            .expect("ARM request is answered")
    }

    /// Returns the request-log entries that a fault hit.
    async fn faulted_requests(&self) -> Vec<Value> {
        self.admin("requests")
            .await
            .as_array()
            .unwrap()
            .iter()
            .filter(|entry| entry.get("fault").is_some())
            .cloned()
            .collect()
    }

    async fn job_count(&self) -> usize {
        self.admin("jobs").await.as_array().unwrap().len()
    }
}

#[tokio::test]
async fn fault_status_replies_and_counts() {
    let mut scenario = Scenario::demo();
    scenario.faults = fault_list(serde_json::json!([
        {"service": "arm", "method": "GET", "path_contains": "/backupJobs/", "skip": 1, "times": 2,
         "action": {"status": 503, "retry_after": "2", "retry_after_ms": 2000}},
        {"service": "arm", "path_contains": "/backupProtectedItems",
         "action": {"status": 429, "retry_after": "Wed, 21 Oct 2015 07:28:00 GMT",
                    "body": "{\"error\":{\"code\":\"ResourceRequestsThrottled\",\"message\":\"Please try again later.\"}}"}},
        {"service": "github", "action": {"status": 503, "body": "upstream unavailable"}},
        {"service": "entra", "method": "POST", "action": {"status": 503}}
    ]));
    let harness = Harness::start(scenario).await;

    let github = harness.github_token_response(Some(EXCHANGE_AUDIENCE)).await;
    assert_eq!(github.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(header(&github, "content-type").starts_with("text/plain"));
    assert_eq!(github.text().await.unwrap(), "upstream unavailable");

    let assertion = harness.github_token().await;
    let (status, body) = entra_error(
        harness
            .exchange(&assertion, &format!("{}/.default", harness.arm()))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_entra_error_body(&body, 90006);
    assert_eq!(body["error"], "temporarily_unavailable");

    let token = harness.access_token().await;
    let job_id = harness.start_backup_job("vm-app01", &token).await;
    let job_url = harness.job_url(&job_id);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = harness.get(&job_url, &token).await;
        statuses.push(response.status().as_u16());
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(header(&response, "retry-after"), "2");
            assert_eq!(header(&response, "retry-after-ms"), "2000");
            assert_eq!(header(&response, "x-ms-retry-after-ms"), "2000");
            assert!(response.headers().contains_key("x-ms-request-id"));
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "ServiceUnavailable");
            assert!(body["error"]["message"].is_string());
        }
    }
    assert_eq!(statuses, [200, 503, 503, 200], "skip 1, then 2 faults");

    let items = harness
        .get(
            &format!(
                "{}/backupProtectedItems?api-version=2026-07-01",
                harness.vault_url()
            ),
            &token,
        )
        .await;
    assert_eq!(items.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        header(&items, "retry-after"),
        "Wed, 21 Oct 2015 07:28:00 GMT"
    );
    let body: Value = items.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ResourceRequestsThrottled");

    let report = harness.admin("faults").await;
    let counts: Vec<(u64, u64)> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|fault| {
            (
                fault["matched"].as_u64().unwrap(),
                fault["fired"].as_u64().unwrap(),
            )
        })
        .collect();
    // GitHub saw the faulted request and two token requests, and Entra the faulted one and one more.
    assert_eq!(counts, [(4, 2), (1, 1), (3, 1), (2, 1)]);
    assert_eq!(report[0]["kind"], "status");
    assert_eq!(report[0]["action"]["status"], 503);
    assert_eq!(report[0]["path_contains"], "/backupJobs/");

    let faulted = harness.faulted_requests().await;
    let logged: Vec<(&str, u64)> = faulted
        .iter()
        .map(|entry| {
            (
                entry["service"].as_str().unwrap(),
                entry["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        logged,
        [
            ("github", 503),
            ("entra", 503),
            ("arm", 503),
            ("arm", 503),
            ("arm", 429)
        ]
    );
    assert!(faulted.iter().all(|entry| entry["fault"] == "status"));
    assert_eq!(faulted[4]["error_code"], "ResourceRequestsThrottled");
}

#[tokio::test]
async fn fault_reset_before_body_processes_nothing() {
    let mut scenario = Scenario::demo();
    scenario.faults = fault_list(serde_json::json!([
        {"service": "arm", "method": "POST", "path_contains": "/backup", "action": {"reset": "before_body"}}
    ]));
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;

    let lost = harness.try_trigger_backup("vm-app01", &token).await;
    assert!(lost.is_err(), "the connection closes without a reply");
    assert_eq!(
        harness.job_count().await,
        0,
        "the trigger was not processed"
    );
    let faulted = harness.faulted_requests().await;
    assert_eq!(faulted.len(), 1);
    assert_eq!(faulted[0]["fault"], "reset_before_body");
    assert_eq!(faulted[0]["status"], 0);
    assert_eq!(faulted[0]["method"], "POST");

    let retried = harness.trigger_backup("vm-app01", &token).await;
    assert_eq!(retried.status(), StatusCode::ACCEPTED);
    assert_eq!(harness.job_count().await, 1);
}

/// The lost reply of a backup trigger: the backup started, and a client that repeats the trigger
/// must not start a second one. The simulator fails the repeat with the item's busy reply.
#[tokio::test]
async fn fault_reset_after_body_keeps_the_backup() {
    let mut scenario = Scenario::demo();
    scenario.faults = fault_list(serde_json::json!([
        {"service": "arm", "method": "POST", "path_contains": "/backup", "action": {"reset": "after_body"}}
    ]));
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;

    let lost = harness.try_trigger_backup("vm-app01", &token).await;
    assert!(lost.is_err(), "the reply is lost");
    let jobs = harness.admin("jobs").await;
    assert_eq!(jobs.as_array().unwrap().len(), 1, "the backup started");
    assert_eq!(jobs[0]["status"], "InProgress");
    let faulted = harness.faulted_requests().await;
    assert_eq!(faulted[0]["fault"], "reset_after_body");
    assert_eq!(faulted[0]["status"], 202);

    let (_, repeated) = harness.finish_backup_operation("vm-app01", &token).await;
    assert_eq!(repeated["status"], "Failed");
    assert_eq!(
        repeated["error"]["code"],
        "UserErrorBackupOperationInProgress"
    );
    assert_eq!(harness.job_count().await, 1, "no second backup");
}

#[tokio::test]
async fn fault_hang_outlasts_client_timeout() {
    const CLIENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);
    // Far below the 30 s hang: the client's timeout ends the wait, not the simulator.
    const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

    let mut scenario = Scenario::demo();
    scenario.faults = fault_list(serde_json::json!([
        {"service": "github", "action": {"hang_seconds": 30}}
    ]));
    let harness = Harness::start(scenario).await;
    let client = harness.client_with_timeout(CLIENT_TIMEOUT);

    let started = std::time::Instant::now();
    let hung = client
        .get(&harness.urls().id_token_request_url)
        .bearer_auth(&harness.urls().id_token_request_token)
        .send()
        .await;
    let waited = started.elapsed();
    let error = hung.expect_err("no reply within the client timeout");
    assert!(error.is_timeout(), "{error}");
    assert!(waited >= CLIENT_TIMEOUT, "{waited:?}");
    assert!(waited < MAX_WAIT, "{waited:?}");

    // The hang fired once; the next request gets a token.
    harness.github_token().await;
    let faulted = harness.faulted_requests().await;
    assert_eq!(faulted.len(), 1);
    assert_eq!(faulted[0]["fault"], "hang");
    assert_eq!(faulted[0]["status"], 0);
}

#[tokio::test]
async fn fault_truncated_body_fails_the_read() {
    let mut scenario = Scenario::demo();
    scenario.faults = fault_list(serde_json::json!([
        {"service": "arm", "path_contains": "/backupJobs/", "action": {"truncate_body": true}}
    ]));
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;
    let job_id = harness.start_backup_job("vm-app01", &token).await;

    let cut = harness.get(&harness.job_url(&job_id), &token).await;
    assert_eq!(cut.status(), StatusCode::OK);
    let announced = cut
        .content_length()
        .expect("Content-Length of the whole body");
    assert!(announced > 0);
    assert!(
        cut.bytes().await.is_err(),
        "the body ends before its Content-Length"
    );

    let whole = harness.get(&harness.job_url(&job_id), &token).await;
    let body: Value = whole.json().await.unwrap();
    assert_eq!(body["name"], job_id.as_str());
    assert_eq!(
        harness.faulted_requests().await[0]["fault"],
        "truncate_body"
    );
}

#[tokio::test]
async fn fault_malformed_json_body() {
    let mut scenario = Scenario::demo();
    scenario.faults = fault_list(serde_json::json!([
        {"service": "arm", "path_contains": "/backupJobs/", "action": {"malformed_json": true}}
    ]));
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;
    let job_id = harness.start_backup_job("vm-app01", &token).await;

    let broken = harness.get(&harness.job_url(&job_id), &token).await;
    assert_eq!(broken.status(), StatusCode::OK);
    assert!(header(&broken, "content-type").starts_with("application/json"));
    let bytes = broken.bytes().await.expect("the body arrives whole");
    assert!(!bytes.is_empty());
    assert!(serde_json::from_slice::<Value>(&bytes).is_err());

    let body = harness.get_json(&harness.job_url(&job_id), &token).await;
    assert_eq!(body["name"], job_id.as_str());
}

#[tokio::test]
async fn fault_expire_token_needs_new_sign_in() {
    let mut scenario = Scenario::demo();
    scenario.faults = fault_list(serde_json::json!([
        {"service": "arm", "path_contains": "/backupJobs/", "action": {"expire_token": true}}
    ]));
    let harness = Harness::start(scenario).await;
    let first_token = harness.access_token().await;
    let job_id = harness.start_backup_job("vm-app01", &first_token).await;

    let rejected = harness.get(&harness.job_url(&job_id), &first_token).await;
    assert_eq!(rejected.status(), StatusCode::UNAUTHORIZED);
    let challenge = header(&rejected, "www-authenticate").to_owned();
    assert!(
        challenge.starts_with("Bearer authorization_uri=\""),
        "{challenge}"
    );
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert_eq!(header(&rejected, "x-ms-failure-cause"), "gateway");
    assert!(rejected.headers().contains_key("x-ms-request-id"));
    let body: Value = rejected.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ExpiredAuthenticationToken");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("is earlier than current UTC time"));

    // The token stays expired for every request, as a real expired token does.
    let again = harness
        .get(
            &format!("{}?api-version=2026-07-01", harness.vault_url()),
            &first_token,
        )
        .await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);

    let second_token = harness.access_token().await;
    let job = harness
        .get_json(&harness.job_url(&job_id), &second_token)
        .await;
    assert_eq!(job["name"], job_id.as_str());
    assert_eq!(harness.faulted_requests().await[0]["fault"], "expire_token");
}

/// Short token lifetimes on a fast clock: GitHub tokens live 60 simulated seconds (1 real second)
/// and ARM tokens 120 (2 real seconds), so a job of 600 simulated seconds outlives both.
#[tokio::test]
async fn tokens_expire_on_simulated_clock() {
    // More than the ARM token's 2 real seconds, with room for a slow machine.
    const PAST_BOTH_LIFETIMES: std::time::Duration = std::time::Duration::from_millis(2500);

    let mut scenario = Scenario::demo();
    scenario.clock_speed = 60.0;
    scenario.github.token_lifetime_seconds = 60;
    scenario.entra.access_token_lifetime_seconds = 120;
    scenario.arm.vaults[0].protected_items[0]
        .job
        .duration_seconds = 600;
    let harness = Harness::start(scenario).await;

    let assertion = harness.github_token().await;
    let assertion_claims = claims(&assertion);
    assert_eq!(
        assertion_claims["exp"].as_i64().unwrap() - assertion_claims["iat"].as_i64().unwrap(),
        60
    );
    let exchanged = harness
        .exchange(
            &harness.github_token().await,
            &format!("{}/.default", harness.arm()),
        )
        .await;
    let body: Value = exchanged.json().await.unwrap();
    assert_eq!(body["expires_in"], 120);
    let arm_token = body["access_token"].as_str().unwrap().to_owned();
    let trigger = harness.trigger_backup("vm-app01", &arm_token).await;
    assert_eq!(trigger.status(), StatusCode::ACCEPTED);
    let status_url = header(&trigger, "azure-asyncoperation").to_owned();

    tokio::time::sleep(PAST_BOTH_LIFETIMES).await;

    let (status, body) = entra_error(
        harness
            .exchange(&assertion, &format!("{}/.default", harness.arm()))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_entra_error_body(&body, 700024);

    let expired = harness.get(&status_url, &arm_token).await;
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    let body: Value = expired.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ExpiredAuthenticationToken");

    // A new sign-in (new GitHub token, new exchange) reads the running job.
    let renewed = harness.access_token().await;
    let operation = harness.get_json(&status_url, &renewed).await;
    let job_id = operation["properties"]["jobId"]
        .as_str()
        .unwrap()
        .to_owned();
    let job = harness.get_json(&harness.job_url(&job_id), &renewed).await;
    assert_eq!(job["properties"]["status"], "InProgress");

    harness.advance_clock(600).await;
    let latest = harness.access_token().await;
    let job = harness.get_json(&harness.job_url(&job_id), &latest).await;
    assert_eq!(job["properties"]["status"], "Completed");
}

#[tokio::test]
async fn throttle_rejects_until_refilled() {
    let mut scenario = Scenario::demo();
    scenario.arm.throttle = Some(sim::ThrottleScenario {
        reads: sim::BucketScenario {
            bucket: 3,
            refill_per_second: 0.1,
        },
        writes: sim::BucketScenario {
            bucket: 1,
            refill_per_second: 0.1,
        },
        ..sim::ThrottleScenario::default()
    });
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;
    let vault = format!("{}?api-version=2026-07-01", harness.vault_url());
    let reads_left = |response: &Response| {
        header(response, "x-ms-ratelimit-remaining-subscription-reads").to_owned()
    };

    let mut remaining = Vec::new();
    for _ in 0..3 {
        let response = harness.get(&vault, &token).await;
        assert_eq!(response.status(), StatusCode::OK);
        remaining.push(reads_left(&response));
    }
    assert_eq!(remaining, ["2", "1", "0"]);

    let throttled = harness.get(&vault, &token).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    // A tenth of a token per second: ten seconds until the next whole one.
    assert_eq!(header(&throttled, "retry-after"), "10");
    assert_eq!(reads_left(&throttled), "0");
    assert!(throttled.headers().contains_key("x-ms-request-id"));
    let body: Value = throttled.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ResourceRequestsThrottled");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Please try again after '10' seconds"));

    // Tenant-level requests have their own budget and header.
    let subscriptions = harness
        .get(
            &format!("{}/subscriptions?api-version=2022-12-01", harness.arm()),
            &token,
        )
        .await;
    assert_eq!(subscriptions.status(), StatusCode::OK);
    assert_eq!(
        header(&subscriptions, "x-ms-ratelimit-remaining-tenant-reads"),
        "2"
    );

    // Writes draw from their own bucket, and a throttled write is not processed.
    let first = harness.trigger_backup("vm-app01", &token).await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    assert_eq!(
        header(&first, "x-ms-ratelimit-remaining-subscription-writes"),
        "0"
    );
    let second = harness.trigger_backup("vm-app02", &token).await;
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(harness.job_count().await, 1);

    harness.advance_clock(10).await;
    let refilled = harness.get(&vault, &token).await;
    assert_eq!(refilled.status(), StatusCode::OK);
    assert_eq!(reads_left(&refilled), "0");
}

#[tokio::test]
async fn busy_job_fails_the_trigger_operation() {
    let mut scenario = Scenario::demo();
    scenario.arm.vaults[0].protected_items[0].busy_job = Some(sim::BusyJobScenario {
        operation: sim::BusyOperation::Backup,
        duration_seconds: 30,
    });
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;

    let filter = percent_encoding::utf8_percent_encode(
        "status eq 'InProgress' and operation eq 'Backup'",
        percent_encoding::NON_ALPHANUMERIC,
    )
    .to_string();
    let running = harness
        .get_json(
            &format!(
                "{}/backupJobs?api-version=2026-07-01&$filter={filter}",
                harness.vault_url()
            ),
            &token,
        )
        .await;
    let running = running["value"].as_array().unwrap();
    assert_eq!(running.len(), 1);
    assert_eq!(running[0]["properties"]["entityFriendlyName"], "vm-app01");
    assert_eq!(running[0]["properties"]["operation"], "Backup");
    assert_eq!(running[0]["properties"]["status"], "InProgress");

    let trigger = harness.trigger_backup("vm-app01", &token).await;
    assert_eq!(trigger.status(), StatusCode::ACCEPTED);
    let location = header(&trigger, "location").to_owned();
    let status_url = header(&trigger, "azure-asyncoperation").to_owned();
    harness.advance_clock(DEMO_OPERATION_SECONDS).await;
    let failed = harness.get_json(&status_url, &token).await;
    assert_eq!(failed["status"], "Failed");
    assert_eq!(
        failed["error"]["code"],
        "UserErrorBackupOperationInProgress"
    );
    assert_eq!(
        failed["error"]["message"],
        "Unable to initiate backup as another backup operation is currently in progress."
    );
    assert!(failed["endTime"].is_string());
    assert!(failed.get("properties").is_none(), "no job was created");
    let result = harness.get(&location, &token).await;
    assert_eq!(result.status(), StatusCode::CONFLICT);
    let body: Value = result.json().await.unwrap();
    assert_eq!(body["error"]["code"], "UserErrorBackupOperationInProgress");
    assert_eq!(harness.job_count().await, 1);

    // Once the scheduled job has ended, a trigger starts a backup.
    harness.advance_clock(30).await;
    harness.start_backup_job("vm-app01", &token).await;
    assert_eq!(harness.job_count().await, 2);
}

#[tokio::test]
async fn busy_item_conflict_reply() {
    let mut scenario = Scenario::demo();
    for item in &mut scenario.arm.vaults[0].protected_items {
        item.busy_reply = sim::BusyReply::Conflict;
    }
    scenario.arm.vaults[0].protected_items[0].busy_job = Some(sim::BusyJobScenario::default());
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;

    let conflict = harness.trigger_backup("vm-app01", &token).await;
    assert_eq!(conflict.status(), StatusCode::CONFLICT);
    assert!(conflict.headers().get("azure-asyncoperation").is_none());
    let body: Value = conflict.json().await.unwrap();
    assert_eq!(body["error"]["code"], "UserErrorBackupOperationInProgress");
    assert_eq!(
        body["error"]["message"],
        "Unable to initiate backup as another backup operation is currently in progress."
    );

    // A backup the client started makes its item busy too.
    harness.start_backup_job("vm-app02", &token).await;
    let repeated = harness.trigger_backup("vm-app02", &token).await;
    assert_eq!(repeated.status(), StatusCode::CONFLICT);
    assert_eq!(harness.job_count().await, 2);
}

#[tokio::test]
async fn second_trigger_while_own_job_runs_fails() {
    let harness = Harness::start(Scenario::demo()).await;
    let token = harness.access_token().await;
    harness.start_backup_job("vm-app01", &token).await;

    let (_, repeated) = harness.finish_backup_operation("vm-app01", &token).await;
    assert_eq!(repeated["status"], "Failed");
    assert_eq!(
        repeated["error"]["code"],
        "UserErrorBackupOperationInProgress"
    );
    assert_eq!(harness.job_count().await, 1);
}

#[tokio::test]
async fn job_cancel_matches_examples() {
    let cancel_example = example(RSV_2025, "Common/TriggerCancelJob.json");
    let result_example = example(RSV_2025, "Common/CancelJobOperationResult.json");
    let mut scenario = Scenario::demo();
    scenario.arm.vaults[0].protected_items[0].job.outcome = JobOutcome::Never;
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;
    let job_id = harness.start_backup_job("vm-app01", &token).await;

    let cancel = harness
        .post_empty(
            &format!(
                "{}/backupJobs/{job_id}/cancel?api-version=2026-07-01",
                harness.vault_url()
            ),
            &token,
        )
        .await;
    assert_eq!(cancel.status(), StatusCode::ACCEPTED);
    for name in cancel_example["responses"]["202"]["headers"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert!(
            cancel.headers().contains_key(name.as_str()),
            "cancel 202 lacks {name}"
        );
    }
    assert!(cancel.headers().get("azure-asyncoperation").is_none());
    let location = header(&cancel, "location").to_owned();
    assert!(
        location.contains(&format!("/backupJobs/{job_id}/operationResults/")),
        "{location}"
    );
    assert!(location.ends_with("?api-version=2017-07-01"), "{location}");
    assert_eq!(header(&cancel, "retry-after"), "1");
    assert!(cancel.bytes().await.unwrap().is_empty());

    let cancelling = harness.get_json(&harness.job_url(&job_id), &token).await;
    assert_eq!(cancelling["properties"]["status"], "Cancelling");
    assert!(cancelling["properties"].get("endTime").is_none());
    let pending = harness.get(&location, &token).await;
    assert_eq!(pending.status(), StatusCode::ACCEPTED);
    for name in result_example["responses"]["202"]["headers"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert!(
            pending.headers().contains_key(name.as_str()),
            "operationResults 202 lacks {name}"
        );
    }

    harness.advance_clock(1).await;
    let cancelled = harness.get_json(&harness.job_url(&job_id), &token).await;
    assert_eq!(cancelled["properties"]["status"], "Cancelled");
    assert!(cancelled["properties"]["endTime"].is_string());
    assert!(result_example["responses"].get("204").is_some());
    let done = harness.get(&location, &token).await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    let jobs = harness.admin("jobs").await;
    assert_eq!(jobs[0]["status"], "Cancelled");

    let unknown = harness
        .post_empty(
            &format!(
                "{}/backupJobs/00000000-0000-0000-0000-00000000dead/cancel?api-version=2026-07-01",
                harness.vault_url()
            ),
            &token,
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

// Backup vaults (Microsoft.DataProtection): backup instances, ad-hoc backups, their operations and
// backup jobs.

const DP_2507: &str =
    "specification/dataprotection/resource-manager/Microsoft.DataProtection/stable/2025-07-01/examples";
const DP_2509: &str =
    "specification/dataprotection/resource-manager/Microsoft.DataProtection/DataProtection/stable/2025-09-01/examples";
const BACKUP_VAULT: &str = "bv-contoso";
const DISK_INSTANCE: &str = "disk-app01-6f1b9c7e-0000-4000-8000-000000000001";
/// Simulated seconds of every Backup vault operation in these tests.
const BV_OPERATION_SECONDS: u64 = 5;
/// Simulated seconds of every Backup vault backup job in these tests.
const BV_JOB_SECONDS: u64 = 30;

/// Builds the demo scenario with one Backup vault that protects `disk-app01` (instance
/// `DISK_INSTANCE`, rule `BackupDaily` with tags `Default` and `Weekly`) and `disk-app02` (default
/// instance name, failing jobs).
fn backup_vault_scenario(scope: &str, job_id_form: &str) -> Scenario {
    let mut scenario = Scenario::demo();
    scenario.arm.operation_retry_after_seconds = 9;
    scenario.arm.operation_duration_seconds = BV_OPERATION_SECONDS;
    scenario.arm.backup_vaults = serde_json::from_value(serde_json::json!([{
        "operation_status_scope": scope,
        "operation_job_id_form": job_id_form,
        "backup_instances": [
            {"datasource_name": "disk-app01", "name": DISK_INSTANCE,
             "backup_rules": [{"name": "BackupDaily", "retention_tags": ["Default", "Weekly"]}],
             "job": {"duration_seconds": BV_JOB_SECONDS, "outcome": "Completed"}},
            {"datasource_name": "disk-app02",
             "job": {"duration_seconds": BV_JOB_SECONDS, "outcome": "Failed",
                     "error_code": 7, "error_message": "Snapshot failed."}}
        ]
    }]))
    .expect("the Backup vault list parses");
    scenario
}

/// Removes the keys that the example shows but that are optional in the service's schema and
/// that the simulator leaves out (`tags`, `identityDetails`, `policyInfo.policyVersion`).
fn without_optional_instance_keys(example_instance: &Value) -> Value {
    let mut expected = example_instance.clone();
    let object = expected.as_object_mut().unwrap();
    object.remove("tags");
    let properties = object["properties"].as_object_mut().unwrap();
    properties.remove("identityDetails");
    properties["policyInfo"]
        .as_object_mut()
        .unwrap()
        .remove("policyVersion");
    expected
}

impl Harness {
    fn backup_vault_url(&self, vault: &str) -> String {
        format!(
            "{}/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/{vault}",
            self.arm()
        )
    }

    fn backup_instance_url(&self, instance: &str) -> String {
        format!(
            "{}/backupInstances/{instance}",
            self.backup_vault_url(BACKUP_VAULT)
        )
    }

    fn backup_vault_job_url(&self, job_id: &str) -> String {
        format!(
            "{}/backupJobs/{job_id}?api-version=2025-09-01",
            self.backup_vault_url(BACKUP_VAULT)
        )
    }

    async fn adhoc_backup(&self, instance: &str, rule: &str, tag: &str, token: &str) -> Response {
        let body = serde_json::json!({
            "backupRuleOptions": {"ruleName": rule, "triggerOption": {"retentionTagOverride": tag}}
        });
        self.client
            .post(format!(
                "{}/backup?api-version=2025-09-01",
                self.backup_instance_url(instance)
            ))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("ad-hoc backup is answered")
    }

    /// Triggers an ad-hoc backup of `instance`, finishes its operation and returns the last path
    /// segment of the `jobId`.
    async fn start_backup_vault_job(&self, instance: &str, token: &str) -> String {
        let trigger = self
            .adhoc_backup(instance, "BackupDaily", "Default", token)
            .await;
        assert_eq!(trigger.status(), StatusCode::ACCEPTED);
        let status_url = header(&trigger, "azure-asyncoperation").to_owned();
        self.advance_clock(BV_OPERATION_SECONDS).await;
        let status = self.get_json(&status_url, token).await;
        assert_eq!(status["status"], "Succeeded", "{status}");
        let job_id = status["properties"]["jobId"].as_str().unwrap();
        job_id.rsplit('/').next().unwrap().to_owned()
    }
}

#[tokio::test]
async fn backup_vault_and_instances_match_examples() {
    let harness = Harness::start(backup_vault_scenario("vault", "guid")).await;
    let token = harness.access_token().await;

    let vault = harness
        .get_json(
            &format!(
                "{}?api-version=2025-09-01",
                harness.backup_vault_url("BV-CONTOSO")
            ),
            &token,
        )
        .await;
    assert_eq!(vault["name"], BACKUP_VAULT);
    assert_eq!(vault["type"], "Microsoft.DataProtection/backupVaults");
    assert_eq!(vault["location"], "westeurope");
    assert!(vault["properties"].is_object());
    assert!(vault["id"]
        .as_str()
        .unwrap()
        .ends_with("/providers/Microsoft.DataProtection/backupVaults/bv-contoso"));

    let list_example = example(DP_2507, "BackupInstanceOperations/ListBackupInstances.json");
    let get_example = example(DP_2507, "BackupInstanceOperations/GetBackupInstance.json");
    let list = harness
        .get_json(
            &format!(
                "{}/backupInstances?api-version=2025-09-01",
                harness.backup_vault_url(BACKUP_VAULT)
            ),
            &token,
        )
        .await;
    let instances = list["value"].as_array().unwrap();
    assert_eq!(instances.len(), 2);
    assert!(list.get("nextLink").is_none());
    let expected_in_list =
        without_optional_instance_keys(&list_example["responses"]["200"]["body"]["value"][0]);
    for instance in instances {
        assert_same_shape("ListBackupInstances.json", &expected_in_list, instance);
    }
    assert_eq!(instances[0]["name"], DISK_INSTANCE);
    let default_name = instances[1]["name"].as_str().unwrap();
    let default_guid = default_name.strip_prefix("disk-app02-").unwrap();
    assert!(
        uuid::Uuid::try_parse(default_guid).is_ok(),
        "{default_name}"
    );

    let instance = harness
        .get_json(
            &format!(
                "{}?api-version=2025-09-01",
                harness.backup_instance_url(&DISK_INSTANCE.to_uppercase())
            ),
            &token,
        )
        .await;
    assert_same_shape(
        "GetBackupInstance.json",
        &without_optional_instance_keys(&get_example["responses"]["200"]["body"]),
        &instance,
    );
    let properties = &instance["properties"];
    assert_eq!(instance["name"], DISK_INSTANCE);
    assert_eq!(properties["friendlyName"], "disk-app01");
    assert_eq!(
        properties["dataSourceInfo"]["datasourceType"],
        "Microsoft.Compute/disks"
    );
    assert_eq!(
        properties["dataSourceInfo"]["resourceType"],
        "Microsoft.Compute/disks"
    );
    assert_eq!(properties["dataSourceInfo"]["resourceName"], "disk-app01");
    assert_eq!(
        properties["dataSourceInfo"]["resourceID"],
        format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-app/providers/Microsoft.Compute/disks/disk-app01")
    );
    assert_eq!(properties["dataSourceInfo"]["objectType"], "Datasource");
    assert!(properties["policyInfo"]["policyId"]
        .as_str()
        .unwrap()
        .ends_with("/backupPolicies/DiskPolicy"));
    assert_eq!(
        properties["protectionStatus"]["status"],
        "ProtectionConfigured"
    );
    assert_eq!(properties["currentProtectionState"], "ProtectionConfigured");
    assert_eq!(properties["provisioningState"], "Succeeded");
    assert_eq!(properties["objectType"], "BackupInstance");
}

#[tokio::test]
async fn backup_vault_not_found_errors() {
    let harness = Harness::start(backup_vault_scenario("vault", "guid")).await;
    let token = harness.access_token().await;

    let unknown_vault = harness
        .get(
            &format!(
                "{}?api-version=2025-09-01",
                harness.backup_vault_url("bv-missing")
            ),
            &token,
        )
        .await;
    assert_eq!(
        error_code(unknown_vault).await,
        (StatusCode::NOT_FOUND, "ResourceNotFound".to_owned())
    );
    let unknown_vault_instances = harness
        .get(
            &format!(
                "{}/backupInstances?api-version=2025-09-01",
                harness.backup_vault_url("bv-missing")
            ),
            &token,
        )
        .await;
    assert_eq!(unknown_vault_instances.status(), StatusCode::NOT_FOUND);

    let unknown_instance = harness
        .get(
            &format!(
                "{}?api-version=2025-09-01",
                harness.backup_instance_url("disk-missing")
            ),
            &token,
        )
        .await;
    assert_eq!(unknown_instance.status(), StatusCode::NOT_FOUND);
    let body: Value = unknown_instance.json().await.unwrap();
    assert!(body["error"]["code"].is_string());
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("disk-missing"));

    let backup_of_unknown = harness
        .adhoc_backup("disk-missing", "BackupDaily", "Default", &token)
        .await;
    assert_eq!(backup_of_unknown.status(), StatusCode::NOT_FOUND);

    let unknown_job = harness
        .get(
            &harness.backup_vault_job_url("00000000-0000-0000-0000-0000000000aa"),
            &token,
        )
        .await;
    assert_eq!(unknown_job.status(), StatusCode::NOT_FOUND);

    let missing_api_version = harness
        .get(&harness.backup_vault_url(BACKUP_VAULT), &token)
        .await;
    assert_eq!(
        error_code(missing_api_version).await,
        (
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter".to_owned()
        )
    );
}

#[tokio::test]
async fn backup_vault_trigger_headers_and_operation() {
    let trigger_example = example(DP_2509, "BackupInstanceOperations/TriggerBackup.json");
    let status_examples = [
        (
            "GetOperationStatus.json",
            example(DP_2507, "GetOperationStatus.json"),
        ),
        (
            "GetOperationStatusRGContext.json",
            example(DP_2507, "GetOperationStatusRGContext.json"),
        ),
    ];
    let result_example = example(DP_2507, "GetOperationResult.json");

    for (scope, job_id_form) in [
        ("vault", "guid"),
        ("vault", "arm_id"),
        ("location", "guid"),
        ("location", "arm_id"),
    ] {
        let case = format!("scope {scope}, jobId {job_id_form}");
        let harness = Harness::start(backup_vault_scenario(scope, job_id_form)).await;
        let token = harness.access_token().await;
        let scope_url = match scope {
            "vault" => harness.backup_vault_url(BACKUP_VAULT),
            _ => format!(
                "{}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.DataProtection/locations/westeurope",
                harness.arm()
            ),
        };

        let trigger = harness
            .adhoc_backup(DISK_INSTANCE, "backupdaily", "WEEKLY", &token)
            .await;
        assert_eq!(trigger.status(), StatusCode::ACCEPTED, "{case}");
        for name in trigger_example["responses"]["202"]["headers"]
            .as_object()
            .unwrap()
            .keys()
        {
            assert!(
                trigger.headers().contains_key(name.as_str()),
                "{case}: {name} from TriggerBackup.json is missing"
            );
        }
        let async_operation = header(&trigger, "azure-asyncoperation").to_owned();
        let location = header(&trigger, "location").to_owned();
        assert_eq!(header(&trigger, "retry-after"), "9", "{case}");
        let escaped_id = async_operation
            .strip_prefix(&format!("{scope_url}/operationStatus/"))
            .unwrap_or_else(|| panic!("{case}: {async_operation}"))
            .strip_suffix("?api-version=2025-09-01")
            .unwrap_or_else(|| panic!("{case}: {async_operation}"));
        assert!(escaped_id.ends_with("%3D%3D"), "{case}: {escaped_id}");
        assert!(!escaped_id.contains('='), "{case}: {escaped_id}");
        // In the vault scope the result URL has the TriggerBackup example's form: the instance
        // under the resource group, without the vault.
        let result_scope_url = match scope {
            "vault" => format!(
                "{}/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupInstances/{}",
                harness.arm(),
                DISK_INSTANCE
            ),
            _ => scope_url.clone(),
        };
        assert_eq!(
            location,
            format!("{result_scope_url}/operationResults/{escaped_id}?api-version=2025-09-01"),
            "{case}"
        );
        assert_eq!(trigger.bytes().await.unwrap().len(), 0, "{case}");
        let operation_id = escaped_id.replace("%3D", "=");

        let running = harness.get_json(&async_operation, &token).await;
        assert_eq!(running["status"], "InProgress", "{case}");
        assert_eq!(running["name"], operation_id.as_str(), "{case}");
        assert!(running.get("properties").is_none(), "{case}: {running}");
        assert!(running.get("endTime").is_none(), "{case}: {running}");
        let running_result = harness.get(&location, &token).await;
        assert_eq!(running_result.status(), StatusCode::ACCEPTED, "{case}");
        for name in result_example["responses"]["202"]["headers"]
            .as_object()
            .unwrap()
            .keys()
        {
            assert!(
                running_result.headers().contains_key(name.as_str()),
                "{case}: operationResults 202 lacks {name}"
            );
        }

        harness.advance_clock(BV_OPERATION_SECONDS).await;
        let succeeded = harness.get_json(&async_operation, &token).await;
        assert_eq!(succeeded["status"], "Succeeded", "{case}");
        for (name, status_example) in &status_examples {
            assert_same_shape(
                name,
                &status_example["responses"]["200"]["body"],
                &succeeded,
            );
        }
        assert!(succeeded["id"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/operationStatus/{operation_id}")));
        assert_eq!(
            succeeded["properties"]["objectType"], "OperationJobExtendedInfo",
            "{case}"
        );
        let job_id = succeeded["properties"]["jobId"].as_str().unwrap();
        let job_guid = job_id.rsplit('/').next().unwrap();
        assert!(uuid::Uuid::try_parse(job_guid).is_ok(), "{case}: {job_id}");
        match job_id_form {
            "guid" => assert_eq!(job_id, job_guid, "{case}"),
            _ => assert_eq!(
                job_id,
                format!(
                    "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv-contoso/backupJobs/{job_guid}"
                ),
                "{case}"
            ),
        }

        let result = harness.get(&location, &token).await;
        assert_eq!(result.status(), StatusCode::OK, "{case}");
        let result: Value = result.json().await.unwrap();
        assert_same_shape(
            "GetOperationResult.json",
            &result_example["responses"]["200"]["body"],
            &result,
        );
        assert_same_shape(
            "TriggerBackup.json",
            &trigger_example["responses"]["200"]["body"],
            &result,
        );
        assert_eq!(result["jobId"], job_id, "{case}");

        let job = harness
            .get_json(&harness.backup_vault_job_url(job_guid), &token)
            .await;
        let details = &job["properties"]["extendedInfo"]["additionalDetails"];
        assert_eq!(details["PolicyRuleName"], "BackupDaily", "{case}");
        assert_eq!(details["RetentionTag"], "Weekly", "{case}");
    }
}

#[tokio::test]
async fn backup_vault_operation_in_other_scopes() {
    let harness = Harness::start(backup_vault_scenario("vault", "guid")).await;
    let token = harness.access_token().await;
    let trigger = harness
        .adhoc_backup(DISK_INSTANCE, "BackupDaily", "Default", &token)
        .await;
    let async_operation = header(&trigger, "azure-asyncoperation").to_owned();
    let escaped_id = async_operation
        .rsplit_once("/operationStatus/")
        .unwrap()
        .1
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    harness.advance_clock(BV_OPERATION_SECONDS).await;
    let vault_scoped = harness.get_json(&async_operation, &token).await;

    let provider = "providers/Microsoft.DataProtection";
    for scope in [
        format!("subscriptions/{SUBSCRIPTION}/{provider}/locations/westeurope"),
        format!("subscriptions/{SUBSCRIPTION}/resourceGroups/rg-backup/{provider}"),
    ] {
        let status = harness
            .get_json(
                &format!(
                    "{}/{scope}/operationStatus/{escaped_id}?api-version=2025-09-01",
                    harness.arm()
                ),
                &token,
            )
            .await;
        assert_eq!(status["status"], "Succeeded", "{scope}");
        assert_eq!(status["properties"], vault_scoped["properties"], "{scope}");
        assert!(
            status["id"].as_str().unwrap().contains(&scope),
            "{scope}: {status}"
        );
        let result = harness
            .get_json(
                &format!(
                    "{}/{scope}/operationResults/{escaped_id}?api-version=2025-09-01",
                    harness.arm()
                ),
                &token,
            )
            .await;
        assert_eq!(result["jobId"], vault_scoped["properties"]["jobId"]);
    }

    let other_location = harness
        .get(
            &format!(
                "{}/subscriptions/{SUBSCRIPTION}/{provider}/locations/eastus/operationStatus/{escaped_id}?api-version=1",
                harness.arm()
            ),
            &token,
        )
        .await;
    assert_eq!(other_location.status(), StatusCode::NOT_FOUND);
    let unknown_operation = harness
        .get(
            &format!(
                "{}/operationStatus/bm90LWFuLW9wZXJhdGlvbg%3D%3D?api-version=1",
                harness.backup_vault_url(BACKUP_VAULT)
            ),
            &token,
        )
        .await;
    assert_eq!(unknown_operation.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn backup_vault_rejects_wrong_rule_and_tag() {
    let harness = Harness::start(backup_vault_scenario("vault", "guid")).await;
    let token = harness.access_token().await;

    let wrong_rule = harness
        .adhoc_backup(DISK_INSTANCE, "BackupHourly", "Default", &token)
        .await;
    assert_eq!(wrong_rule.status(), StatusCode::BAD_REQUEST);
    let body: Value = wrong_rule.json().await.unwrap();
    assert_eq!(body["error"]["code"], "UserErrorInvalidRequestParameter");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("'BackupHourly'"), "{message}");
    assert!(message.contains("BackupDaily"), "{message}");

    let wrong_tag = harness
        .adhoc_backup(DISK_INSTANCE, "BackupDaily", "Yearly", &token)
        .await;
    assert_eq!(wrong_tag.status(), StatusCode::BAD_REQUEST);
    let body: Value = wrong_tag.json().await.unwrap();
    assert_eq!(body["error"]["code"], "UserErrorInvalidRequestParameter");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("'Yearly'"), "{message}");
    assert!(message.contains("Default, Weekly"), "{message}");

    let no_options = harness
        .client
        .post(format!(
            "{}/backup?api-version=2025-09-01",
            harness.backup_instance_url(DISK_INSTANCE)
        ))
        .bearer_auth(&token)
        .json(&serde_json::json!({"ruleName": "BackupDaily"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(no_options).await,
        (
            StatusCode::BAD_REQUEST,
            "UserErrorInvalidRequestParameter".to_owned()
        )
    );

    assert!(harness.admin("jobs").await.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn backup_vault_job_status_progression() {
    let harness = Harness::start(backup_vault_scenario("vault", "guid")).await;
    let token = harness.access_token().await;
    let get_example = example(DP_2509, "JobCRUD/GetJob.json");
    let list_example = example(DP_2507, "JobCRUD/ListJobs.json");

    let trigger = harness
        .adhoc_backup(DISK_INSTANCE, "BackupDaily", "Default", &token)
        .await;
    assert_eq!(trigger.status(), StatusCode::ACCEPTED);
    let admin_jobs = harness.admin("jobs").await;
    let entry = &admin_jobs[0];
    assert_eq!(entry["vault_type"], "Microsoft.DataProtection/backupVaults");
    assert_eq!(entry["vault"], BACKUP_VAULT);
    assert_eq!(entry["resource_group"], "rg-backup");
    assert_eq!(entry["operation"], "Backup");
    assert_eq!(entry["status"], "Started");
    assert_eq!(entry["backup_instance"], DISK_INSTANCE);
    assert_eq!(entry["datasource_name"], "disk-app01");
    let job_id = entry["id"].as_str().unwrap().to_owned();
    let job_url = harness.backup_vault_job_url(&job_id);

    let started = harness.get_json(&job_url, &token).await;
    assert_same_shape(
        "GetJob.json",
        &get_example["responses"]["200"]["body"],
        &started,
    );
    let properties = &started["properties"];
    assert_eq!(started["name"], job_id.as_str());
    assert_eq!(
        started["type"],
        "Microsoft.DataProtection/backupVaults/backupJobs"
    );
    assert_eq!(properties["status"], "Started");
    assert!(properties.get("endTime").is_none());
    assert_eq!(properties["operation"], "Backup");
    assert_eq!(properties["operationCategory"], "Backup");
    assert_eq!(properties["isUserTriggered"], true);
    assert_eq!(properties["policyName"], "DiskPolicy");
    assert_eq!(properties["vaultName"], BACKUP_VAULT);
    assert_eq!(properties["dataSourceName"], "disk-app01");
    assert_eq!(properties["backupInstanceFriendlyName"], "disk-app01");
    assert!(properties["backupInstanceId"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/backupInstances/{DISK_INSTANCE}")));
    assert!(properties["supportedActions"].is_array());
    assert!(properties["extendedInfo"]["subTasks"].is_array());

    harness.advance_clock(2).await;
    let running = harness.get_json(&job_url, &token).await;
    assert_eq!(running["properties"]["status"], "InProgress");
    assert!(running["properties"].get("endTime").is_none());

    harness.advance_clock(BV_JOB_SECONDS).await;
    let completed = harness.get_json(&job_url, &token).await;
    assert_same_shape(
        "GetJob.json",
        &get_example["responses"]["200"]["body"],
        &completed,
    );
    assert_eq!(completed["properties"]["status"], "Completed");
    assert!(completed["properties"].get("errorDetails").is_none());
    let end_time = completed["properties"]["endTime"].as_str().unwrap();
    let start_time = completed["properties"]["startTime"].as_str().unwrap();
    assert_eq!(
        parse_time(end_time) - parse_time(start_time),
        time::Duration::seconds(BV_JOB_SECONDS as i64)
    );
    assert_eq!(completed["properties"]["duration"], "00:00:30");

    let list = harness
        .get_json(
            &format!(
                "{}/backupJobs?api-version=2025-09-01",
                harness.backup_vault_url(BACKUP_VAULT)
            ),
            &token,
        )
        .await;
    assert_same_shape(
        "ListJobs.json",
        &list_example["responses"]["200"]["body"],
        &list,
    );
    assert_eq!(list["value"].as_array().unwrap().len(), 1);
    assert_eq!(list["value"][0], completed);
    assert_eq!(harness.admin("jobs").await[0]["status"], "Completed");
}

#[tokio::test]
async fn backup_vault_failed_job_and_paging() {
    let mut scenario = backup_vault_scenario("vault", "guid");
    scenario.arm.page_size = 1;
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;

    let instances_page = harness
        .get_json(
            &format!(
                "{}/backupInstances?api-version=2025-09-01",
                harness.backup_vault_url(BACKUP_VAULT)
            ),
            &token,
        )
        .await;
    let first_page = instances_page["value"].as_array().unwrap();
    assert_eq!(first_page.len(), 1);
    let next_link = instances_page["nextLink"].as_str().unwrap();
    assert!(next_link.contains("api-version=2025-09-01"), "{next_link}");
    let second = harness.get_json(next_link, &token).await;
    assert!(second.get("nextLink").is_none());
    let failing_name = second["value"][0]["name"].as_str().unwrap().to_owned();
    assert!(failing_name.starts_with("disk-app02-"), "{failing_name}");

    let first_job = harness.start_backup_vault_job(DISK_INSTANCE, &token).await;
    let failed_job = harness.start_backup_vault_job(&failing_name, &token).await;
    harness.advance_clock(BV_JOB_SECONDS).await;

    let failed = harness
        .get_json(&harness.backup_vault_job_url(&failed_job), &token)
        .await;
    assert_eq!(failed["properties"]["status"], "Failed");
    let error = &failed["properties"]["errorDetails"][0];
    assert_eq!(error["code"], "7");
    assert_eq!(error["message"], "Snapshot failed.");

    let list_url = format!(
        "{}/backupJobs?api-version=2025-09-01",
        harness.backup_vault_url(BACKUP_VAULT)
    );
    let newest = harness.get_json(&list_url, &token).await;
    assert_eq!(newest["value"][0]["name"], failed_job.as_str());
    let older = harness
        .get_json(newest["nextLink"].as_str().unwrap(), &token)
        .await;
    assert_eq!(older["value"][0]["name"], first_job.as_str());
    assert!(older.get("nextLink").is_none());
}

#[tokio::test]
async fn backup_vault_requests_are_logged_and_faulted() {
    let mut scenario = backup_vault_scenario("vault", "guid");
    scenario.faults = fault_list(serde_json::json!([
        {"service": "arm", "method": "POST", "path_contains": "/backupInstances/", "times": 1,
         "action": {"status": 503, "retry_after": "2"}}
    ]));
    let harness = Harness::start(scenario).await;
    let token = harness.access_token().await;

    let faulted = harness
        .adhoc_backup(DISK_INSTANCE, "BackupDaily", "Default", &token)
        .await;
    assert_eq!(faulted.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(harness.admin("jobs").await.as_array().unwrap().is_empty());
    let retried = harness
        .adhoc_backup(DISK_INSTANCE, "BackupDaily", "Default", &token)
        .await;
    assert_eq!(retried.status(), StatusCode::ACCEPTED);
    assert!(retried.headers().contains_key("x-ms-request-id"));
    assert!(retried
        .headers()
        .contains_key("x-ms-ratelimit-remaining-subscription-writes"));

    let requests = harness.admin("requests").await;
    let triggers: Vec<u64> = requests
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| {
            entry["path"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/backupInstances/{DISK_INSTANCE}/backup"))
        })
        .map(|entry| entry["status"].as_u64().unwrap())
        .collect();
    assert_eq!(triggers, [503, 202]);
}
