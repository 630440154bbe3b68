//! Faults a real run meets, scripted in the simulator: each test asserts the outcome through the
//! binary and that the simulator saw exactly one backup POST per item.

use serde_json::{json, Value};

use crate::backup::scenario;
use crate::support::{assert_no_token_leak, Simulator, Step, StepResult};

fn one_vm(job: Value) -> Value {
    scenario(json!([{"vm_name": "vm-app01", "vm_resource_group": "rg-app", "job": job}]))
}

fn quick_job() -> Value {
    json!({"duration_seconds": 3, "outcome": "Completed"})
}

fn with_faults(mut scenario: Value, faults: Value) -> Value {
    scenario["faults"] = faults;
    scenario
}

/// Asserts that retries which ended well left log lines but no warning annotation: a step shows
/// at most 10, and these need no attention.
fn assert_retries_not_annotated(result: &StepResult) {
    assert!(
        result.stdout.contains("attempt"),
        "the retry is logged: {}",
        result.stdout
    );
    let warnings = result.warning_lines();
    assert!(warnings.is_empty(), "{warnings:?}");
}

fn assert_completed(sim: &Simulator, result: &StepResult) {
    assert_eq!(result.code, 0, "{}", result.all_text());
    assert_eq!(
        result.outputs["job-status"],
        "Completed",
        "{}",
        result.all_text()
    );
    assert_eq!(sim.backup_posts(), 1, "exactly one backup POST");
    assert_no_token_leak(sim, result);
}

/// Counts the token requests (POSTs) that Entra received.
fn token_exchanges(sim: &Simulator) -> usize {
    sim.requests_to("entra")
        .iter()
        .filter(|request| request["method"] == "POST")
        .count()
}

fn faulted_requests(sim: &Simulator) -> usize {
    sim.requests()
        .iter()
        .filter(|request| request.get("fault").is_some_and(|fault| !fault.is_null()))
        .count()
}

#[test]
fn job_poll_503_is_retried() {
    let sim = Simulator::start(with_faults(
        one_vm(quick_job()),
        json!([{"service": "arm", "method": "GET", "path_contains": "/backupJobs/", "times": 2,
                "action": {"status": 503, "retry_after": "1"}}]),
    ));
    let result = Step::new(&sim).run();
    assert_completed(&sim, &result);
    assert_eq!(faulted_requests(&sim), 2);
    assert_retries_not_annotated(&result);
}

#[test]
fn throttled_poll_waits_retry_after_ms() {
    let sim = Simulator::start(with_faults(
        one_vm(quick_job()),
        json!([{"service": "arm", "method": "GET", "path_contains": "/operationsStatus/",
                "action": {"status": 429, "retry_after_ms": 1500}}]),
    ));
    let result = Step::new(&sim).run();
    assert_completed(&sim, &result);
}

#[test]
fn lost_backup_reply_is_not_resent() {
    let sim = Simulator::start(with_faults(
        one_vm(json!({"duration_seconds": 20, "outcome": "Completed"})),
        json!([{"service": "arm", "method": "POST", "path_contains": "/backup",
                "action": {"reset": "after_body"}}]),
    ));
    let result = Step::new(&sim).run();
    assert_completed(&sim, &result);
    assert!(result.stdout.contains("got no reply"), "{}", result.stdout);
    let jobs = sim.jobs();
    let backups: Vec<&Value> = jobs
        .iter()
        .filter(|job| job.to_string().contains("\"Backup\""))
        .collect();
    assert_eq!(backups.len(), 1, "{jobs:?}");
}

#[test]
fn unanswered_backup_fails_without_resend() {
    let sim = Simulator::start(with_faults(
        one_vm(quick_job()),
        json!([{"service": "arm", "method": "POST", "path_contains": "/backup",
                "action": {"reset": "before_body"}}]),
    ));
    let result = Step::new(&sim).run();

    assert_eq!(result.code, 4, "{}", result.all_text());
    assert_eq!(sim.backup_posts(), 1, "the request is never sent again");
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("ReplyLost"), "{}", errors[0]);
    assert!(errors[0].contains("not sent again"), "{}", errors[0]);
}

