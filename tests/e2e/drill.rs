//! Restore drills and clean-up through the binary: outputs, the JSON report, and what the
//! simulator contains afterwards.

use serde_json::{json, Value};

use crate::support::{assert_no_token_leak, Simulator, Step, StepResult};

const TARGET_GROUP: &str = "rg-drill";

/// Builds a scenario: a vault with one VM (two disks) whose recovery points are `points` (name, age in hours) and
/// whose restore job is `restore`, plus extra `arm` fields.
fn drill_scenario(points: &[(&str, f64)], restore: Value, arm_extra: Value) -> Value {
    let points: Vec<Value> = points
        .iter()
        .map(|(name, age)| json!({"name": name, "age_hours": age}))
        .collect();
    let mut arm = json!({
        "operation_retry_after_seconds": 1,
        "operation_duration_seconds": 1,
        "delete_duration_seconds": 1,
        "vaults": [{
            "resource_group": "rg-backup",
            "name": "rsv-contoso",
            "location": "westeurope",
            "protected_items": [{
                "vm_name": "vm-app01",
                "vm_resource_group": "rg-app",
                "recovery_points": points,
                "source_disks": [
                    {"size_gb": 128, "sku": "Premium_LRS"},
                    {"lun": 0, "size_gb": 256, "sku": "StandardSSD_LRS"}
                ],
                "restore": restore,
            }],
        }],
    });
    if let Value::Object(extra) = arm_extra {
        for (key, value) in extra {
            arm[key] = value;
        }
    }
    json!({"arm": arm})
}

fn quick_restore() -> Value {
    json!({"duration_seconds": 2, "outcome": "Completed"})
}

fn standard_points() -> Vec<(&'static str, f64)> {
    vec![("111111", 2.0), ("222222", 26.0), ("333333", 50.0)]
}

fn drill_step(sim: &Simulator) -> Step<'_> {
    Step::new(sim)
        .input("operation", "restore-drill")
        .input("target-resource-group", TARGET_GROUP)
        .input("staging-storage-account", "stdrillstaging")
}

