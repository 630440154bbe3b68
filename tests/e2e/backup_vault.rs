//! On-demand backups in a Backup vault (`Microsoft.DataProtection/backupVaults`), through the
//! binary against the simulator.

use serde_json::{json, Value};

use crate::support::{assert_no_token_leak, Simulator, Step, StepResult};

const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000003";

/// Builds a scenario with a Backup vault `bv-contoso` in `rg-backup` with one managed-disk instance per entry of
/// `instances`, and `vault_extra` merged into the vault.
fn vault_scenario(instances: Value, vault_extra: Value) -> Value {
    let mut vault = json!({
        "resource_group": "rg-backup",
        "name": "bv-contoso",
        "location": "westeurope",
        "backup_instances": instances,
    });
    if let (Value::Object(vault), Value::Object(extra)) = (&mut vault, vault_extra) {
        vault.extend(extra);
    }
    json!({
        "arm": {
            "operation_retry_after_seconds": 1,
            "operation_duration_seconds": 1,
            "backup_vaults": [vault],
        }
    })
}

fn disk(name: &str, job: Value) -> Value {
    json!({"datasource_name": name, "job": job})
}

fn quick_job() -> Value {
    json!({"duration_seconds": 2, "outcome": "Completed"})
}

/// Prepares a backup step on the Backup vault by name, with the default rule of the simulated
/// policy.
fn vault_step(sim: &Simulator) -> Step<'_> {
    Step::new(sim)
        .input("vault", "bv-contoso")
        .input("vault-type", "backup")
        .input("items", "disk-app01")
        .input("backup-rule", "BackupDaily")
}

/// Returns the paths of the POSTs that the simulated ARM received.
fn post_paths(sim: &Simulator) -> Vec<String> {
    sim.requests_to("arm")
        .into_iter()
        .filter(|request| request["method"] == "POST")
        .map(|request| request["path"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn assert_completed(sim: &Simulator, result: &StepResult) {
    assert_eq!(result.code, 0, "{}", result.all_text());
    assert_eq!(result.outputs["job-status"], "Completed");
    assert_eq!(sim.backup_posts(), 1, "exactly one backup POST");
    assert_no_token_leak(sim, result);
}

#[test]
fn disk_instance_backs_up() {
    let sim = Simulator::start(vault_scenario(
        json!([
            disk("disk-app01", quick_job()),
            disk("disk-app02", quick_job())
        ]),
        json!({}),
    ));
    let result = vault_step(&sim).run();

    assert_completed(&sim, &result);
    assert!(!result.outputs["job-id"].is_empty());
    let paths = post_paths(&sim);
    let path = &paths[0];
    assert!(
        path.contains("/providers/Microsoft.DataProtection/backupVaults/bv-contoso/backupInstances/disk-app01-"),
        "{path}"
    );
    assert!(path.ends_with("/backup"), "{path}");
    // The simulator records the rule and tag of the request it accepted.
    let jobs = sim.jobs();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["rule_name"], "BackupDaily");
    assert_eq!(jobs[0]["retention_tag"], "Default");
    assert!(
        result
            .stdout
            .contains("The vault protects 2 backup instance(s)"),
        "{}",
        result.stdout
    );
    assert!(result.summary.contains("disk-app01"), "{}", result.summary);
}

#[test]
fn vault_id_with_location_scope() {
    let sim = Simulator::start(vault_scenario(
        json!([disk("disk-app01", quick_job())]),
        json!({"operation_job_id_form": "arm_id", "operation_status_scope": "location"}),
    ));
    let vault_id = format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv-contoso"
    );
    let result = vault_step(&sim)
        .input("vault", &vault_id)
        .unset("INPUT_VAULT-TYPE")
        .unset("INPUT_SUBSCRIPTION-ID")
        .unset("INPUT_RESOURCE-GROUP")
        .input("retention-tag", "default")
        .run();

    assert_completed(&sim, &result);
    let job_id = &result.outputs["job-id"];
    assert!(!job_id.contains('/'), "the job ID's last segment: {job_id}");
}

#[test]
fn instance_name_matches_too() {
    let sim = Simulator::start(vault_scenario(
        json!([{"datasource_name": "disk-app01", "name": "disk-app01-instance", "job": quick_job()}]),
        json!({}),
    ));
    let result = vault_step(&sim).input("items", "DISK-APP01-INSTANCE").run();
    assert_completed(&sim, &result);
}

#[test]
fn failed_job_exits_one() {
    let sim = Simulator::start(vault_scenario(
        json!([disk(
            "disk-app01",
            json!({"duration_seconds": 2, "outcome": "Failed", "error_code": 400001,
                   "error_message": "Snapshot of the disk failed"})
        )]),
        json!({}),
    ));
    let result = vault_step(&sim).run();

    assert_eq!(result.code, 1, "{}", result.all_text());
    assert_eq!(result.outputs["job-status"], "Failed");
    assert_no_token_leak(&sim, &result);
}

#[test]
fn unknown_rule_is_reported_once() {
    let sim = Simulator::start(vault_scenario(
        json!([disk("disk-app01", quick_job())]),
        json!({}),
    ));
    let result = vault_step(&sim).input("backup-rule", "BackupYearly").run();

    assert_eq!(result.code, 4, "{}", result.all_text());
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("BackupYearly"), "{}", errors[0]);
    assert_eq!(sim.jobs().len(), 0, "no job may start");
    assert_no_token_leak(&sim, &result);
}

