//! Hostile inputs, hostile server replies, scripted faults and signals, run through the binary.
//!
//! The tests that pass guard behaviour that is correct today. Each test marked
//! `#[ignore = "bug: …"]` shows an open defect, so it fails now and should pass once the defect is
//! fixed. Run those with `cargo test --test e2e adversarial -- --ignored`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::backup::scenario;
use crate::support::{assert_no_token_leak, Simulator, Step, StepResult, TempDir};

const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000003";
const DRILL_GROUP: &str = "rg-drill";

/// Maximum wait for the simulator to finish a job that the step left behind.
const SIMULATOR_JOB_WAIT: Duration = Duration::from_secs(30);

fn item(name: &str, job: Value) -> Value {
    json!({"vm_name": name, "vm_resource_group": "rg-app", "job": job})
}

fn quick_job() -> Value {
    json!({"duration_seconds": 2, "outcome": "Completed"})
}

fn long_job() -> Value {
    json!({"duration_seconds": 3600, "outcome": "Completed"})
}

fn with_faults(mut scenario: Value, faults: Value) -> Value {
    scenario["faults"] = faults;
    scenario
}

fn drill_step(sim: &Simulator) -> Step<'_> {
    Step::new(sim)
        .input("operation", "restore-drill")
        .input("target-resource-group", DRILL_GROUP)
        .input("staging-storage-account", "stdrillstaging")
}

fn disk_id(group: &str, name: &str) -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/{group}/providers/Microsoft.Compute/disks/{name}")
}

/// Splits stdout where the runner's .NET `ReadLine` ends a line, at CR, LF or CRLF.
fn runner_lines(stdout: &str) -> Vec<&str> {
    stdout
        .split("\r\n")
        .flat_map(|part| part.split(['\r', '\n']))
        .collect()
}

/// Returns the lines the runner would parse as a workflow command: `::` after leading whitespace,
/// or the legacy `##[` marker anywhere.
fn command_lines(stdout: &str) -> Vec<&str> {
    runner_lines(stdout)
        .into_iter()
        .filter(|line| line.trim_start().starts_with("::") || line.contains("##["))
        .collect()
}

/// Returns the command lines other than the ones this binary writes on purpose.
fn unexpected_commands(stdout: &str) -> Vec<&str> {
    const OWN: [&str; 7] = [
        "::error::",
        "::error title=",
        "::warning::",
        "::warning title=",
        "::add-mask::",
        "::group::",
        "::endgroup::",
    ];
    command_lines(stdout)
        .into_iter()
        .filter(|line| !OWN.iter().any(|own| line.starts_with(own)))
        .collect()
}

fn jobs_output(result: &StepResult) -> Vec<Value> {
    let text = result.outputs.get("jobs").expect("jobs output");
    serde_json::from_str::<Value>(text)
        .expect("jobs output is JSON")
        .as_array()
        .cloned()
        .expect("jobs output is an array")
}

/// Returns the simulator's jobs of one `operation` (`Backup` or `Restore`).
fn simulator_jobs(sim: &Simulator, operation: &str) -> Vec<Value> {
    sim.jobs()
        .into_iter()
        .filter(|job| job["operation"] == operation)
        .collect()
}