/// Returns the disks in the drill's resource group, as the simulator lists them.
fn drill_disks(sim: &Simulator) -> Vec<Value> {
    sim.resources()
        .into_iter()
        .filter(|resource| {
            let id = resource["id"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            id.contains(&format!("/resourcegroups/{TARGET_GROUP}/"))
                && id.contains("/microsoft.compute/disks/")
        })
        .collect()
}

fn restore_jobs(sim: &Simulator) -> usize {
    sim.jobs()
        .iter()
        .filter(|job| job.to_string().to_ascii_lowercase().contains("\"restore\""))
        .count()
}

fn report(result: &StepResult) -> Value {
    let path = result.outputs.get("report").expect("report output");
    let text = std::fs::read_to_string(path).expect("report file");
    serde_json::from_str(&text).expect("report is JSON")
}

fn restored_ids(result: &StepResult) -> Vec<String> {
    serde_json::from_str(&result.outputs["restored-resource-ids"]).expect("JSON array")
}

#[test]
fn drill_passes_and_cleans_up() {
    let sim = Simulator::start(drill_scenario(
        &standard_points(),
        quick_restore(),
        json!({}),
    ));
    let result = drill_step(&sim)
        .input("max-recovery-point-age", "26h")
        .input("max-restore-duration", "5m")
        .run();

    assert_eq!(result.code, 0, "{}", result.all_text());
    assert_eq!(result.outputs["drill-result"], "passed");
    assert_eq!(
        result.outputs["recovery-point-id"], "111111",
        "latest point"
    );
    let age: u64 = result.outputs["recovery-point-age-seconds"]
        .parse()
        .unwrap();
    assert!((7100..7400).contains(&age), "age {age}");
    assert!(!result.outputs["restore-job-id"].is_empty());
    assert!(result.outputs.contains_key("restore-duration-seconds"));
    let ids = restored_ids(&result);
    assert_eq!(ids.len(), 2, "{ids:?}");
    for id in &ids {
        assert!(
            id.to_ascii_lowercase()
                .contains("/resourcegroups/rg-drill/providers/microsoft.compute/disks/"),
            "{id}"
        );
    }

    let report = report(&result);
    assert_eq!(report["schemaVersion"], 1);
    assert_eq!(report["operation"], "restore-drill");
    assert_eq!(report["result"], "passed");
    assert_eq!(report["failureReason"], Value::Null);
    assert_eq!(
        report["who"]["subject"],
        "repo:contoso/backup-drills:environment:prod"
    );
    assert_eq!(report["who"]["repository"], "contoso/backup-drills");
    assert_eq!(
        report["who"]["runUrl"],
        "https://github.com/contoso/backup-drills/actions/runs/42"
    );
    assert_eq!(report["what"]["item"], "vm-app01");
    assert_eq!(report["what"]["recoveryPoint"]["name"], "111111");
    assert_eq!(report["gates"]["rpo"]["maxSeconds"], 26 * 3600);
    assert_eq!(report["gates"]["rpo"]["passed"], true);
    assert_eq!(report["gates"]["rto"]["passed"], true);
    assert_eq!(report["restoreJob"]["status"], "Completed");
    let resources = report["restoredResources"].as_array().unwrap();
    assert_eq!(resources.len(), 2);
    assert!(
        resources
            .iter()
            .all(|resource| resource["verified"] == true),
        "{resources:?}"
    );
    assert_eq!(report["cleanup"]["performed"], true);
    assert_eq!(report["cleanup"]["deleted"].as_array().unwrap().len(), 2);
    let phases: Vec<&str> = report["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|phase| phase["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        phases,
        [
            "Find the protected VM",
            "Choose the recovery point",
            "Check the target",
            "Restore",
            "Verify",
            "Clean up"
        ]
    );
    assert!(
        result
            .stdout
            .contains("holds the permissions a restore needs"),
        "the target check logs its result: {}",
        result.stdout
    );

    assert!(
        result.summary.contains("### Restore drill: passed"),
        "{}",
        result.summary
    );
    assert!(
        result
            .summary
            .contains("| RPO: recovery point age | 26h 00m 00s |"),
        "{}",
        result.summary
    );
    assert!(
        result.summary.contains("```mermaid\ngantt"),
        "{}",
        result.summary
    );
    assert!(
        drill_disks(&sim).is_empty(),
        "clean-up leaves nothing: {:?}",
        drill_disks(&sim)
    );
    assert_no_token_leak(&sim, &result);
}

#[test]
fn stale_point_fails_rpo_gate() {
    let sim = Simulator::start(drill_scenario(
        &[("333333", 50.0)],
        quick_restore(),
        json!({}),
    ));
    let result = drill_step(&sim)
        .input("max-recovery-point-age", "26h")
        .run();

    assert_eq!(result.code, 1, "{}", result.all_text());
    assert_eq!(result.outputs["drill-result"], "failed");
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("RPO gate failed"), "{}", errors[0]);
    let report = report(&result);
    assert_eq!(report["gates"]["rpo"]["passed"], false);
    assert_eq!(report["restoreJob"], Value::Null);
    assert_eq!(restore_jobs(&sim), 0, "nothing may be restored");
    assert!(drill_disks(&sim).is_empty());
}

#[test]
fn weekly_point_passes_a_weekly_rpo_gate() {
    // A weekly policy's newest point can be six days old; the RPO gate is not capped at the
    // 120h that bounds waits.
    let sim = Simulator::start(drill_scenario(
        &[("444444", 150.0)],
        quick_restore(),
        json!({}),
    ));
    let result = drill_step(&sim)
        .input("max-recovery-point-age", "170h")
        .run();

    assert_eq!(result.code, 0, "{}", result.all_text());
    assert_eq!(result.outputs["drill-result"], "passed");
    assert_eq!(report(&result)["gates"]["rpo"]["passed"], true);
    assert_no_token_leak(&sim, &result);
}