#[test]
fn github_token_503_is_retried() {
    let sim = Simulator::start(with_faults(
        one_vm(quick_job()),
        json!([{"service": "github", "action": {"status": 503, "body": "upstream unavailable"}}]),
    ));
    let result = Step::new(&sim).run();
    assert_completed(&sim, &result);
    assert!(
        result.stdout.contains("HTTP 503"),
        "the retry is logged with its cause"
    );
    assert_retries_not_annotated(&result);
}

#[test]
fn entra_503_retried_with_new_token() {
    let sim = Simulator::start(with_faults(
        one_vm(quick_job()),
        json!([{"service": "entra", "action": {"status": 503, "body": "{\"error\": \"temporarily_unavailable\"}"}}]),
    ));
    let result = Step::new(&sim).run();
    assert_completed(&sim, &result);
    let exchanges = token_exchanges(&sim);
    assert_eq!(exchanges, 2, "one exchange, repeated once");
    assert_eq!(
        sim.requests_to("github").len(),
        2,
        "each exchange signs with a new GitHub token"
    );
    assert_retries_not_annotated(&result);
}

#[test]
fn github_token_401_is_not_retried() {
    let sim = Simulator::start(with_faults(
        one_vm(quick_job()),
        json!([{"service": "github", "times": 0, "action": {"status": 401, "body": "{\"message\":\"Bad credentials\"}"}}]),
    ));
    let result = Step::new(&sim).run();

    assert_eq!(result.code, 3, "{}", result.all_text());
    assert_eq!(sim.requests_to("github").len(), 1, "a 4xx is not retried");
    assert!(sim.requests_to("entra").is_empty());
    assert!(
        result.error_lines()[0].contains("HTTP 401"),
        "{}",
        result.error_lines()[0]
    );
}

#[test]
fn expired_arm_token_is_refreshed_once() {
    let sim = Simulator::start(with_faults(
        one_vm(quick_job()),
        json!([{"service": "arm", "method": "GET", "path_contains": "/backupJobs/",
                "action": {"expire_token": true}}]),
    ));
    let result = Step::new(&sim).run();
    assert_completed(&sim, &result);
    let exchanges = token_exchanges(&sim);
    assert_eq!(exchanges, 2, "one sign-in, one refresh");
    assert!(
        sim.requests_to("github").len() >= 2,
        "a fresh GitHub token for the refresh"
    );
}

#[test]
fn long_job_renews_short_tokens() {
    let mut scenario = one_vm(json!({"duration_seconds": 600, "outcome": "Completed"}));
    scenario["clock_speed"] = json!(60.0);
    scenario["github"] = json!({"token_lifetime_seconds": 60});
    scenario["entra"] = json!({"access_token_lifetime_seconds": 120});
    let sim = Simulator::start(scenario);
    let result = Step::new(&sim).run();

    assert_completed(&sim, &result);
    let entra = sim.requests_to("entra");
    let exchanges = entra
        .iter()
        .filter(|request| request["method"] == "POST")
        .count();
    // 600 simulated seconds of job over 120-second tokens: about five exchanges, not one per poll.
    assert!((2..=10).contains(&exchanges), "{exchanges} exchanges");
    let polls = sim
        .requests_to("arm")
        .iter()
        .filter(|request| {
            request["path"]
                .as_str()
                .unwrap_or_default()
                .contains("/backupJobs/")
        })
        .count();
    assert!(polls > exchanges, "{polls} polls, {exchanges} exchanges");
    assert!(
        entra.iter().all(|request| request["status"] == 200),
        "no expired or replayed assertion: {entra:?}"
    );
}

