//! Secrets and hostile text: no token outside `::add-mask::` lines in anything the binary
//! writes, and server text that cannot act as a workflow command or break the output file.

use serde_json::json;

use crate::backup::scenario;
use crate::support::{assert_no_token_leak, Simulator, Step};

#[test]
fn tokens_never_leak_with_or_without_debug() {
    let cases = [
        (
            "success",
            json!({"duration_seconds": 2, "outcome": "Completed"}),
        ),
        (
            "failure",
            json!({"duration_seconds": 2, "outcome": "Failed", "error_code": 1, "error_message": "boom"}),
        ),
    ];
    for (label, job) in cases {
        let sim = Simulator::start(scenario(json!([{"vm_name": "vm-app01", "job": job}])));
        for debug in [false, true] {
            let mut step = Step::new(&sim);
            if debug {
                step = step.var("RUNNER_DEBUG", "1");
            }
            let result = step.run();
            assert!(
                result
                    .stdout
                    .lines()
                    .any(|line| line.starts_with("::add-mask::")),
                "{label}: tokens must be masked"
            );
            if debug {
                assert!(
                    result.stdout.contains("::debug::"),
                    "{label}: debug lines expected"
                );
            }
            assert_no_token_leak(&sim, &result);
        }
        assert!(
            sim.issued_tokens().len() >= 2,
            "{label}: the simulator issued tokens"
        );
    }
}

#[test]
fn server_text_cannot_inject_commands() {
    let hostile = "boom\n::error::pwned\r::set-output name=x::y ##[warning]z <script>alert(1)</script> ghadelimiter_x";
    let sim = Simulator::start(scenario(json!([{
        "vm_name": "vm-app01",
        "job": {"duration_seconds": 2, "outcome": "Failed", "error_code": 7, "error_message": hostile}
    }])));
    let result = Step::new(&sim).run();

    assert_eq!(result.code, 1, "{}", result.all_text());
    for line in result.stdout.split(['\n', '\r']) {
        let trimmed = line.trim_start();
        assert!(
            !trimmed.starts_with("::error::pwned"),
            "injected command: {line:?}"
        );
        assert!(
            !trimmed.starts_with("::set-output"),
            "injected command: {line:?}"
        );
        assert!(
            !line.contains("##[warning]"),
            "legacy command marker: {line:?}"
        );
    }
    assert_eq!(result.error_lines().len(), 1, "{:?}", result.error_lines());
    assert!(!result.summary.contains("<script>"), "{}", result.summary);
    let jobs: serde_json::Value = serde_json::from_str(&result.outputs["jobs"]).unwrap();
    assert_eq!(
        jobs[0]["errorMessage"], hostile,
        "the output keeps the exact text"
    );
    assert_no_token_leak(&sim, &result);
}

#[test]
fn https_proxy_carries_all_three_services() {
    let sim = Simulator::start(scenario(
        json!([{"vm_name": "vm-app01", "job": {"duration_seconds": 2}}]),
    ));
    let proxy = crate::support::ConnectProxy::start();
    let result = Step::new(&sim)
        .var("HTTPS_PROXY", &proxy.address)
        .unset("NO_PROXY")
        .run();

    assert_eq!(result.code, 0, "{}", result.all_text());
    let targets = proxy.targets.lock().unwrap().clone();
    for key in [
        "id_token_request_url",
        "authority_host",
        "resource_manager_endpoint",
    ] {
        let url = url::Url::parse(&sim.url(key)).unwrap();
        let authority = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
        assert!(
            targets.contains(&authority),
            "{key} ({authority}) not proxied: {targets:?}"
        );
    }
}