#[test]
fn slow_restore_fails_rto_but_cleans_up() {
    let sim = Simulator::start(drill_scenario(
        &standard_points(),
        json!({"duration_seconds": 6, "outcome": "Completed"}),
        json!({}),
    ));
    let result = drill_step(&sim).input("max-restore-duration", "3s").run();

    assert_eq!(result.code, 1, "{}", result.all_text());
    assert_eq!(result.outputs["drill-result"], "failed");
    let report = report(&result);
    assert_eq!(report["gates"]["rto"]["passed"], false);
    assert!(report["gates"]["rto"]["actualSeconds"].as_u64().unwrap() > 3);
    assert!(report["failureReason"]
        .as_str()
        .unwrap()
        .contains("RTO gate failed"));
    assert_eq!(report["cleanup"]["deleted"].as_array().unwrap().len(), 2);
    assert!(drill_disks(&sim).is_empty(), "{:?}", drill_disks(&sim));
}

#[test]
fn failed_restore_job_fails_drill() {
    let sim = Simulator::start(drill_scenario(
        &standard_points(),
        json!({"duration_seconds": 2, "outcome": "Failed", "error_code": 320001, "error_message": "The staging storage account is not reachable."}),
        json!({}),
    ));
    let result = drill_step(&sim).run();

    assert_eq!(result.code, 1, "{}", result.all_text());
    assert_eq!(result.outputs["drill-result"], "failed");
    let report = report(&result);
    assert_eq!(report["restoreJob"]["status"], "Failed");
    assert_eq!(report["restoreJob"]["errorCode"], "320001");
    assert!(report["failureReason"].as_str().unwrap().contains("320001"));
    assert!(restored_ids(&result).is_empty());
    assert!(drill_disks(&sim).is_empty());
}

