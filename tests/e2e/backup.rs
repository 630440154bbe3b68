//! On-demand backups through the binary: outputs, summary, exit codes and what the simulator saw.

use serde_json::{json, Value};

use crate::support::{
    assert_no_token_leak, Simulator, Step, StepResult, SUBSCRIPTION_ID, TENANT_ID,
};

/// Builds a scenario with fast operations and the given protected items (vm name, job) in the standard
/// vault.
pub fn scenario(items: Value) -> Value {
    json!({
        "arm": {
            "operation_retry_after_seconds": 1,
            "operation_duration_seconds": 1,
            "vaults": [{
                "resource_group": "rg-backup",
                "name": "rsv-contoso",
                "location": "westeurope",
                "protected_items": items,
            }],
        }
    })
}

fn item(name: &str, job: Value) -> Value {
    json!({"vm_name": name, "vm_resource_group": "rg-app", "job": job})
}

fn quick_job() -> Value {
    json!({"duration_seconds": 2, "outcome": "Completed"})
}

fn jobs_output(result: &StepResult) -> Vec<Value> {
    let text = result.outputs.get("jobs").expect("jobs output");
    serde_json::from_str::<Value>(text)
        .expect("jobs output is JSON")
        .as_array()
        .cloned()
        .expect("jobs output is an array")
}

/// Formats an RFC 3339 output time as the summary shows it.
fn summary_time(value: &Value) -> String {
    let text = value.as_str().expect("time is set");
    format!("{} {} UTC", &text[..10], &text[11..19])
}

#[test]
fn backup_one_item_completes() {
    let sim = Simulator::start(scenario(json!([
        item("vm-app01", quick_job()),
        item("vm-app02", quick_job())
    ])));
    let result = Step::new(&sim).run();

    assert_eq!(result.code, 0, "{}", result.all_text());
    assert!(
        result.error_lines().is_empty(),
        "{:?}",
        result.error_lines()
    );
    assert_eq!(
        result.outputs.keys().collect::<Vec<_>>(),
        ["job-id", "job-status", "jobs"]
    );
    assert_eq!(result.outputs["job-status"], "Completed");

    let jobs = jobs_output(&result);
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    let keys: Vec<&str> = job
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected_keys = vec![
        "item",
        "jobId",
        "status",
        "serviceStatus",
        "startTime",
        "endTime",
        "durationSeconds",
        "errorCode",
        "errorMessage",
    ];
    expected_keys.sort();
    let mut sorted_keys = keys.clone();
    sorted_keys.sort();
    assert_eq!(sorted_keys, expected_keys);
    assert_eq!(job["item"], "vm-app01");
    assert_eq!(job["jobId"], result.outputs["job-id"].as_str());
    assert_eq!(job["status"], "Completed");
    assert_eq!(job["serviceStatus"], "Completed");
    assert_eq!(job["errorCode"], Value::Null);
    assert_eq!(job["errorMessage"], Value::Null);
    let duration = job["durationSeconds"].as_u64().expect("duration");
    assert!((1..=10).contains(&duration), "duration {duration}");

    let job_id = result.outputs["job-id"].clone();
    let vault_id = format!(
        "/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-contoso"
    );
    let expected_summary = format!(
        "### Azure Backup: completed\n\n\
         Vault **rsv-contoso** in resource group rg-backup (subscription {SUBSCRIPTION_ID})\n\n\
         | Item | Job ID | Status | Start | End | Duration | Details |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n\
         | vm-app01 | {job_id} | Completed | {} | {} | {duration}s |  |\n\n\
         [Backup jobs of this vault in the Azure portal](https://portal.azure.com/#@{TENANT_ID}/resource{vault_id}/backupJobs)\n\n",
        summary_time(&job["startTime"]),
        summary_time(&job["endTime"]),
    );
    assert_eq!(result.summary, expected_summary);

    assert_eq!(sim.backup_posts(), 1);
    // One sign-in serves the whole run: the token is cached, not exchanged per request.
    let exchanges = sim
        .requests_to("entra")
        .iter()
        .filter(|request| request["method"] == "POST")
        .count();
    assert_eq!(exchanges, 1);
    assert_eq!(sim.requests_to("github").len(), 1);
    assert_no_token_leak(&sim, &result);
}

#[test]
fn backup_several_items_polls_together() {
    let sim = Simulator::start(scenario(json!([
        item("vm-app01", quick_job()),
        item("vm-app02", quick_job())
    ])));
    let result = Step::new(&sim)
        .input("items", "VM-APP01,\nvm-app02\n")
        .run();

    assert_eq!(result.code, 0, "{}", result.all_text());
    assert!(!result.outputs.contains_key("job-id"));
    assert_eq!(result.outputs["job-status"], "Completed");
    let jobs = jobs_output(&result);
    let items: Vec<&str> = jobs
        .iter()
        .map(|job| job["item"].as_str().unwrap())
        .collect();
    assert_eq!(items, ["vm-app01", "vm-app02"]);
    assert_eq!(sim.backup_posts(), 2);
}

#[test]
fn unknown_item_lists_available_names() {
    let sim = Simulator::start(scenario(json!([
        item("vm-app01", quick_job()),
        item("vm-app02", quick_job())
    ])));
    let result = Step::new(&sim).input("items", "vm-app01\nvm-missing").run();

    assert_eq!(result.code, 2, "{}", result.all_text());
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("'vm-missing'"), "{}", errors[0]);
    assert!(
        errors[0].contains("'vm-app01', 'vm-app02'"),
        "{}",
        errors[0]
    );
    assert_eq!(
        sim.backup_posts(),
        0,
        "nothing may start when an item is unknown"
    );
    assert!(result.outputs.is_empty());
    assert!(
        result.summary.contains("Unknown item"),
        "{}",
        result.summary
    );
}

