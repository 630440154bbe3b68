//! `azure-backup-oidc demo`: starts the simulator with its sample scenario, runs this binary
//! as a workflow step would (inputs in `INPUT_*`, temporary output and summary files), and
//! prints the step's log, outputs and summary.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::sim::{self, Scenario};

/// Runs the demo and returns the step's exit code.
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
    let step_env = step_inputs(&scenario);
    let simulator = runtime
        .block_on(sim::start(scenario, &work_dir))
        .map_err(|error| format!("cannot start the simulator: {error}"))?;
    let urls = &simulator.urls;

    let output_file = work_dir.join("github_output");
    let summary_file = work_dir.join("step_summary");
    for file in [&output_file, &summary_file] {
        std::fs::write(file, "")
            .map_err(|error| format!("cannot create {}: {error}", file.display()))?;
    }

    println!(
        "Simulator ready: GitHub {} | Entra {} | ARM {}\n",
        urls.id_token_request_url, urls.authority_host, urls.resource_manager_endpoint
    );
    println!("Running the action as a workflow step would:\n");

    let executable =
        std::env::current_exe().map_err(|error| format!("cannot find this program: {error}"))?;
    let mut command = Command::new(executable);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .env("RUNNER_TEMP", &work_dir)
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
        .envs(step_env)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = command
        .spawn()
        .map_err(|error| format!("cannot start the step: {error}"))?;

    // Show the log as the runner would: mask values registered with ::add-mask::.
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

    println!("\n--- Step outputs ({}) ---", output_file.display());
    print_outputs(&output_file);
    println!("\n--- Job summary ({}) ---", summary_file.display());
    println!(
        "{}",
        std::fs::read_to_string(&summary_file).unwrap_or_default()
    );
    println!("--- Exit code: {code} ---");

    drop(simulator);
    runtime.shutdown_background();
    let _ = std::fs::remove_dir_all(&work_dir);
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

/// Returns the inputs a workflow would pass for the scenario's first vault and all its VMs.
fn step_inputs(scenario: &Scenario) -> Vec<(String, String)> {
    let mut inputs = vec![
        ("INPUT_CLIENT-ID".to_string(), scenario.ids.client.clone()),
        ("INPUT_TENANT-ID".to_string(), scenario.ids.tenant.clone()),
        (
            "INPUT_SUBSCRIPTION-ID".to_string(),
            scenario.ids.subscription.clone(),
        ),
    ];
    if let Some(vault) = scenario.arm.vaults.first() {
        let items: Vec<&str> = vault
            .protected_items
            .iter()
            .map(|item| item.vm_name.as_str())
            .collect();
        inputs.push((
            "INPUT_RESOURCE-GROUP".to_string(),
            vault.resource_group.clone(),
        ));
        inputs.push(("INPUT_VAULT".to_string(), vault.name.clone()));
        inputs.push(("INPUT_ITEMS".to_string(), items.join("\n")));
    }
    inputs
}