#[test]
fn cleanup_never_then_cleanup_operation() {
    let sim = Simulator::start(drill_scenario(
        &standard_points(),
        quick_restore(),
        json!({}),
    ));
    let drill = drill_step(&sim).input("cleanup", "never").run();

    assert_eq!(drill.code, 0, "{}", drill.all_text());
    let ids = restored_ids(&drill);
    assert_eq!(ids.len(), 2);
    assert_eq!(drill_disks(&sim).len(), 2, "cleanup: never keeps the disks");
    let tagged = drill_disks(&sim);
    assert!(
        tagged
            .iter()
            .all(|disk| disk["tags"]["azure-backup-oidc-drill"] == "42"),
        "{tagged:?}"
    );
    assert_eq!(
        report(&drill)["cleanup"]["left"].as_array().unwrap().len(),
        2
    );

    let cleanup = Step::new(&sim)
        .input("operation", "cleanup")
        .unset("INPUT_ITEMS")
        .input(
            "restored-resource-ids",
            &drill.outputs["restored-resource-ids"],
        )
        .run();
    assert_eq!(cleanup.code, 0, "{}", cleanup.all_text());
    assert_eq!(cleanup.outputs["drill-result"], "passed");
    assert_eq!(
        report(&cleanup)["cleanup"]["deleted"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(drill_disks(&sim).is_empty(), "{:?}", drill_disks(&sim));
}

#[test]
fn sigterm_during_cleanup_writes_the_report() {
    let mut scenario = drill_scenario(&standard_points(), quick_restore(), json!({}));
    scenario["faults"] =
        json!([{"service": "arm", "method": "DELETE", "action": {"hang_seconds": 30}}]);
    let sim = Simulator::start(scenario);
    let drill = drill_step(&sim).input("cleanup", "never").run();
    assert_eq!(drill.code, 0, "{}", drill.all_text());

    let (cleanup, exit_delay) = Step::new(&sim)
        .input("operation", "cleanup")
        .unset("INPUT_ITEMS")
        .input(
            "restored-resource-ids",
            &drill.outputs["restored-resource-ids"],
        )
        .run_with_signal(std::time::Duration::from_secs(4), "TERM");

    assert!(
        exit_delay < std::time::Duration::from_secs(5),
        "exit took {exit_delay:?}"
    );
    assert_eq!(cleanup.code, 1, "{}", cleanup.all_text());
    assert_eq!(cleanup.outputs["drill-result"], "failed");
    let report = report(&cleanup);
    assert_eq!(report["operation"], "cleanup");
    assert_eq!(report["result"], "failed");
    let reason = report["failureReason"].as_str().unwrap();
    assert!(reason.contains("SIGTERM"), "{reason}");
    assert!(reason.contains("clean-up again"), "{reason}");
    let last = report["phases"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["name"], "Clean up");
    assert_eq!(last["outcome"], "failed");
    assert_eq!(
        drill_disks(&sim).len(),
        2,
        "the hung delete removed nothing"
    );
    assert_no_token_leak(&sim, &cleanup);
}

#[test]
fn cleanup_refuses_untagged_disk() {
    let sim = Simulator::start(drill_scenario(
        &standard_points(),
        quick_restore(),
        json!({}),
    ));
    let source_disk = sim
        .resources()
        .into_iter()
        .filter_map(|resource| resource["id"].as_str().map(str::to_string))
        .find(|id| {
            id.to_ascii_lowercase()
                .contains("/resourcegroups/rg-app/providers/microsoft.compute/disks/")
        })
        .expect("the source VM's disk is a simulated resource");
    let result = Step::new(&sim)
        .input("operation", "cleanup")
        .unset("INPUT_ITEMS")
        .input("restored-resource-ids", &json!([source_disk]).to_string())
        .run();

    assert_eq!(result.code, 2, "{}", result.all_text());
    assert!(
        result.error_lines()[0].contains("azure-backup-oidc-drill"),
        "{}",
        result.error_lines()[0]
    );
    assert!(
        sim.resources()
            .iter()
            .any(|resource| resource["id"] == source_disk.as_str()),
        "the disk must stay"
    );
}

#[test]
fn validate_only_restores_nothing() {
    let sim = Simulator::start(drill_scenario(
        &standard_points(),
        quick_restore(),
        json!({}),
    ));
    let result = drill_step(&sim).input("validate-only", "true").run();

    assert_eq!(result.code, 0, "{}", result.all_text());
    assert_eq!(result.outputs["drill-result"], "passed");
    assert!(!result.outputs.contains_key("restore-job-id"));
    let report = report(&result);
    assert_eq!(report["validateOnly"], true);
    assert_eq!(report["restoreJob"], Value::Null);
    assert_eq!(restore_jobs(&sim), 0);
    assert!(drill_disks(&sim).is_empty());
    assert!(
        result.summary.contains("validate only"),
        "{}",
        result.summary
    );
}

#[test]
fn validate_only_reports_missing_permission() {
    let sim = Simulator::start(drill_scenario(
        &standard_points(),
        quick_restore(),
        json!({"permissions": {"actions": ["*/read", "Microsoft.Compute/*"], "not_actions": []}}),
    ));
    let result = drill_step(&sim).input("validate-only", "true").run();

    assert_eq!(result.code, 2, "{}", result.all_text());
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("recoveryPoints/restore/action"),
        "{}",
        errors[0]
    );
    assert!(
        errors[0].contains("Microsoft.Resources/tags/write"),
        "{}",
        errors[0]
    );
    assert_eq!(restore_jobs(&sim), 0);
}

#[test]
fn point_chosen_by_time() {
    let sim = Simulator::start(drill_scenario(
        &standard_points(),
        quick_restore(),
        json!({}),
    ));
    let when = time::OffsetDateTime::now_utc() - time::Duration::hours(30);
    let when = when
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let result = drill_step(&sim).input("recovery-point", &when).run();

    assert_eq!(result.code, 0, "{}", result.all_text());
    assert_eq!(
        result.outputs["recovery-point-id"], "333333",
        "newest point at or before {when}"
    );
}

#[test]
fn failing_delete_is_named() {
    let sim = Simulator::start(drill_scenario(
        &standard_points(),
        quick_restore(),
        json!({"failing_deletes": ["vm-app01-datadisk-*"]}),
    ));
    let result = drill_step(&sim).run();

    assert_eq!(result.code, 1, "{}", result.all_text());
    assert_eq!(result.outputs["drill-result"], "failed");
    let report = report(&result);
    let failed = report["cleanup"]["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{failed:?}");
    let failed_id = failed[0]["id"].as_str().unwrap();
    assert!(failed_id.contains("datadisk"), "{failed_id}");
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains(failed_id), "{}", errors[0]);
    let left = drill_disks(&sim);
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["id"], failed_id);
}

