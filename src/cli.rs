//! The command line: no argument runs the action from its environment; `demo` runs it against
//! the built-in simulator (feature `simulator`).

use std::path::PathBuf;

use crate::app::{self, ExitCode, RunnerFiles};
use crate::github::OutputSink;

const USAGE: &str = "usage: azure-backup-oidc [demo | --help | --version]

Without arguments, runs the GitHub Action as a workflow step: each input comes from a variable
named INPUT_ and the input's name in upper case with hyphens kept, such as INPUT_CLIENT-ID for
client-id. A shell cannot export such names; use env, for example:

  env 'INPUT_CLIENT-ID=...' 'INPUT_TENANT-ID=...' ... azure-backup-oidc

`demo` starts the built-in simulator and runs a backup, then a restore drill, against it; no
Azure account is needed.

Exit codes: 0 success, 1 a job or drill failed or was still running at the timeout, 2 invalid
input or configuration, 3 sign-in failed, 4 another Azure service error.";

/// Runs the program and returns its exit code.
pub fn main_entry() -> i32 {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => run_action() as i32,
        ["demo"] => run_demo(),
        ["--version" | "-V"] => {
            println!("azure-backup-oidc {}", env!("CARGO_PKG_VERSION"));
            0
        }
        ["--help" | "-h" | "help"] => {
            println!("{USAGE}");
            0
        }
        _ => {
            eprintln!("error: unexpected arguments {args:?}\n\n{USAGE}");
            ExitCode::InvalidInput as i32
        }
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

fn run_action() -> ExitCode {
    let actions = env_var("GITHUB_ACTIONS").as_deref() == Some("true");
    let debug = env_var("RUNNER_DEBUG").as_deref() == Some("1");
    crate::github::init_log(actions, debug);

    // The output and summary files are needed to report even invalid inputs.
    let files = RunnerFiles {
        output: match env_var("GITHUB_OUTPUT") {
            Some(path) if actions => OutputSink::File(PathBuf::from(path)),
            _ => OutputSink::Stdout,
        },
        summary: env_var("GITHUB_STEP_SUMMARY").map(PathBuf::from),
    };

    let config = match crate::config::from_lookup(&|name| std::env::var(name).ok()) {
        Ok(config) => config,
        Err(error) => return app::report_input_error(&files, &error),
    };

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            crate::github::log().error(None, &format!("cannot start the async runtime: {error}"));
            return ExitCode::ServiceError;
        }
    };
    runtime.block_on(app::run(config, files))
}

#[cfg(feature = "simulator")]
fn run_demo() -> i32 {
    crate::demo::run()
}

#[cfg(not(feature = "simulator"))]
fn run_demo() -> i32 {
    eprintln!(
        "error: this build has no simulator; build with the `simulator` feature to run the demo"
    );
    ExitCode::InvalidInput as i32
}
