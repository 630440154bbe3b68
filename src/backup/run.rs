//! The backup operation: resolve the requested VMs, trigger one backup after another, then poll
//! all their jobs together until they end or the run's deadline passes.

use std::time::Duration;

use time::OffsetDateTime;
use tokio::time::Instant;

use super::data_protection;
use super::jobs::{JobSnapshot, JobStatus};
use super::recovery_services::{self, ProtectedItem};
use super::start::{start_item_backup, Start};
use crate::arm::{ArmClient, ArmError};
use crate::config::{Config, VaultKind};

/// Minimum time between two progress lines for the same item, so a long job does not flood the log.
const PROGRESS_LINE_INTERVAL: Duration = Duration::from_secs(30);

/// The reason an item's backup did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    pub code: String,
    pub message: String,
    /// True when the backup could not be started (a service error, not a failed job).
    pub not_started: bool,
}

/// One item's result.
#[derive(Debug, Clone)]
pub struct ItemResult {
    /// The VM name as the vault writes it.
    pub item: String,
    pub job_id: Option<String>,
    pub status: JobStatus,
    pub service_status: Option<String>,
    pub start_time: Option<OffsetDateTime>,
    pub end_time: Option<OffsetDateTime>,
    pub duration_seconds: Option<u64>,
    pub error: Option<ItemError>,
    /// The job was already running (a scheduled backup, or another run's) and this run follows it.
    pub attached: bool,
}

impl ItemResult {
    fn pending(item: &ProtectedItem) -> Self {
        Self {
            item: item.friendly_name.clone(),
            job_id: None,
            status: JobStatus::InProgress,
            service_status: None,
            start_time: None,
            end_time: None,
            duration_seconds: None,
            error: None,
            attached: false,
        }
    }

    fn apply(&mut self, job: JobSnapshot) {
        self.status = job.status;
        self.service_status = Some(job.service_status);
        self.start_time = job.start_time;
        self.end_time = job.end_time;
        self.duration_seconds = job.duration_seconds;
        if job.status == JobStatus::Failed || job.error_code.is_some() {
            self.error = Some(ItemError {
                code: job
                    .error_code
                    .unwrap_or_else(|| job.status.as_str().to_string()),
                message: job.error_message.unwrap_or_default(),
                not_started: false,
            });
        }
    }

    fn fail_to_start(&mut self, code: String, message: String) {
        self.status = JobStatus::Failed;
        self.error = Some(ItemError {
            code,
            message,
            not_started: true,
        });
    }
}

/// The results of a backup run.
#[derive(Debug, Clone)]
pub struct BackupOutcome {
    pub items: Vec<ItemResult>,
    /// The run waited for the jobs (`wait: true`).
    pub waited: bool,
    /// The deadline passed while jobs were still running.
    pub timed_out: bool,
    /// The runner cancelled the step (SIGINT or SIGTERM) before the run ended.
    pub cancelled: bool,
    /// The Azure token could not be renewed while waiting for the jobs.
    pub sign_in_failure: Option<crate::identity::SignInError>,
}

impl BackupOutcome {
    /// Returns the worst status over the items (`job-status`).
    pub fn worst_status(&self) -> JobStatus {
        self.items
            .iter()
            .map(|item| item.status)
            .max()
            .unwrap_or(JobStatus::Completed)
    }
}

/// The run stopped before any backup was started.
#[derive(Debug, Clone)]
pub enum BackupError {
    /// The vault does not exist (or the principal cannot see it).
    VaultNotFound {
        vault: String,
        detail: String,
    },
    /// Requested names that match no protected VM (or backup instance), or more than one.
    UnknownItems {
        /// The kind of item the vault protects: "VM" or "backup instance".
        noun: &'static str,
        unknown: Vec<String>,
        ambiguous: Vec<String>,
        available: Vec<String>,
    },
    Arm(ArmError),
}