#[test]
fn unknown_instance_lists_the_available() {
    let sim = Simulator::start(vault_scenario(
        json!([disk("disk-app01", quick_job())]),
        json!({}),
    ));
    let result = vault_step(&sim).input("items", "disk-zz").run();

    assert_eq!(result.code, 2, "{}", result.all_text());
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("no protected backup instance is named 'disk-zz'"),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("disk-app01"), "{}", errors[0]);
    assert_eq!(sim.backup_posts(), 0);
}

#[test]
fn kind_specific_inputs_are_checked_first() {
    let sim = Simulator::start(vault_scenario(
        json!([disk("disk-app01", quick_job())]),
        json!({}),
    ));
    let cases: [(&str, Step<'_>, &str); 7] = [
        (
            "if-busy",
            vault_step(&sim).input("if-busy", "wait"),
            "Recovery Services vaults only",
        ),
        (
            "cancel-on-abort",
            vault_step(&sim).input("cancel-on-abort", "true"),
            "go on in Azure",
        ),
        (
            "backup-rule",
            vault_step(&sim).unset("INPUT_BACKUP-RULE"),
            "Missing input 'backup-rule'",
        ),
        (
            "retention-days",
            vault_step(&sim).input("retention-days", "30"),
            "retention-tag",
        ),
        (
            "operation",
            vault_step(&sim)
                .input("operation", "restore-drill")
                .input("target-resource-group", "rg-drill")
                .input("staging-storage-account", "stdrill01"),
            "Recovery Services vaults only",
        ),
        (
            "backup-rule",
            Step::new(&sim).input("backup-rule", "BackupDaily"),
            "Backup vaults only",
        ),
        (
            "vault-type",
            vault_step(&sim).input("vault-type", "data-protection"),
            "recovery-services or backup",
        ),
    ];
    for (input, step, expected) in cases {
        let result = step.run();
        assert_eq!(result.code, 2, "{input}: {}", result.all_text());
        let errors = result.error_lines();
        assert_eq!(errors.len(), 1, "{input}: {errors:?}");
        assert!(errors[0].contains(input), "{}", errors[0]);
        assert!(errors[0].contains(expected), "{input}: {}", errors[0]);
    }
    assert!(
        sim.requests().is_empty(),
        "no request before the inputs are valid"
    );
}

#[test]
fn lost_reply_is_not_resent() {
    let mut scenario = vault_scenario(json!([disk("disk-app01", quick_job())]), json!({}));
    scenario["faults"] = json!([{"service": "arm", "method": "POST", "path_contains": "/backup",
                                 "action": {"reset": "after_body"}}]);
    let sim = Simulator::start(scenario);
    let result = vault_step(&sim).run();

    assert_eq!(result.code, 4, "{}", result.all_text());
    assert_eq!(sim.backup_posts(), 1, "the POST is not sent again");
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("ReplyLost"), "{}", errors[0]);
    assert!(errors[0].contains("backup jobs"), "{}", errors[0]);
    assert_eq!(sim.jobs().len(), 1, "the simulator did start the job");
    assert_no_token_leak(&sim, &result);
}

#[test]
fn sigterm_reports_the_job_in_flight() {
    let sim = Simulator::start(vault_scenario(
        json!([disk(
            "disk-app01",
            json!({"duration_seconds": 3600, "outcome": "Completed"})
        )]),
        json!({}),
    ));
    let (result, exit_delay) =
        vault_step(&sim).run_with_signal(std::time::Duration::from_secs(5), "TERM");

    assert!(
        exit_delay < std::time::Duration::from_secs(5),
        "exit took {exit_delay:?}"
    );
    assert_eq!(result.code, 1, "{}", result.all_text());
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("go on in Azure"), "{}", errors[0]);
    let job_id = result.outputs["job-id"].clone();
    assert!(!job_id.is_empty(), "{}", result.all_text());
    assert!(
        errors[0].contains(&job_id),
        "{} does not name {job_id}",
        errors[0]
    );
    assert_no_token_leak(&sim, &result);
}

#[test]
fn sigint_during_operation_names_the_instance() {
    let mut slow = sim_scenario_with_operation(60);
    slow["arm"]["backup_vaults"][0]["backup_instances"] = json!([disk("disk-app01", quick_job())]);
    let sim = Simulator::start(slow);
    let (result, _) = vault_step(&sim).run_with_signal(std::time::Duration::from_secs(4), "INT");

    assert_eq!(result.code, 1, "{}", result.all_text());
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("backup of disk-app01 may have been requested"),
        "{}",
        errors[0]
    );
    assert_no_token_leak(&sim, &result);
}