#[test]
fn sigterm_during_drill_reports_quickly() {
    let sim = Simulator::start(drill_scenario(
        &standard_points(),
        json!({"duration_seconds": 3600, "outcome": "Completed"}),
        json!({}),
    ));
    let (result, exit_delay) =
        drill_step(&sim).run_with_signal(std::time::Duration::from_secs(5), "TERM");

    assert!(
        exit_delay < std::time::Duration::from_secs(5),
        "exit took {exit_delay:?}"
    );
    assert_eq!(result.code, 1, "{}", result.all_text());
    assert_eq!(result.outputs["drill-result"], "failed");
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("SIGTERM"), "{}", errors[0]);
    assert!(errors[0].contains(TARGET_GROUP), "{}", errors[0]);
    assert!(errors[0].contains("by hand"), "{}", errors[0]);
    assert!(result.summary.contains("Cancelled"), "{}", result.summary);

    // The report is written even so, and names the restore job that goes on in Azure.
    let report = report(&result);
    assert_eq!(report["result"], "failed");
    let job_id = report["restoreJob"]["id"].as_str().expect("restore job ID");
    assert_eq!(result.outputs["restore-job-id"], job_id);
    assert_eq!(report["restoreJob"]["status"], "InProgress");
    let reason = report["failureReason"].as_str().unwrap();
    assert!(reason.contains("SIGTERM"), "{reason}");
    assert!(reason.contains(job_id), "{reason}");
    let last = report["phases"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["name"], "Restore");
    assert_eq!(last["outcome"], "failed");
    assert_no_token_leak(&sim, &result);
}

/// Returns the phase the report marks last, which a cancellation fails.
fn last_phase(report: &Value) -> Value {
    report["phases"].as_array().unwrap().last().unwrap().clone()
}

#[test]
fn cancel_before_restore_job_is_known() {
    // The restore's operation runs for a minute, as Azure's can, so its job is not known yet.
    let sim = Simulator::start(drill_scenario(
        &standard_points(),
        quick_restore(),
        json!({"operation_duration_seconds": 60}),
    ));
    let (result, _) = drill_step(&sim).run_with_signal(std::time::Duration::from_secs(5), "INT");

    assert_eq!(result.code, 1, "{}", result.all_text());
    let report = report(&result);
    assert_eq!(report["restoreJob"], Value::Null);
    assert_eq!(last_phase(&report)["name"], "Restore");
    let reason = report["failureReason"].as_str().unwrap();
    assert!(reason.contains("restore requested"), "{reason}");
    assert!(reason.contains("by hand"), "{reason}");
    assert_eq!(restore_jobs(&sim), 1, "the restore did start in Azure");
    assert_no_token_leak(&sim, &result);
}

#[test]
fn cancel_during_verify_names_the_disks() {
    // The first tag merge succeeds and the second hangs, so one disk is tagged and one is not.
    let mut scenario = drill_scenario(&standard_points(), quick_restore(), json!({}));
    scenario["faults"] = json!([{"service": "arm", "method": "PATCH", "skip": 1,
                                 "action": {"hang_seconds": 60}}]);
    let sim = Simulator::start(scenario);
    let (result, _) = drill_step(&sim).run_with_signal(std::time::Duration::from_secs(9), "TERM");

    assert_eq!(result.code, 1, "{}", result.all_text());
    let report = report(&result);
    assert_eq!(last_phase(&report)["name"], "Verify", "{report}");
    let restored = restored_ids(&result);
    assert_eq!(restored.len(), 2, "{restored:?}");
    let left: Vec<String> = serde_json::from_value(report["cleanup"]["left"].clone()).unwrap();
    assert_eq!(left.len(), 2, "{left:?}");
    assert_eq!(drill_disks(&sim).len(), 2);

    let reason = report["failureReason"].as_str().unwrap();
    assert!(reason.contains("carry the drill tag"), "{reason}");
    assert!(reason.contains("carry no drill tag"), "{reason}");
    let untagged: Vec<Value> = drill_disks(&sim)
        .into_iter()
        .filter(|disk| disk["tags"].get("azure-backup-oidc-drill").is_none())
        .collect();
    assert_eq!(untagged.len(), 1, "{untagged:?}");
    let untagged_id = untagged[0]["id"].as_str().unwrap();
    assert!(reason.contains(untagged_id), "{reason}");
    assert_no_token_leak(&sim, &result);
}