impl std::fmt::Display for BackupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::VaultNotFound { vault, detail } => write!(
                f,
                "Vault '{vault}' was not found ({detail}). Check the vault, resource-group and \
                 subscription-id inputs."
            ),
            Self::UnknownItems {
                noun,
                unknown,
                ambiguous,
                available,
            } => {
                let mut parts = Vec::new();
                if !unknown.is_empty() {
                    parts.push(format!(
                        "no protected {noun} is named {}",
                        quoted_list(unknown)
                    ));
                }
                if !ambiguous.is_empty() {
                    parts.push(format!(
                        "more than one protected {noun} is named {}",
                        quoted_list(ambiguous)
                    ));
                }
                let available = if available.is_empty() {
                    format!("none: protect a {noun} in this vault first")
                } else {
                    quoted_list(available)
                };
                write!(
                    f,
                    "Invalid input 'items': {}. Protected {noun}s in the vault: {available}. Use \
                     the names as the vault lists them.",
                    parts.join("; ")
                )
            }
            Self::Arm(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for BackupError {}

impl From<ArmError> for BackupError {
    fn from(error: ArmError) -> Self {
        Self::Arm(error)
    }
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("'{name}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs the backup operation of `config` and returns each item's result.
pub async fn run_backup(config: &Config, arm: &ArmClient) -> Result<BackupOutcome, BackupError> {
    let mut results = Vec::new();
    let progress = run_backup_into(config, arm, &mut results).await?;
    Ok(BackupOutcome {
        items: results,
        waited: progress.waited,
        timed_out: progress.timed_out,
        cancelled: false,
        sign_in_failure: progress.sign_in_failure,
    })
}

/// How far a backup run got, beside the item results.
#[derive(Debug, Clone)]
pub struct BackupProgress {
    pub waited: bool,
    pub timed_out: bool,
    /// The Azure token could not be renewed while waiting; the jobs' last status is kept.
    pub sign_in_failure: Option<crate::identity::SignInError>,
}

/// Runs the backup operation, keeping each item's result in `results` as it goes, so a caller
/// that stops the run (on a cancellation signal) can still report what was started.
pub async fn run_backup_into(
    config: &Config,
    arm: &ArmClient,
    results: &mut Vec<ItemResult>,
) -> Result<BackupProgress, BackupError> {
    let log = crate::github::log();

    let group = format!("Find the protected {}s", item_noun(config.vault.kind));
    log.group(&group);
    let items = find_items(config, arm).await;
    log.end_group();
    let items = items?;

    log.group("Start the backups");
    let expiry = OffsetDateTime::now_utc() + time::Duration::days(i64::from(config.retention_days));
    let mut timed_out = false;
    for item in &items {
        // The result is recorded before the POST, so an interrupted run still reports it.
        results.push(ItemResult::pending(item));
        let Some(result) = results.last_mut() else {
            continue;
        };
        if timed_out {
            result.fail_to_start(
                "TimeoutReached".to_string(),
                "not started: the run's timeout was reached first".to_string(),
            );
            continue;
        }
        match start_item_backup(config, arm, item, expiry).await {
            Ok(Start::Started(job_id)) => {
                tracing::info!("{}: backup job {job_id} started", item.friendly_name);
                result.job_id = Some(job_id);
            }
            Ok(Start::Attached(job_id)) => {
                tracing::info!("{}: following backup job {job_id}", item.friendly_name);
                result.job_id = Some(job_id);
                result.attached = true;
            }
            // Log lines: the step's one error annotation names every item that did not start.
            Ok(Start::NotStarted(code, message)) => {
                tracing::info!(
                    "{}: the backup could not start: {code} {message}",
                    item.friendly_name
                );
                result.fail_to_start(code, message);
            }
            Err(ArmError::SignIn(error)) => {
                log.end_group();
                return Err(BackupError::Arm(ArmError::SignIn(error)));
            }
            Err(error) => {
                if matches!(error, ArmError::Deadline { .. }) {
                    timed_out = true;
                }
                tracing::info!(
                    "{}: the backup could not start: {error}",
                    item.friendly_name
                );
                result.fail_to_start(error.code().to_string(), error.to_string());
            }
        }
    }
    log.end_group();

    if !config.wait {
        // Report what is known now; the jobs go on in Azure.
        for result in results.iter_mut() {
            let Some(job_id) = result.job_id.clone() else {
                continue;
            };
            if let Ok(job) = recovery_services::get_job(arm, &config.vault, &job_id).await {
                result.apply(job);
            }
        }
        return Ok(BackupProgress {
            waited: false,
            timed_out,
            sign_in_failure: None,
        });
    }

    log.group("Wait for the backup jobs");
    let waited = wait_for_jobs(config, arm, results).await;
    let sign_in_failure = match &waited {
        Err(WaitStop::SignIn(error)) => Some(error.clone()),
        _ => None,
    };
    log.end_group();
    Ok(BackupProgress {
        waited: true,
        timed_out: timed_out || matches!(waited, Err(WaitStop::Deadline)),
        sign_in_failure,
    })
}

/// Resolves `items` against the vault's protected VMs. A missing vault fails the list itself with
/// 404, so the backup needs no separate read of the vault: one request fewer per run.
pub(crate) async fn find_items(
    config: &Config,
    arm: &ArmClient,
) -> Result<Vec<ProtectedItem>, BackupError> {
    list_and_resolve_items(config, arm).await
}

/// Like [`find_items`], and also returns the vault's location, which takes a read of the vault.
pub(crate) async fn find_items_in_vault(
    config: &Config,
    arm: &ArmClient,
) -> Result<(String, Vec<ProtectedItem>), BackupError> {
    let vault = recovery_services::get_vault(arm, &config.vault)
        .await
        .map_err(|error| vault_error(config, error))?;
    let location = vault
        .get("location")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_string();
    list_and_resolve_items(config, arm)
        .await
        .map(|items| (location, items))
}

async fn list_and_resolve_items(
    config: &Config,
    arm: &ArmClient,
) -> Result<Vec<ProtectedItem>, BackupError> {
    let noun = item_noun(config.vault.kind);
    let listed = match config.vault.kind {
        VaultKind::RecoveryServices => recovery_services::list_vm_items(arm, &config.vault).await,
        VaultKind::Backup => data_protection::list_instances(arm, &config.vault).await,
    };
    let available = listed.map_err(|error| vault_error(config, error))?;
    tracing::info!(
        "The vault protects {} {noun}(s): {}",
        available.len(),
        available
            .iter()
            .map(|item| item.friendly_name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    resolve_items(&config.items, &available, noun)
}

/// Returns what a vault of `kind` protects, as messages name it.
pub(crate) fn item_noun(kind: VaultKind) -> &'static str {
    match kind {
        VaultKind::RecoveryServices => "VM",
        VaultKind::Backup => BACKUP_INSTANCE_NOUN,
    }
}

/// The kind of item a Backup vault protects, as messages name it.
const BACKUP_INSTANCE_NOUN: &str = "backup instance";

/// Turns a 404 from a request on the vault into [`BackupError::VaultNotFound`].
fn vault_error(config: &Config, error: ArmError) -> BackupError {
    match error.status() {
        Some(404) => BackupError::VaultNotFound {
            vault: config.vault.resource_id(),
            detail: match &error {
                ArmError::Service { code, message, .. } => format!("{code}: {message}"),
                other => other.to_string(),
            },
        },
        _ => BackupError::Arm(error),
    }
}

/// Matches each requested name, ignoring case, against the items' `friendlyName`s and their own
/// names (a Backup vault's instance names). `noun` names the kind of item in the error.
pub(crate) fn resolve_items(
    requested: &[String],
    available: &[ProtectedItem],
    noun: &'static str,
) -> Result<Vec<ProtectedItem>, BackupError> {
    let mut found: Vec<ProtectedItem> = Vec::new();
    let mut unknown = Vec::new();
    let mut ambiguous = Vec::new();
    for name in requested {
        // Both names count, so a name that is one item's friendly name and another's own name
        // is ambiguous rather than silently taken as the first.
        let mut matches: Vec<&ProtectedItem> = Vec::new();
        for item in available.iter().filter(|item| {
            item.friendly_name.eq_ignore_ascii_case(name) || item.item.eq_ignore_ascii_case(name)
        }) {
            if !matches
                .iter()
                .any(|seen| seen.id.eq_ignore_ascii_case(&item.id))
            {
                matches.push(item);
            }
        }
        match matches.as_slice() {
            // Two names of one item (its friendly name and its own name) back it up once.
            [item]
                if found
                    .iter()
                    .any(|seen| seen.id.eq_ignore_ascii_case(&item.id)) => {}
            [item] => found.push((*item).clone()),
            [] => unknown.push(name.clone()),
            _ => ambiguous.push(name.clone()),
        }
    }
    if unknown.is_empty() && ambiguous.is_empty() {
        return Ok(found);
    }
    // A Backup vault's instances are listed with their own names too, which tell apart
    // instances that share a friendly name.
    let mut names: Vec<String> = available
        .iter()
        .map(|item| {
            if noun == BACKUP_INSTANCE_NOUN && item.item != item.friendly_name {
                format!("{} ({})", item.friendly_name, item.item)
            } else {
                item.friendly_name.clone()
            }
        })
        .collect();
    names.sort();
    names.dedup();
    Err(BackupError::UnknownItems {
        noun,
        unknown,
        ambiguous,
        available: names,
    })
}

/// Polls every started job each `poll-interval` until all have ended; `Err` when the deadline
/// passed first. A failed poll of one job is logged and retried at the next round, except a
/// sign-in failure, which no later round can cure.
async fn wait_for_jobs(
    config: &Config,
    arm: &ArmClient,
    results: &mut [ItemResult],
) -> Result<(), WaitStop> {
    let started = Instant::now();
    let mut last_progress: Vec<Option<Instant>> = vec![None; results.len()];
    loop {
        for (index, result) in results.iter_mut().enumerate() {
            let Some(job_id) = result.job_id.clone() else {
                continue;
            };
            if result.status.is_terminal() {
                continue;
            }
            match recovery_services::get_job(arm, &config.vault, &job_id).await {
                Ok(job) => result.apply(job),
                Err(ArmError::SignIn(error)) => return Err(WaitStop::SignIn(error)),
                // A log line: the next poll tries again, and a job never read ends as a timeout.
                Err(error) => {
                    tracing::info!("{}: could not read job {job_id}: {error}", result.item)
                }
            }
            let due =
                last_progress[index].is_none_or(|last| last.elapsed() >= PROGRESS_LINE_INTERVAL);
            if due || result.status.is_terminal() {
                // The job's own clock when known: polling may start after the job did.
                let elapsed = result.duration_seconds.or_else(|| {
                    result.start_time.map(|start| {
                        (OffsetDateTime::now_utc() - start).whole_seconds().max(0) as u64
                    })
                });
                tracing::info!(
                    "{}: job {job_id} {}, {} s elapsed",
                    result.item,
                    result.service_status.as_deref().unwrap_or("InProgress"),
                    elapsed.unwrap_or_else(|| started.elapsed().as_secs())
                );
                last_progress[index] = Some(Instant::now());
            }
        }
        let running = results
            .iter()
            .any(|result| result.job_id.is_some() && !result.status.is_terminal());
        if !running {
            return Ok(());
        }
        if arm.deadline().sleep(config.poll_interval).await.is_err() {
            return Err(WaitStop::Deadline);
        }
    }
}

/// The reason waiting for the jobs stopped before they all ended.
enum WaitStop {
    Deadline,
    SignIn(crate::identity::SignInError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str) -> ProtectedItem {
        ProtectedItem {
            id: format!("/x/protectionContainers/c;{name}/protectedItems/i;{name}"),
            friendly_name: name.to_string(),
            container: format!("c;{name}"),
            item: format!("i;{name}"),
            source_resource_id: None,
        }
    }

    #[test]
    fn names_match_ignoring_case() {
        let available = [item("vm-app01"), item("vm-app02")];
        let found = resolve_items(&["VM-APP02".to_string()], &available, "VM").unwrap();
        assert_eq!(found, vec![item("vm-app02")]);
    }

    #[test]
    fn unknown_and_ambiguous_names_list_available() {
        // Two items that share a friendly name live in different containers; ARM IDs compare
        // without regard to case, so their IDs differ by more than case.
        let mut other = item("VM-A");
        other.id = "/x/protectionContainers/c;other/protectedItems/i;VM-A".to_string();
        let available = [item("vm-a"), other, item("vm-b")];
        let error =
            resolve_items(&["vm-a".to_string(), "vm-z".to_string()], &available, "VM").unwrap_err();
        let text = error.to_string();
        assert!(text.contains("no protected VM is named 'vm-z'"), "{text}");
        assert!(
            text.contains("more than one protected VM is named 'vm-a'"),
            "{text}"
        );
        assert!(text.contains("'vm-b'"), "{text}");
    }
}
