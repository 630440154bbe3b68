//! Sign-in through the binary: the runner's OIDC variables, Entra's federated-credential checks
//! and input validation before any network call.

use serde_json::json;

use crate::backup::scenario;
use crate::support::{assert_no_token_leak, Simulator, Step};

fn one_item_scenario() -> serde_json::Value {
    scenario(json!([{"vm_name": "vm-app01", "job": {"duration_seconds": 2}}]))
}

fn with_github_subject(subject: &str) -> serde_json::Value {
    let mut value = one_item_scenario();
    value["github"] = json!({"claims": {"sub": subject}});
    value
}

#[test]
fn subject_mismatch_shows_presented_claims() {
    let sim = Simulator::start(with_github_subject(
        "repo:contoso/backup-drills:ref:refs/heads/main",
    ));
    let result = Step::new(&sim).run();

    assert_eq!(result.code, 3, "{}", result.all_text());
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let error = errors[0];
    assert!(error.contains("AADSTS700213"), "{error}");
    assert!(
        error.contains("subject 'repo:contoso/backup-drills:ref:refs/heads/main'"),
        "{error}"
    );
    assert!(
        error.contains("issuer 'https://token.actions.githubusercontent.com'"),
        "{error}"
    );
    assert!(
        error.contains("audience 'api://AzureADTokenExchange'"),
        "{error}"
    );
    assert!(error.contains("Trace ID:"), "{error}");
    assert!(!error.contains("only in letter case"), "{error}");
    assert!(sim.requests_to("arm").is_empty(), "ARM must not be called");
    assert_eq!(
        sim.requests_to("entra")
            .iter()
            .filter(|r| r["method"] == "POST")
            .count(),
        1,
        "no retry of a configuration error"
    );
    assert!(!result.outputs.contains_key("job-id"));
    assert!(
        result.summary.contains("Authentication failed"),
        "{}",
        result.summary
    );
    assert_no_token_leak(&sim, &result);
}

#[test]
fn case_only_subject_mismatch_is_named() {
    let sim = Simulator::start(with_github_subject(
        "repo:Contoso/Backup-Drills:environment:Prod",
    ));
    let result = Step::new(&sim).run();

    assert_eq!(result.code, 3, "{}", result.all_text());
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("AADSTS7002138"), "{}", errors[0]);
    assert!(errors[0].contains("only in letter case"), "{}", errors[0]);
    assert!(
        errors[0].contains("repo:Contoso/Backup-Drills:environment:Prod"),
        "{}",
        errors[0]
    );
    assert!(sim.requests_to("arm").is_empty());
    assert_no_token_leak(&sim, &result);
}

#[test]
fn missing_id_token_permission_fails_before_network() {
    let sim = Simulator::start(one_item_scenario());
    let variants: [&[(&str, Option<&str>)]; 3] = [
        &[
            ("ACTIONS_ID_TOKEN_REQUEST_URL", None),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", None),
        ],
        &[("ACTIONS_ID_TOKEN_REQUEST_TOKEN", None)],
        &[
            ("ACTIONS_ID_TOKEN_REQUEST_URL", Some("")),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", Some("")),
        ],
    ];
    for variant in variants {
        let mut step = Step::new(&sim);
        for (name, value) in variant {
            step = match value {
                Some(value) => step.var(name, value),
                None => step.unset(name),
            };
        }
        let result = step.run();

        assert_eq!(result.code, 3, "{variant:?}: {}", result.all_text());
        let errors = result.error_lines();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("id-token: write"), "{}", errors[0]);
        assert!(errors[0].contains("forks"), "{}", errors[0]);
        assert!(
            errors[0].contains("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
            "{}",
            errors[0]
        );
        assert!(result.outputs.is_empty());
    }
    assert!(
        sim.requests().is_empty(),
        "no request may be sent: {:?}",
        sim.requests()
    );
}

#[test]
fn invalid_inputs_fail_before_network() {
    let sim = Simulator::start(one_item_scenario());
    let result = Step::new(&sim)
        .input("client-id", "not-a-guid")
        .input("retention-days", "0")
        .input("wait", "yes")
        .run();

    assert_eq!(result.code, 2, "{}", result.all_text());
    let errors = result.error_lines();
    assert_eq!(
        errors.len(),
        1,
        "one annotation lists every problem: {errors:?}"
    );
    for name in ["client-id", "retention-days", "wait"] {
        assert!(
            errors[0].contains(name),
            "{name} missing from {}",
            errors[0]
        );
    }
    assert!(errors[0].contains("not-a-guid"), "{}", errors[0]);
    assert!(sim.requests().is_empty(), "no request may be sent");
    assert!(
        result.summary.contains("Invalid input"),
        "{}",
        result.summary
    );
}

#[test]
fn http_endpoint_is_rejected() {
    let sim = Simulator::start(one_item_scenario());
    let endpoint = sim
        .url("resource_manager_endpoint")
        .replace("https://", "http://");
    let result = Step::new(&sim)
        .input("resource-manager-endpoint", &endpoint)
        .run();

    assert_eq!(result.code, 2, "{}", result.all_text());
    assert!(result.error_lines()[0].contains("resource-manager-endpoint"));
    assert!(sim.requests().is_empty());
}

#[test]
fn untrusted_certificate_names_ca_input() {
    let sim = Simulator::start(one_item_scenario());
    let result = Step::new(&sim).unset("INPUT_CA-CERTIFICATES").run();

    assert_eq!(result.code, 3, "{}", result.all_text());
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("ca-certificates"), "{}", errors[0]);
}