#[test]
fn cancel_keeps_an_earlier_failure() {
    // The RTO gate fails first; the signal comes during the clean-up, whose delete hangs.
    let mut scenario = drill_scenario(
        &standard_points(),
        json!({"duration_seconds": 3, "outcome": "Completed"}),
        json!({}),
    );
    scenario["faults"] =
        json!([{"service": "arm", "method": "DELETE", "action": {"hang_seconds": 60}}]);
    let sim = Simulator::start(scenario);
    let (result, _) = drill_step(&sim)
        .input("max-restore-duration", "1s")
        .run_with_signal(std::time::Duration::from_secs(10), "INT");

    assert_eq!(result.code, 1, "{}", result.all_text());
    let report = report(&result);
    assert_eq!(last_phase(&report)["name"], "Clean up", "{report}");
    let reason = report["failureReason"].as_str().unwrap();
    assert!(reason.starts_with("RTO gate failed"), "{reason}");
    assert!(reason.contains("Cancelled"), "{reason}");
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("Cancelled"), "{}", errors[0]);
    assert_no_token_leak(&sim, &result);
}

#[test]
fn cancel_during_sign_in_writes_the_report() {
    let mut scenario = drill_scenario(&standard_points(), quick_restore(), json!({}));
    scenario["faults"] = json!([{"service": "github", "times": 0, "action": {"hang_seconds": 60}}]);
    let sim = Simulator::start(scenario);
    let (result, _) = drill_step(&sim).run_with_signal(std::time::Duration::from_secs(2), "INT");

    assert_eq!(result.code, 1, "{}", result.all_text());
    assert_eq!(result.outputs["drill-result"], "failed");
    let report = report(&result);
    assert_eq!(report["result"], "failed");
    let reason = report["failureReason"].as_str().unwrap();
    assert!(reason.contains("SIGINT"), "{reason}");
    assert_eq!(restore_jobs(&sim), 0);
    assert_no_token_leak(&sim, &result);
}

#[test]
fn unreadable_restore_job_is_named_at_timeout() {
    let mut scenario = drill_scenario(&standard_points(), quick_restore(), json!({}));
    scenario["faults"] = json!([{"service": "arm", "method": "GET", "path_contains": "/backupJobs/",
                                 "times": 0, "action": {"status": 404}}]);
    let sim = Simulator::start(scenario);
    let result = drill_step(&sim).input("timeout", "15s").run();

    assert_eq!(result.code, 1, "{}", result.all_text());
    let reason = report(&result)["failureReason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("could not be read"), "{reason}");
    let lines = result
        .stdout
        .lines()
        .filter(|line| line.contains("Could not read restore job"))
        .count();
    assert!(lines <= 1, "{lines} lines, one per poll: {}", result.stdout);
    assert_no_token_leak(&sim, &result);
}

#[test]
fn cancel_on_abort_cancels_the_restore_job() {
    for (case, arm_extra) in [
        ("job known", json!({})),
        (
            "job not known yet",
            json!({"operation_duration_seconds": 60}),
        ),
    ] {
        let sim = Simulator::start(drill_scenario(
            &standard_points(),
            json!({"duration_seconds": 3600, "outcome": "Completed"}),
            arm_extra,
        ));
        let (result, exit_delay) = drill_step(&sim)
            .input("cancel-on-abort", "true")
            .run_with_signal(std::time::Duration::from_secs(6), "TERM");

        assert!(
            exit_delay < std::time::Duration::from_secs(5),
            "{case}: exit took {exit_delay:?}"
        );
        assert_eq!(result.code, 1, "{case}: {}", result.all_text());
        assert_eq!(
            sim.arm_posts_ending("/cancel"),
            1,
            "{case}: {}",
            result.stdout
        );
        let report = report(&result);
        let job_id = report["restoreJob"]["id"].as_str().expect("restore job ID");
        let reason = report["failureReason"].as_str().unwrap();
        assert!(
            reason.contains(&format!("asked to cancel restore job {job_id}")),
            "{case}: {reason}"
        );
        assert_no_token_leak(&sim, &result);
    }
}