/// Returns a one-vault scenario whose backup operations take `seconds` of simulated time.
fn sim_scenario_with_operation(seconds: u64) -> Value {
    let mut scenario = vault_scenario(json!([]), json!({}));
    scenario["arm"]["operation_duration_seconds"] = json!(seconds);
    scenario
}

#[test]
fn two_names_back_up_once() {
    let sim = Simulator::start(vault_scenario(
        json!([{"datasource_name": "disk-app01", "name": "bi-one", "job": quick_job()}]),
        json!({}),
    ));
    let result = vault_step(&sim).input("items", "disk-app01, BI-ONE").run();

    assert_completed(&sim, &result);
    assert!(!result.outputs["job-id"].is_empty(), "one item, one job-id");
}

#[test]
fn ambiguous_and_shared_names_list_instance_names() {
    let sim = Simulator::start(vault_scenario(
        json!([
            {"datasource_name": "disk-a", "friendly_name": "bi-b", "name": "bi-a", "job": quick_job()},
            {"datasource_name": "disk-b", "name": "bi-b", "job": quick_job()},
            {"datasource_name": "web1", "friendly_name": "web", "name": "bi-web1", "job": quick_job()},
            {"datasource_name": "web2", "friendly_name": "web", "name": "bi-web2", "job": quick_job()}
        ]),
        json!({}),
    ));
    let result = vault_step(&sim).input("items", "bi-b, web").run();

    assert_eq!(result.code, 2, "{}", result.all_text());
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("more than one protected backup instance is named 'bi-b', 'web'"),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("web (bi-web1)"), "{}", errors[0]);
    assert_eq!(sim.backup_posts(), 0);
}

#[test]
fn postgres_and_long_instance_names_are_accepted() {
    // A managed disk name can have 80 characters, and its instance name adds a GUID.
    let long_disk = format!("disk-{}", "x".repeat(75));
    let long_instance = format!("{long_disk}-6f1b9c7e-0000-4000-8000-000000000001");
    let sim = Simulator::start(vault_scenario(
        json!([
            {"datasource_name": "pgserver\\db2", "job": quick_job()},
            {"datasource_name": long_disk, "name": long_instance, "job": quick_job()}
        ]),
        json!({}),
    ));
    let result = vault_step(&sim)
        .input("items", &format!("pgserver\\db2\n{long_instance}"))
        .run();

    assert_eq!(result.code, 0, "{}", result.all_text());
    assert_eq!(sim.backup_posts(), 2);
    assert_no_token_leak(&sim, &result);
}

#[test]
fn timeout_during_operation_says_backup_may_run() {
    let sim = Simulator::start({
        let mut scenario = sim_scenario_with_operation(120);
        scenario["arm"]["backup_vaults"][0]["backup_instances"] =
            json!([disk("disk-app01", quick_job())]);
        scenario
    });
    let result = vault_step(&sim).input("timeout", "5s").run();

    assert_eq!(result.code, 1, "{}", result.all_text());
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("may be running"), "{}", errors[0]);
    assert!(!errors[0].contains("could not start"), "{}", errors[0]);
    assert_no_token_leak(&sim, &result);
}

#[test]
fn unreadable_status_and_result_only_job_id() {
    // One malformed operation status, then statuses without properties, as the service's
    // GetOperationStatus example shows: the job comes from the operation result.
    let mut scenario = vault_scenario(
        json!([disk("disk-app01", quick_job())]),
        json!({"operation_status_has_job_id": false}),
    );
    scenario["faults"] = json!([{"service": "arm", "method": "GET",
                                 "path_contains": "/operationStatus/",
                                 "action": {"malformed_json": true}}]);
    let sim = Simulator::start(scenario);
    let result = vault_step(&sim).run();

    assert_completed(&sim, &result);
    let job_id = sim.jobs()[0]["id"].as_str().unwrap().to_string();
    assert!(job_id.ends_with(&result.outputs["job-id"]), "{job_id}");
    let results = sim
        .requests_to("arm")
        .into_iter()
        .filter(|request| {
            request["path"]
                .as_str()
                .is_some_and(|path| path.contains("/operationResults/"))
        })
        .count();
    assert_eq!(results, 1, "the operation result is read once");
}

#[test]
fn action_yml_defaults_are_accepted() {
    // The runner passes every default of action.yml, so none may be an input that a Backup
    // vault rejects.
    let defaults = crate::action_yml::declared_defaults();
    assert!(
        defaults.iter().any(|(name, _)| name == "operation"),
        "parsed defaults: {defaults:?}"
    );
    let sim = Simulator::start(vault_scenario(
        json!([disk("disk-app01", quick_job())]),
        json!({}),
    ));
    let mut step = vault_step(&sim);
    for (name, value) in &defaults {
        if !matches!(name.as_str(), "poll-interval" | "timeout") {
            step = step.input(name, value);
        }
    }
    let result = step.run();
    assert_completed(&sim, &result);
}