#[test]
fn malformed_and_truncated_replies_recover() {
    let sim = Simulator::start(with_faults(
        one_vm(quick_job()),
        json!([
            {"service": "arm", "method": "GET", "path_contains": "/backupJobs/", "action": {"malformed_json": true}},
            {"service": "arm", "method": "GET", "path_contains": "/operationsStatus/", "action": {"truncate_body": true}}
        ]),
    ));
    let result = Step::new(&sim).run();
    assert_completed(&sim, &result);
    assert_eq!(faulted_requests(&sim), 2);
}

#[test]
fn forbidden_list_names_the_role() {
    let sim = Simulator::start(with_faults(
        one_vm(quick_job()),
        json!([{"service": "arm", "method": "GET", "path_contains": "/backupProtectedItems", "times": 0,
                "action": {"status": 403, "body": "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"The client does not have authorization to perform action 'Microsoft.RecoveryServices/Vaults/backupProtectedItems/read'.\"}}"}}]),
    ));
    let result = Step::new(&sim).run();

    assert_eq!(result.code, 4, "{}", result.all_text());
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("AuthorizationFailed"), "{}", errors[0]);
    assert!(errors[0].contains("Backup Operator"), "{}", errors[0]);
    assert_eq!(sim.backup_posts(), 0);
    let lists = sim.requests_to("arm").len();
    assert_eq!(
        lists, 3,
        "two bounded retries for role propagation, then fail"
    );
    assert!(
        result.stdout.contains("may not have reached ARM yet"),
        "{}",
        result.stdout
    );
}

#[test]
fn fresh_role_assignment_is_awaited() {
    let sim = Simulator::start(with_faults(
        one_vm(quick_job()),
        json!([{"service": "arm", "method": "GET", "path_contains": "/backupProtectedItems", "times": 1,
                "action": {"status": 403, "body": "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"not yet\"}}"}}]),
    ));
    let result = Step::new(&sim).run();
    assert_completed(&sim, &result);
}

fn busy_scenario(reply: &str) -> Value {
    scenario(json!([{
        "vm_name": "vm-app01",
        "vm_resource_group": "rg-app",
        "job": quick_job(),
        "busy_job": {"operation": "Backup", "duration_seconds": 4},
        "busy_reply": reply,
    }]))
}

#[test]
fn busy_item_is_attached() {
    for reply in ["failed_operation", "conflict"] {
        let sim = Simulator::start(busy_scenario(reply));
        let result = Step::new(&sim).run();

        assert_eq!(result.code, 0, "{reply}: {}", result.all_text());
        assert_eq!(sim.backup_posts(), 1, "{reply}");
        let busy_job = sim.jobs().iter().find_map(|job| {
            job["id"]
                .as_str()
                .or(job["name"].as_str())
                .map(str::to_string)
        });
        let job_id = &result.outputs["job-id"];
        assert!(
            busy_job.is_some_and(|id| id.ends_with(job_id.as_str())),
            "{reply}: attached to the running job"
        );
        assert!(
            result.summary.contains("already running"),
            "{reply}: {}",
            result.summary
        );
    }
}

#[test]
fn busy_item_fails_when_asked() {
    let sim = Simulator::start(busy_scenario("conflict"));
    let result = Step::new(&sim).input("if-busy", "fail").run();

    assert_eq!(result.code, 4, "{}", result.all_text());
    assert!(
        result.error_lines()[0].contains("BackupAlreadyRunning"),
        "{}",
        result.error_lines()[0]
    );
    assert_eq!(sim.backup_posts(), 1);
}

#[test]
fn busy_item_waits_then_backs_up() {
    let sim = Simulator::start(busy_scenario("conflict"));
    let result = Step::new(&sim).input("if-busy", "wait").run();

    assert_eq!(result.code, 0, "{}", result.all_text());
    assert_eq!(
        sim.backup_posts(),
        2,
        "the rejected request, then this run's backup"
    );
}

