//! `azure-backup-oidc demo`: starts the simulator with its sample scenario and runs this binary
//! twice, as workflow steps would (inputs in `INPUT_*`, fresh output and summary files): an
//! on-demand backup of every VM, then a restore drill of the first. It prints each step's log,
//! outputs and summary.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::sim::{self, Scenario, SimulatorUrls};

/// Resource group and staging account of the demo's drill; the demo scenario creates both.
const DRILL_TARGET_GROUP: &str = "rg-drill";
const DRILL_STAGING_ACCOUNT: &str = "stdrillstaging";

/// Runs the demo and returns the exit code of the first step that failed, else 0.
pub fn run() -> i32 {
    match run_demo() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("demo failed: {error}");
            crate::app::ExitCode::ServiceError as i32
        }
    }
}

fn run_demo() -> Result<i32, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;

    let work_dir =
        std::env::temp_dir().join(format!("azure-backup-oidc-demo-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&work_dir)
        .map_err(|error| format!("cannot create {}: {error}", work_dir.display()))?;
    let scenario = Scenario::demo();
    let (common, vms) = step_inputs(&scenario);
    let scenario_ids = scenario.ids.clone();
    let backup_vault = scenario.arm.backup_vaults.first().cloned();
    let simulator = runtime
        .block_on(sim::start(scenario, &work_dir))
        .map_err(|error| format!("cannot start the simulator: {error}"))?;
    let urls = simulator.urls.clone();
    println!(
        "Simulator ready on loopback: GitHub {} | Entra {} | ARM {}",
        urls.id_token_request_url, urls.authority_host, urls.resource_manager_endpoint
    );
    println!(
        "The simulator runs on its own clock, so the job times below are simulated. \
         ::add-mask:: lines show *** here, as the runner shows them.\n"
    );

    let mut backup = common.clone();
    backup.push(("INPUT_ITEMS".to_string(), vms.join("\n")));
    let backup_code = run_step(
        "1. Backup of every VM",
        &backup,
        &urls,
        &work_dir.join("backup"),
    )?;

    let mut drill = common;
    let first_vm = vms.first().cloned().unwrap_or_default();
    drill.extend([
        ("INPUT_OPERATION".to_string(), "restore-drill".to_string()),
        ("INPUT_ITEMS".to_string(), first_vm),
        (
            "INPUT_TARGET-RESOURCE-GROUP".to_string(),
            DRILL_TARGET_GROUP.to_string(),
        ),
        (
            "INPUT_STAGING-STORAGE-ACCOUNT".to_string(),
            DRILL_STAGING_ACCOUNT.to_string(),
        ),
        (
            "INPUT_MAX-RECOVERY-POINT-AGE".to_string(),
            "26h".to_string(),
        ),
        ("INPUT_MAX-RESTORE-DURATION".to_string(), "10m".to_string()),
    ]);
    let drill_code = run_step("2. Restore drill", &drill, &urls, &work_dir.join("drill"))?;

    let mut disk_backup = common_inputs(&scenario_ids);
    if let Some(vault) = &backup_vault {
        disk_backup.extend([
            (
                "INPUT_RESOURCE-GROUP".to_string(),
                vault.resource_group.clone(),
            ),
            ("INPUT_VAULT".to_string(), vault.name.clone()),
            ("INPUT_VAULT-TYPE".to_string(), "backup".to_string()),
            ("INPUT_ITEMS".to_string(), sim::DEMO_DISK.to_string()),
            ("INPUT_BACKUP-RULE".to_string(), "BackupDaily".to_string()),
        ]);
    }
    let disk_code = run_step(
        "3. Backup of a managed disk in a Backup vault",
        &disk_backup,
        &urls,
        &work_dir.join("disk-backup"),
    )?;

    drop(simulator);
    runtime.shutdown_background();
    // The folder keeps the drill report and the step files for a look after the demo.
    println!(
        "The steps' files and the drill report are in {}",
        work_dir.display()
    );
    Ok([backup_code, drill_code, disk_code]
        .into_iter()
        .find(|code| *code != 0)
        .unwrap_or(0))
}

/// Runs one step with `inputs`, prints its log, outputs and summary, and returns its exit code.
fn run_step(
    title: &str,
    inputs: &[(String, String)],
    urls: &SimulatorUrls,
    folder: &Path,
) -> Result<i32, String> {
    std::fs::create_dir_all(folder)
        .map_err(|error| format!("cannot create {}: {error}", folder.display()))?;
    let output_file = folder.join("github_output");
    let summary_file = folder.join("step_summary");
    for file in [&output_file, &summary_file] {
        std::fs::write(file, "")
            .map_err(|error| format!("cannot create {}: {error}", file.display()))?;
    }
    println!("=== {title}: the step's log ===\n");

    let executable =
        std::env::current_exe().map_err(|error| format!("cannot find this program: {error}"))?;
    let mut child = Command::new(executable)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .env("RUNNER_TEMP", folder)
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "contoso/backup-drills")
        .env("GITHUB_RUN_ID", "1")
        .env("ACTIONS_ID_TOKEN_REQUEST_URL", &urls.id_token_request_url)
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            &urls.id_token_request_token,
        )
        .env("INPUT_AUTHORITY-HOST", &urls.authority_host)
        .env(
            "INPUT_RESOURCE-MANAGER-ENDPOINT",
            &urls.resource_manager_endpoint,
        )
        .env("INPUT_CA-CERTIFICATES", &urls.ca_file)
        .env("INPUT_POLL-INTERVAL", "1s")
        .env("INPUT_TIMEOUT", "5m")
        .envs(inputs.iter().cloned())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| format!("cannot start the step: {error}"))?;

    // Show the log as the runner would: values registered with ::add-mask:: become ***.
    let mut masks: HashSet<String> = HashSet::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(secret) = line.strip_prefix("::add-mask::") {
                masks.insert(secret.to_string());
                println!("::add-mask::***");
                continue;
            }
            let mut shown = line;
            for secret in &masks {
                shown = shown.replace(secret.as_str(), "***");
            }
            println!("{shown}");
        }
    }
    let status = child
        .wait()
        .map_err(|error| format!("the step did not finish: {error}"))?;
    let code = status.code().unwrap_or(1);

    println!("\n=== {title}: step outputs ===\n");
    print_outputs(&output_file);
    println!("\n=== {title}: job summary ===\n");
    println!(
        "{}",
        std::fs::read_to_string(&summary_file).unwrap_or_default()
    );
    println!("=== {title}: exit code {code} ===\n");
    Ok(code)
}