#[test]
fn unknown_vault_exits_two() {
    let sim = Simulator::start(scenario(json!([item("vm-app01", quick_job())])));
    let result = Step::new(&sim).input("vault", "rsv-missing").run();

    assert_eq!(result.code, 2, "{}", result.all_text());
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("rsv-missing"), "{}", errors[0]);
    assert!(errors[0].contains("ResourceNotFound"), "{}", errors[0]);
    assert_eq!(sim.backup_posts(), 0);
}

#[test]
fn failed_job_exits_one_with_details() {
    let failing = json!({
        "duration_seconds": 2,
        "outcome": "Failed",
        "error_code": 400001,
        "error_message": "Snapshot operation failed due to no network connectivity on the virtual machine.",
        "recommendations": ["Ensure that the VM has network connectivity."]
    });
    let sim = Simulator::start(scenario(json!([item("vm-app01", failing)])));
    let result = Step::new(&sim).run();

    assert_eq!(result.code, 1, "{}", result.all_text());
    assert_eq!(result.outputs["job-status"], "Failed");
    let jobs = jobs_output(&result);
    assert_eq!(jobs[0]["status"], "Failed");
    assert_eq!(jobs[0]["errorCode"], "400001");
    assert!(jobs[0]["errorMessage"]
        .as_str()
        .unwrap()
        .contains("no network connectivity"));
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("400001"), "{}", errors[0]);
    assert!(
        result.summary.starts_with("### Azure Backup: failed"),
        "{}",
        result.summary
    );
    assert_eq!(sim.backup_posts(), 1);
}

#[test]
fn completed_with_warnings_exits_zero() {
    let sim = Simulator::start(scenario(json!([item(
        "vm-app01",
        json!({"duration_seconds": 2, "outcome": "CompletedWithWarnings"})
    )])));
    let result = Step::new(&sim).run();

    assert_eq!(result.code, 0, "{}", result.all_text());
    assert_eq!(result.outputs["job-status"], "CompletedWithWarnings");
    assert!(result
        .stdout
        .lines()
        .any(|line| line.starts_with("::warning") && line.contains("completed with warnings")));
}

#[test]
fn wait_false_returns_while_job_runs() {
    let sim = Simulator::start(scenario(json!([item(
        "vm-app01",
        json!({"duration_seconds": 3600, "outcome": "Completed"})
    )])));
    let result = Step::new(&sim).input("wait", "false").run();

    assert_eq!(result.code, 0, "{}", result.all_text());
    assert_eq!(result.outputs["job-status"], "InProgress");
    assert!(!result.outputs["job-id"].is_empty());
    assert!(
        result.summary.contains("did not wait"),
        "{}",
        result.summary
    );
    assert_eq!(sim.backup_posts(), 1);
}

#[test]
fn timeout_reached_exits_one() {
    let sim = Simulator::start(scenario(json!([item(
        "vm-app01",
        json!({"duration_seconds": 1, "outcome": "Never"})
    )])));
    let result = Step::new(&sim).input("timeout", "6s").run();

    assert_eq!(result.code, 1, "{}", result.all_text());
    assert_eq!(result.outputs["job-status"], "InProgress");
    assert!(!result.outputs["job-id"].is_empty());
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("still running"), "{}", errors[0]);
    assert!(result.summary.contains("timeout"), "{}", result.summary);
    assert_eq!(sim.backup_posts(), 1);
}

#[test]
fn outside_actions_prints_plain_outputs() {
    let sim = Simulator::start(scenario(json!([item("vm-app01", quick_job())])));
    let result = Step::new(&sim).unset("GITHUB_ACTIONS").run();

    assert_eq!(result.code, 0, "{}", result.all_text());
    assert!(
        result
            .stdout
            .lines()
            .any(|line| line == "job-status=Completed"),
        "{}",
        result.stdout
    );
    assert!(!result.stdout.contains("::group::"), "{}", result.stdout);
    assert!(!result.stdout.contains("::add-mask::"), "{}", result.stdout);
    assert!(
        result.output_file.is_empty(),
        "outputs go to stdout outside Actions"
    );
    assert_no_token_leak(&sim, &result);
}

#[test]
fn sigint_reports_started_jobs_quickly() {
    let sim = Simulator::start(scenario(json!([item(
        "vm-app01",
        json!({"duration_seconds": 3600, "outcome": "Completed"})
    )])));
    // Operations take 1 s and polls pause 1 s, so after 5 s the job is started and being polled.
    let (result, exit_delay) =
        Step::new(&sim).run_with_signal(std::time::Duration::from_secs(5), "INT");

    assert!(
        exit_delay < std::time::Duration::from_secs(5),
        "exit took {exit_delay:?}"
    );
    assert_eq!(result.code, 1, "{}", result.all_text());
    assert!(
        !result.outputs["job-id"].is_empty(),
        "{}",
        result.all_text()
    );
    assert_eq!(result.outputs["job-status"], "InProgress");
    assert!(result.summary.contains("cancelled"), "{}", result.summary);
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("SIGINT"), "{}", errors[0]);
    assert_eq!(sim.backup_posts(), 1);
}