#[test]
fn sigint_cancels_jobs_when_asked() {
    let sim = Simulator::start(one_vm(
        json!({"duration_seconds": 3600, "outcome": "Completed"}),
    ));
    let (result, exit_delay) = Step::new(&sim)
        .input("cancel-on-abort", "true")
        .run_with_signal(std::time::Duration::from_secs(5), "INT");

    assert!(
        exit_delay < std::time::Duration::from_secs(5),
        "exit took {exit_delay:?}"
    );
    assert_eq!(result.code, 1, "{}", result.all_text());
    let cancels = sim
        .requests_to("arm")
        .iter()
        .filter(|request| {
            request["method"] == "POST"
                && request["path"]
                    .as_str()
                    .unwrap_or_default()
                    .ends_with("/cancel")
        })
        .count();
    assert_eq!(cancels, 1);
}

#[test]
fn github_token_hang_times_out_and_retries() {
    let sim = Simulator::start(with_faults(
        one_vm(quick_job()),
        json!([{"service": "github", "action": {"hang_seconds": 25}}]),
    ));
    let started = std::time::Instant::now();
    let result = Step::new(&sim).run();

    assert_completed(&sim, &result);
    assert!(
        result.stdout.contains("timed out"),
        "the attempt's cause is logged: {}",
        result.stdout
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn fresh_token_rejected_again_fails() {
    let sim = Simulator::start(with_faults(
        one_vm(quick_job()),
        json!([{"service": "arm", "method": "GET", "path_contains": "/backupJobs/", "times": 0,
                "action": {"expire_token": true}}]),
    ));
    let result = Step::new(&sim).input("timeout", "8s").run();

    assert_eq!(result.code, 1, "{}", result.all_text());
    assert!(
        !result.outputs["job-id"].is_empty(),
        "job-id is still written"
    );
    assert_eq!(
        result.outputs["job-status"], "InProgress",
        "the last known state"
    );
    assert!(
        result.stdout.contains("freshly issued token"),
        "{}",
        result.stdout
    );
    let polls = sim
        .requests_to("arm")
        .iter()
        .filter(|request| {
            request["path"]
                .as_str()
                .unwrap_or_default()
                .contains("/backupJobs/")
        })
        .count();
    let exchanges = token_exchanges(&sim);
    assert!(
        exchanges <= polls / 2 + 1,
        "one refresh per rejected request, no loop: {exchanges} exchanges, {polls} polls"
    );
    assert_eq!(sim.backup_posts(), 1);
}

#[test]
fn throttle_budget_avoids_429() {
    let mut scenario = one_vm(quick_job());
    scenario["arm"]["throttle"] = json!({"reads": {"bucket": 12, "refill_per_second": 3}});
    let sim = Simulator::start(scenario);
    let result = Step::new(&sim).run();

    assert_completed(&sim, &result);
    let throttled = sim
        .requests_to("arm")
        .iter()
        .filter(|request| request["status"] == 429)
        .count();
    assert_eq!(throttled, 0, "the client slows down before ARM answers 429");
    assert!(result.stdout.contains("nearly spent"), "{}", result.stdout);
}

#[test]
fn github_reply_without_value_fails_once() {
    let sim = Simulator::start(with_faults(
        one_vm(quick_job()),
        json!([{"service": "github", "times": 0, "action": {"status": 200, "body": "{\"count\":0}"}}]),
    ));
    let result = Step::new(&sim).run();

    assert_eq!(result.code, 3, "{}", result.all_text());
    assert_eq!(sim.requests_to("github").len(), 1, "no retry storm");
    assert!(
        sim.requests_to("entra").is_empty(),
        "Entra is never called without a token"
    );
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("`value`"), "{}", errors[0]);
}

#[test]
fn retry_after_http_date_is_honoured() {
    let soon = time::OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let date = soon.format(&format).unwrap();
    let sim = Simulator::start(with_faults(
        one_vm(quick_job()),
        json!([{"service": "arm", "method": "GET", "path_contains": "/backupJobs/",
                "action": {"status": 503, "retry_after": date}}]),
    ));
    let result = Step::new(&sim).run();
    assert_completed(&sim, &result);
    assert_eq!(faulted_requests(&sim), 1);
}
