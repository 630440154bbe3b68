//! Inputs and runner environment, read once into one validated, plain-data [`Config`].
//!
//! Nothing below this module reads the process environment: `main` passes a lookup function in,
//! so tests can build a `Config` from a map.

mod backup_vault;
mod certificates;
mod cloud;
mod drill;
mod duration;
mod inputs;
mod items;
mod resource;
mod validate;

pub use backup_vault::{BackupRule, DEFAULT_RETENTION_TAG};
pub use cloud::{parse_https_endpoint, Cloud, CloudProfile};
pub use drill::{CleanupPolicy, DrillSettings, RecoveryPointChoice, ResourceId, DELETABLE_TYPE};
pub use duration::{
    format_duration, parse_duration, parse_duration_up_to, DurationError, MAX_DURATION,
};
pub use inputs::{js_trim, parse_bool_input};
pub use resource::{VaultId, VaultIdError, VaultKind};

use std::path::PathBuf;
use std::time::Duration;

/// The operation the step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Backup,
    /// Restore a recovery point into an isolated resource group, check it, and clean up.
    RestoreDrill,
    /// Delete the resources a previous drill left (`restored-resource-ids`).
    Cleanup,
}

/// The policy for a backup when a backup job is already running for an item (`if-busy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfBusy {
    /// Follow the running job and report it as this run's.
    Attach,
    /// Wait for the running job to end, then start this run's backup.
    Wait,
    /// Fail the item without starting anything.
    Fail,
}

/// Everything the run needs, validated before any network call.
#[derive(Debug, Clone)]
pub struct Config {
    /// Application (client) ID of the Entra app registration, a lower-case GUID.
    pub client_id: String,
    /// Directory (tenant) ID: a GUID or a domain such as `contoso.onmicrosoft.com`.
    pub tenant_id: String,
    /// Endpoints, token scope and OIDC audience, after `environment` and the overrides.
    pub cloud: CloudProfile,
    /// Extra PEM bundle trusted besides the system roots (`ca-certificates`, else `SSL_CERT_FILE`).
    pub ca_certificates: Option<PathBuf>,
    pub operation: Operation,
    pub vault: VaultId,
    /// Protected VM names as given (trimmed, empty entries dropped, duplicates removed).
    pub items: Vec<String>,
    /// Days the on-demand recovery point is kept (1 to 9999).
    pub retention_days: u32,
    /// Wait for the jobs to finish (`wait`).
    pub wait: bool,
    /// Deadline for the whole run (`timeout`).
    pub timeout: Duration,
    /// Interval between job polls (`poll-interval`).
    pub poll_interval: Duration,
    /// Policy when a backup is already running for an item (`if-busy`).
    pub if_busy: IfBusy,
    /// Cancel the Azure jobs in flight when the runner cancels the step (`cancel-on-abort`).
    pub cancel_on_abort: bool,
    /// Rule and retention tag of on-demand backups in a Backup vault (`backup-rule`,
    /// `retention-tag`); `None` for a Recovery Services vault.
    pub backup_rule: Option<BackupRule>,
    /// Settings of `operation: restore-drill`.
    pub drill: Option<DrillSettings>,
    /// Resource IDs to delete with `operation: cleanup`.
    pub cleanup_resource_ids: Vec<String>,
    /// Path of the JSON report (`report-path`, else a file under `RUNNER_TEMP`).
    pub report_path: Option<PathBuf>,
    pub runner: RunnerEnv,
}

/// The runner's own variables (not inputs).
#[derive(Debug, Clone, Default)]
pub struct RunnerEnv {
    /// `GITHUB_ACTIONS=true`: write workflow commands; otherwise plain text.
    pub in_actions: bool,
    /// `RUNNER_DEBUG=1`.
    pub debug: bool,
    /// `ACTIONS_ID_TOKEN_REQUEST_URL`, `None` when unset or empty.
    pub id_token_request_url: Option<String>,
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, `None` when unset or empty. A secret.
    pub id_token_request_token: Option<crate::secret::SecretString>,
    /// `GITHUB_OUTPUT`.
    pub output_file: Option<PathBuf>,
    /// `GITHUB_STEP_SUMMARY`.
    pub summary_file: Option<PathBuf>,
    /// `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`, `GITHUB_RUN_ID`: for links in the summary.
    pub server_url: Option<String>,
    pub repository: Option<String>,
    pub run_id: Option<String>,
    /// `GITHUB_RUN_ATTEMPT`.
    pub run_attempt: Option<String>,
    /// `RUNNER_TEMP`: the default folder of the drill report.
    pub temp_dir: Option<PathBuf>,
}

/// One invalid input: its name, the value given, what is accepted and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    pub input: String,
    pub given: String,
    pub accepted: String,
    pub fix: String,
}

/// All the invalid inputs found in one pass, so a user fixes them in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub problems: Vec<InputProblem>,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, problem) in self.problems.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            if problem.given.is_empty() {
                write!(
                    f,
                    "Missing input '{}' (variable INPUT_{}); accepted: {}. {}",
                    problem.input,
                    problem.input.to_ascii_uppercase(),
                    problem.accepted,
                    problem.fix
                )?;
            } else {
                write!(
                    f,
                    "Invalid input '{}': got '{}'; accepted: {}. {}",
                    problem.input, problem.given, problem.accepted, problem.fix
                )?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// Reads every input (`INPUT_<NAME>`) and runner variable through `lookup` and validates them.
pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Config, InputError> {
    inputs::read(lookup)
}