/// Prints `name = value` for each entry of a `GITHUB_OUTPUT` file in heredoc form.
fn print_outputs(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some((name, delimiter)) = line.split_once("<<") else {
            println!("{line}");
            continue;
        };
        let value: Vec<&str> = lines
            .by_ref()
            .take_while(|line| *line != delimiter)
            .collect();
        println!("{name} = {}", value.join("\n"));
    }
}

/// Returns the inputs every step of the demo passes for the scenario's first vault, and the
/// names of that vault's VMs.
fn step_inputs(scenario: &Scenario) -> (Vec<(String, String)>, Vec<String>) {
    let mut inputs = common_inputs(&scenario.ids);
    let mut vms = Vec::new();
    if let Some(vault) = scenario.arm.vaults.first() {
        vms = vault
            .protected_items
            .iter()
            .map(|item| item.vm_name.clone())
            .collect();
        inputs.push((
            "INPUT_RESOURCE-GROUP".to_string(),
            vault.resource_group.clone(),
        ));
        inputs.push(("INPUT_VAULT".to_string(), vault.name.clone()));
    }
    (inputs, vms)
}

/// Returns the sign-in inputs of every step: the app registration, tenant and subscription.
fn common_inputs(ids: &sim::ScenarioIds) -> Vec<(String, String)> {
    vec![
        ("INPUT_CLIENT-ID".to_string(), ids.client.clone()),
        ("INPUT_TENANT-ID".to_string(), ids.tenant.clone()),
        (
            "INPUT_SUBSCRIPTION-ID".to_string(),
            ids.subscription.clone(),
        ),
    ]
}