/// Waits until no restore job of the simulator is still running.
fn wait_for_restores(sim: &Simulator) {
    let started = Instant::now();
    while simulator_jobs(sim, "Restore")
        .iter()
        .any(|job| job["status"] == "InProgress")
    {
        assert!(
            started.elapsed() < SIMULATOR_JOB_WAIT,
            "the simulator's restore job did not end within {SIMULATOR_JOB_WAIT:?}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Returns the IDs of the managed disks in the drill's target group.
fn drill_disk_ids(sim: &Simulator) -> Vec<String> {
    sim.resources()
        .iter()
        .filter_map(|resource| resource["id"].as_str())
        .filter(|id| {
            id.contains(&format!("/resourceGroups/{DRILL_GROUP}/"))
                && id.contains("/Microsoft.Compute/disks/")
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn hostile_inputs_fail_before_network() {
    let sim = Simulator::start(scenario(json!([item("vm-app01", quick_job())])));
    let long_name = "x".repeat(5000);
    let compute_id = format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-backup/providers/Microsoft.Compute/virtualMachines/rsv-contoso"
    );
    let vault_with_extra_segment = format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-contoso/backupJobs/x"
    );
    let cases: Vec<(&str, &str)> = vec![
        ("items", "../vm-app01"),
        ("items", "vm-app01/../x"),
        ("items", "vm-app01?x=1"),
        ("items", "vm-app01#x"),
        ("items", "vm-app01\r::error::pwned"),
        ("items", "vm-app01\u{85}::error::next-line"),
        ("items", "##[error]x"),
        ("items", &long_name),
        ("vault", "rsv-contoso/../x"),
        ("vault", "rsv-contoso\r\n::error::injected"),
        ("vault", "rsv-cont\u{43e}so"),
        ("vault", &compute_id),
        ("vault", &vault_with_extra_segment),
        ("resource-group", "rg%2Fbackup"),
        ("resource-group", "rg-backup?x"),
        ("resource-group", "rg."),
        ("tenant-id", "common"),
        ("tenant-id", "127.0.0.1"),
        ("tenant-id", "contoso.example/x"),
        ("authority-host", "http://127.0.0.1:1/"),
        ("authority-host", "https://user:password@127.0.0.1:1/"),
        ("authority-host", "https://127.0.0.1:1/?q=1"),
        ("authority-host", "https://127.0.0.1:1/#fragment"),
        ("authority-host", "https://127.0.0.1:99999/"),
        ("authority-host", "file:///etc/passwd"),
        ("resource-manager-endpoint", "http://127.0.0.1:1/"),
        ("timeout", "0s"),
        ("timeout", "120h1s"),
        ("timeout", "99999999999999999999h"),
        ("timeout", "1.5h"),
        ("timeout", "1H"),
        ("timeout", "\u{ff11}h"),
        ("poll-interval", "3m"),
        ("retention-days", "0"),
        ("retention-days", "10000"),
        ("retention-days", "+30"),
        ("retention-days", "4294967296"),
        ("wait", "yes"),
        ("wait", "tRUE"),
        ("cancel-on-abort", "1"),
        ("if-busy", "Attach"),
        ("operation", "Backup"),
        ("environment", "AzureGermanCloud"),
        ("audience", "x\ny"),
        ("ca-certificates", "/"),
        ("ca-certificates", "/dev/null"),
    ];

    for (name, value) in cases {
        let preview: String = value.chars().take(40).collect();
        let result = Step::new(&sim).input(name, value).run();

        assert_eq!(result.code, 2, "{name}={preview:?}: {}", result.all_text());
        let errors = result.error_lines();
        assert_eq!(errors.len(), 1, "{name}={preview:?}: {errors:?}");
        assert!(
            errors[0].contains(name),
            "{name}={preview:?}: {}",
            errors[0]
        );
        let commands = command_lines(&result.stdout);
        assert_eq!(commands.len(), 1, "{name}={preview:?}: {commands:?}");
        assert!(
            sim.requests().is_empty(),
            "{name}={preview:?} sent a request"
        );
    }
}

#[test]
fn bom_and_nbsp_around_inputs_are_trimmed() {
    let sim = Simulator::start(scenario(json!([item("vm-app01", quick_job())])));
    let result = Step::new(&sim)
        .input("items", "\u{feff}vm-app01\u{a0}")
        .input("wait", "\u{feff}True ")
        .input("retention-days", " 30\u{a0}")
        .run();

    assert_eq!(result.code, 0, "{}", result.all_text());
    assert_eq!(result.outputs["job-status"], "Completed");
}

#[test]
fn hostile_item_names_stay_inert() {
    let names = ["::error::pwned", "vm<script>alert(1)<b>", "vm | a | b"];
    let failed = json!({"duration_seconds": 2, "outcome": "Failed", "error_code": 7,
                        "error_message": "boom\r\n::set-output name=x::y"});
    let items: Vec<Value> = names
        .iter()
        .map(|name| item(name, failed.clone()))
        .collect();
    let sim = Simulator::start(scenario(Value::Array(items)));
    let result = Step::new(&sim).input("items", &names.join("\n")).run();

    assert_eq!(result.code, 1, "{}", result.all_text());
    let unexpected = unexpected_commands(&result.stdout);
    assert!(unexpected.is_empty(), "{unexpected:?}");
    assert_eq!(
        result.error_lines().len(),
        names.len(),
        "{:?}",
        result.error_lines()
    );
    assert!(!result.summary.contains("<script>"), "{}", result.summary);
    assert!(!result.summary.contains("vm | a | b"), "{}", result.summary);
    let reported: Vec<Value> = jobs_output(&result)
        .iter()
        .map(|job| job["item"].clone())
        .collect();
    assert_eq!(reported, names.map(Value::from).to_vec());
    assert_no_token_leak(&sim, &result);
}

#[test]
fn hostile_cleanup_ids_fail_before_network() {
    let sim = Simulator::start(scenario(json!([item("vm-app01", quick_job())])));
    let vm_id = format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-app01"
    );
    let vault_id = format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-contoso"
    );
    let cases = [
        "not json".to_string(),
        "{}".to_string(),
        "null".to_string(),
        "[1]".to_string(),
        json!(disk_id(DRILL_GROUP, "d1")).to_string(),
        json!([format!("{}/extra", disk_id(DRILL_GROUP, "d1"))]).to_string(),
        json!([vm_id]).to_string(),
        json!([vault_id]).to_string(),
        json!([disk_id(DRILL_GROUP, "..")]).to_string(),
        json!([disk_id(DRILL_GROUP, "d1%2F..")]).to_string(),
        json!([format!(
            "{}/../../../../resourceGroups/rg-app",
            disk_id(DRILL_GROUP, "d1")
        )])
        .to_string(),
        json!(["//subscriptions/x"]).to_string(),
        format!("{}garbage", json!([disk_id(DRILL_GROUP, "d1")])),
    ];

    for ids in cases {
        let result = Step::new(&sim)
            .input("operation", "cleanup")
            .unset("INPUT_ITEMS")
            .input("restored-resource-ids", &ids)
            .run();

        assert_eq!(result.code, 2, "{ids}: {}", result.all_text());
        let errors = result.error_lines();
        assert_eq!(errors.len(), 1, "{ids}: {errors:?}");
        assert!(
            errors[0].contains("restored-resource-ids"),
            "{ids}: {}",
            errors[0]
        );
        assert!(sim.requests().is_empty(), "{ids} sent a request");
    }
}

#[test]
fn tokens_never_leak_on_failure_paths() {
    let drill = json!([{
        "vm_name": "vm-app01",
        "vm_resource_group": "rg-app",
        "restore": {"duration_seconds": 2, "outcome": "Failed", "error_code": 9, "error_message": "restore failed"}
    }]);
    let cases = [
        (
            "GitHub 401",
            json!([{"service": "github", "times": 0, "action": {"status": 401}}]),
            false,
        ),
        (
            "Entra 400",
            json!([{"service": "entra", "times": 0, "action": {"status": 400}}]),
            false,
        ),
        (
            "ARM 403",
            json!([{"service": "arm", "method": "GET", "times": 0, "action": {"status": 403}}]),
            false,
        ),
        (
            "ARM token always expired",
            json!([{"service": "arm", "times": 0, "action": {"expire_token": true}}]),
            false,
        ),
        ("failed restore drill", json!([]), true),
    ];
    for (label, faults, is_drill) in cases {
        let sim = Simulator::start(with_faults(scenario(drill.clone()), faults));
        let step = if is_drill {
            drill_step(&sim)
        } else {
            Step::new(&sim)
        };
        let result = step.var("RUNNER_DEBUG", "1").run();

        assert_ne!(result.code, 0, "{label}: {}", result.all_text());
        assert_no_token_leak(&sim, &result);
    }
}

#[test]
fn next_link_off_endpoint_gets_no_token() {
    let fake = FakeArm::start();
    let sim = Simulator::start(json!({
        "arm": {"token_audiences": [format!("{}/", fake.url)], "operation_retry_after_seconds": 1}
    }));
    let dir = TempDir::new("fake-arm-ca");
    let bundle = dir.path().join("bundle.pem");
    let sim_ca = std::fs::read_to_string(sim.url("ca_file")).unwrap();
    std::fs::write(&bundle, format!("{sim_ca}{}", fake.ca_pem)).unwrap();

    let result = Step::new(&sim)
        .input("resource-manager-endpoint", &fake.url)
        .input("ca-certificates", &bundle.display().to_string())
        .run();

    assert!(
        fake.pages_served() >= 1,
        "the fake ARM endpoint served no page: {}",
        result.all_text()
    );
    assert_eq!(
        fake.bearer_tokens_leaked(),
        0,
        "the ARM token was sent to the plain-http host named by nextLink"
    );
}

#[test]
fn unreadable_backup_operation_keeps_job() {
    let sim = Simulator::start(with_faults(
        scenario(json!([item("vm-app01", long_job())])),
        json!([{"service": "arm", "method": "GET", "path_contains": "/operationsStatus/",
                "action": {"malformed_json": true}}]),
    ));
    let result = Step::new(&sim).input("wait", "false").run();

    let backups = simulator_jobs(&sim, "Backup");
    assert_eq!(backups.len(), 1, "the POST started one backup: {backups:?}");
    assert_eq!(
        result.outputs.get("job-id").map(String::as_str),
        backups[0]["id"].as_str(),
        "{}",
        result.all_text()
    );
}

#[test]
fn timeout_during_backup_operation_keeps_job() {
    let mut slow = scenario(json!([item("vm-app01", long_job())]));
    slow["arm"]["operation_duration_seconds"] = json!(120);
    let sim = Simulator::start(slow);
    let result = Step::new(&sim).input("timeout", "10s").run();

    assert_eq!(result.code, 1, "{}", result.all_text());
    assert_eq!(simulator_jobs(&sim, "Backup").len(), 1);
    assert_eq!(
        result.outputs["job-status"],
        "InProgress",
        "{}",
        result.all_text()
    );
}

#[test]
fn unreadable_restore_operation_cleans_up() {
    let sim = Simulator::start(with_faults(
        scenario(json!([item("vm-app01", quick_job())])),
        json!([{"service": "arm", "method": "GET", "path_contains": "/operationsStatus/",
                "action": {"malformed_json": true}}]),
    ));
    let result = drill_step(&sim).run();
    wait_for_restores(&sim);

    assert_eq!(
        simulator_jobs(&sim, "Restore").len(),
        1,
        "{}",
        result.all_text()
    );
    let left = drill_disk_ids(&sim);
    assert!(
        left.is_empty(),
        "cleanup: always left {left:?}; restored-resource-ids was {:?}",
        result.outputs.get("restored-resource-ids")
    );
}

#[test]
fn signal_during_backup_operation_cancels_job() {
    let mut slow = scenario(json!([item("vm-app01", long_job())]));
    slow["arm"]["operation_duration_seconds"] = json!(60);
    let sim = Simulator::start(slow);
    let (result, exit_delay) = Step::new(&sim)
        .input("cancel-on-abort", "true")
        .run_with_signal(Duration::from_secs(5), "INT");

    assert!(
        exit_delay < Duration::from_secs(5),
        "exit took {exit_delay:?}"
    );
    assert_eq!(
        simulator_jobs(&sim, "Backup").len(),
        1,
        "{}",
        result.all_text()
    );
    assert_eq!(
        sim.arm_posts_ending("/cancel"),
        1,
        "cancel-on-abort must cancel the backup that the POST started: {}",
        result.all_text()
    );
}

#[test]
fn signal_during_sign_in_writes_summary() {
    let sim = Simulator::start(with_faults(
        scenario(json!([item("vm-app01", quick_job())])),
        json!([{"service": "github", "times": 0, "action": {"hang_seconds": 120}}]),
    ));
    let (result, exit_delay) = Step::new(&sim).run_with_signal(Duration::from_secs(2), "TERM");

    assert!(
        exit_delay < Duration::from_secs(5),
        "exit took {exit_delay:?}"
    );
    assert!(
        (1..=4).contains(&result.code),
        "the binary must exit on its own, got {}",
        result.code
    );
    assert!(!result.summary.is_empty(), "no job summary was written");
    assert_eq!(result.error_lines().len(), 1, "{:?}", result.error_lines());
}

#[test]
fn signal_during_cleanup_writes_report() {
    let sim = Simulator::start(with_faults(
        scenario(json!([item("vm-app01", quick_job())])),
        json!([{"service": "arm", "method": "GET", "path_contains": "/disks/",
                "action": {"hang_seconds": 120}}]),
    ));
    let (result, exit_delay) = Step::new(&sim)
        .input("operation", "cleanup")
        .unset("INPUT_ITEMS")
        .input(
            "restored-resource-ids",
            &json!([disk_id(DRILL_GROUP, "d1")]).to_string(),
        )
        .run_with_signal(Duration::from_secs(3), "TERM");

    assert!(
        exit_delay < Duration::from_secs(5),
        "exit took {exit_delay:?}"
    );
    assert!(
        (1..=4).contains(&result.code),
        "the binary must exit on its own, got {}",
        result.code
    );
    assert!(!result.summary.is_empty(), "no job summary was written");
    assert!(
        result.outputs.contains_key("drill-result"),
        "{:?}",
        result.outputs
    );
}

#[test]
#[ignore = "bug: disks restored after a cancelled drill carry no drill tag, so operation: cleanup refuses them; the message now says to delete them by hand"]
fn cancelled_drill_disks_can_be_cleaned_up() {
    let sim = Simulator::start(scenario(json!([{
        "vm_name": "vm-app01",
        "vm_resource_group": "rg-app",
        "restore": {"duration_seconds": 8, "outcome": "Completed"}
    }])));
    let (drill, _) = drill_step(&sim).run_with_signal(Duration::from_secs(5), "TERM");
    assert_eq!(drill.code, 1, "{}", drill.all_text());
    wait_for_restores(&sim);
    let left = drill_disk_ids(&sim);
    assert!(!left.is_empty(), "the restore created no disk");

    let cleanup = Step::new(&sim)
        .input("operation", "cleanup")
        .unset("INPUT_ITEMS")
        .input("restored-resource-ids", &json!(left).to_string())
        .run();

    assert_eq!(cleanup.code, 0, "{}", cleanup.all_text());
    assert!(drill_disk_ids(&sim).is_empty());
}

#[test]
fn hung_arm_request_ends_at_timeout() {
    let sim = Simulator::start(with_faults(
        scenario(json!([item("vm-app01", quick_job())])),
        json!([{"service": "arm", "method": "GET", "path_contains": "/backupJobs/", "times": 0,
                "action": {"hang_seconds": 300}}]),
    ));
    let started = Instant::now();
    let result = Step::new(&sim).input("timeout", "15s").run();
    let elapsed = started.elapsed();

    assert_eq!(result.code, 1, "{}", result.all_text());
    assert!(
        elapsed < Duration::from_secs(25),
        "timeout 15s, but the run took {elapsed:?}"
    );
}

#[test]
fn hung_token_service_ends_at_timeout() {
    let sim = Simulator::start(with_faults(
        scenario(json!([item("vm-app01", quick_job())])),
        json!([{"service": "github", "times": 0, "action": {"hang_seconds": 300}}]),
    ));
    let started = Instant::now();
    let result = Step::new(&sim).input("timeout", "15s").run();
    let elapsed = started.elapsed();

    assert_eq!(result.code, 3, "{}", result.all_text());
    assert!(
        elapsed < Duration::from_secs(25),
        "timeout 15s, but the run took {elapsed:?}"
    );
}

#[test]
fn unwritable_report_path_fails_before_network() {
    let sim = Simulator::start(scenario(json!([item("vm-app01", quick_job())])));
    let folder = TempDir::new("report-folder");
    let result = drill_step(&sim)
        .input("report-path", &folder.path().display().to_string())
        .run();

    assert_eq!(result.code, 2, "{}", result.all_text());
    assert!(sim.requests().is_empty(), "the drill ran anyway");
}

#[test]
fn source_vm_group_rejected_as_target() {
    let sim = Simulator::start(scenario(json!([item("vm-app01", quick_job())])));
    let result = drill_step(&sim)
        .input("target-resource-group", "rg-app")
        .run();

    assert_eq!(result.code, 2, "{}", result.all_text());
    assert_eq!(sim.arm_posts_ending("/restore"), 0, "a restore was started");
}

#[test]
fn throttled_backup_post_is_retried() {
    let mut throttled = scenario(json!([
        item("vm-app01", quick_job()),
        item("vm-app02", quick_job())
    ]));
    throttled["arm"]["throttle"] = json!({"writes": {"bucket": 1, "refill_per_second": 0.2}});
    let sim = Simulator::start(throttled);
    let result = Step::new(&sim).input("items", "vm-app01\nvm-app02").run();

    assert_eq!(result.code, 0, "{}", result.all_text());
    assert_eq!(simulator_jobs(&sim, "Backup").len(), 2);
}

#[test]
fn rejected_token_refresh_fails_sign_in() {
    let sim = Simulator::start(with_faults(
        scenario(json!([item("vm-app01", quick_job())])),
        json!([
            {"service": "arm", "method": "GET", "path_contains": "/backupJobs/", "action": {"expire_token": true}},
            {"service": "entra", "method": "POST", "skip": 1, "times": 0, "action": {"status": 400}}
        ]),
    ));
    let result = Step::new(&sim).input("timeout", "30s").run();

    assert_eq!(result.code, 3, "{}", result.all_text());
    let exchanges = sim
        .requests_to("entra")
        .iter()
        .filter(|request| request["method"] == "POST")
        .count();
    assert!(exchanges <= 3, "{exchanges} token exchanges");
}

#[test]
fn retry_past_deadline_is_not_announced() {
    let sim = Simulator::start(with_faults(
        scenario(json!([item("vm-app01", quick_job())])),
        json!([{"service": "arm", "method": "GET", "path_contains": "/backupJobs/",
                "action": {"status": 503, "retry_after": "86400"}}]),
    ));
    let result = Step::new(&sim).input("timeout", "20s").run();

    assert_eq!(result.code, 0, "{}", result.all_text());
    assert!(!result.stdout.contains("in 86400 s"), "{}", result.stdout);
}

#[test]
fn server_markdown_stays_inert_in_summary() {
    let message =
        "boom ![pixel](https://tracker.example/p.png) [fix it here](https://phish.example)";
    let sim = Simulator::start(scenario(json!([item(
        "vm-app01",
        json!({"duration_seconds": 2, "outcome": "Failed", "error_code": 7, "error_message": message})
    )])));
    let result = Step::new(&sim).run();

    assert_eq!(result.code, 1, "{}", result.all_text());
    assert!(
        !result.summary.contains("](https://tracker.example"),
        "{}",
        result.summary
    );
    assert!(
        !result.summary.contains("](https://phish.example"),
        "{}",
        result.summary
    );
}

#[test]
fn huge_server_error_stays_within_limits() {
    let message = format!("{}\n", "A".repeat(1000)).repeat(3000);
    let sim = Simulator::start(scenario(json!([item(
        "vm-app01",
        json!({"duration_seconds": 2, "outcome": "Failed", "error_code": 7, "error_message": message})
    )])));
    let result = Step::new(&sim).run();

    assert_eq!(result.code, 1, "exit {}", result.code);
    // GitHub Docs limit the outputs of a job to 1 MB.
    assert!(
        result.output_file.len() < 1024 * 1024,
        "the output file has {} bytes",
        result.output_file.len()
    );
    let longest_line = result
        .stdout
        .lines()
        .map(str::len)
        .max()
        .unwrap_or_default();
    assert!(
        longest_line < 64 * 1024,
        "a log line has {longest_line} bytes"
    );
}

#[test]
fn endpoint_with_trailing_junk_is_invalid() {
    let sim = Simulator::start(scenario(json!([item("vm-app01", quick_job())])));
    let endpoint = format!("{}/ junk", sim.url("authority_host"));
    let result = Step::new(&sim).input("authority-host", &endpoint).run();

    assert_eq!(result.code, 2, "{}", result.all_text());
    assert!(sim.requests().is_empty(), "a request was sent");
}

#[test]
fn missing_point_message_reads_well() {
    let sim = Simulator::start(scenario(json!([item("vm-app01", quick_job())])));
    let result = drill_step(&sim).input("recovery-point", "1").run();

    assert_eq!(result.code, 1, "{}", result.all_text());
    let errors = result.error_lines();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(!errors[0].contains("has no a "), "{}", errors[0]);
}

#[test]
fn percent_in_item_name_backs_up() {
    let name = "vm%41pp";
    let sim = Simulator::start(scenario(json!([item(name, quick_job())])));
    let result = Step::new(&sim).input("items", name).run();

    assert_eq!(result.code, 0, "{}", result.all_text());
    assert_eq!(result.outputs["job-status"], "Completed");
}

/// A stand-in ARM endpoint over TLS on loopback. It replies to every protected-item list with an
/// empty page whose `nextLink` names a plain-http listener on another port, and that listener
/// records the `Authorization` headers it receives.
struct FakeArm {
    url: String,
    ca_pem: String,
    pages: Arc<Mutex<usize>>,
    leaked: Arc<Mutex<Vec<String>>>,
}

/// Maximum size, in bytes, of a request head that either listener reads.
const FAKE_HEAD_LIMIT: usize = 64 * 1024;

/// Maximum wait of either listener for a request head.
const FAKE_READ_TIMEOUT: Duration = Duration::from_secs(10);

impl FakeArm {
    fn start() -> Self {
        let leaked = Arc::new(Mutex::new(Vec::new()));
        let plain = TcpListener::bind("127.0.0.1:0").unwrap();
        let next_link = format!("http://{}/leak", plain.local_addr().unwrap());
        let record = leaked.clone();
        std::thread::spawn(move || {
            for mut stream in plain.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(FAKE_READ_TIMEOUT));
                let head = read_head(&mut stream);
                if let Some(value) = head_header(&head, "authorization") {
                    record.lock().unwrap().push(value);
                }
                write_json(&mut stream, r#"{"value": []}"#);
            }
        });

        let (ca_pem, config) = fake_tls_config();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let pages = Arc::new(Mutex::new(0));
        let served = pages.clone();
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let _ = tcp.set_read_timeout(Some(FAKE_READ_TIMEOUT));
                let Ok(connection) = rustls::ServerConnection::new(config.clone()) else {
                    continue;
                };
                let mut tls = rustls::StreamOwned::new(connection, tcp);
                let head = read_head(&mut tls);
                let body = if head.contains("backupProtectedItems") {
                    *served.lock().unwrap() += 1;
                    json!({"value": [], "nextLink": next_link}).to_string()
                } else {
                    "{}".to_string()
                };
                write_json(&mut tls, &body);
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        });

        Self {
            url,
            ca_pem,
            pages,
            leaked,
        }
    }

    fn pages_served(&self) -> usize {
        *self.pages.lock().unwrap()
    }

    fn bearer_tokens_leaked(&self) -> usize {
        self.leaked
            .lock()
            .unwrap()
            .iter()
            .filter(|value| value.to_ascii_lowercase().starts_with("bearer "))
            .count()
    }
}

/// Builds a CA and a server certificate for 127.0.0.1 signed by it, and the rustls server
/// configuration (HTTP/1.1 only). Returns the CA's PEM with the configuration.
fn fake_tls_config() -> (String, Arc<rustls::ServerConfig>) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
    };
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca_params = CertificateParams::default();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "adversarial test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_pem = ca_params.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut server_params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    server_params.is_ca = IsCa::ExplicitNoCa;
    server_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server_params.use_authority_key_identifier_extension = true;
    let certificate = server_params.signed_by(&server_key, &issuer).unwrap();

    let private_key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certificate.der().clone()], private_key)
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (ca_pem, Arc::new(config))
}

/// Reads an HTTP request head (up to the blank line), at most [`FAKE_HEAD_LIMIT`] bytes.
fn read_head(stream: &mut impl Read) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while head.len() < FAKE_HEAD_LIMIT && !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Returns the value of header `name` (lower case) in a request head.
fn head_header(head: &str, name: &str) -> Option<String> {
    let headers: BTreeMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(key, value)| (key.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    headers.get(name).cloned()
}

fn write_json(stream: &mut impl Write, body: &str) {
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes());
    let _ = stream.flush();
}
