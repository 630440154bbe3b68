//! The run from validated inputs to exit code: sign in, run the operation, report, and map
//! every failure to one annotation, one summary section and its documented exit code.

use std::sync::Arc;

use crate::arm::{ArmClient, ArmError};
use crate::backup::{run_backup_into, BackupError, BackupOutcome, JobStatus};
use crate::config::{Config, InputError, Operation, VaultKind};
use crate::deadline::Deadline;
use crate::drill::report::Who;
use crate::drill::{run_cleanup, run_drill, DrillOutcome, DrillVerdict, Recorder};
use crate::github::oidc::OidcClient;
use crate::github::{self, OutputSink};
use crate::identity::{FederatedCredential, SignInError};
use crate::report;

/// The documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Every job completed (with or without warnings), or was started with `wait: false`.
    Success = 0,
    /// A job failed, was cancelled, or was still running at the timeout.
    JobFailed = 1,
    /// Bad input or configuration, including an unknown vault or item; nothing was started.
    InvalidInput = 2,
    /// Sign-in failed: missing OIDC variables, the GitHub token request, or Entra ID.
    SignInFailed = 3,
    /// Any other service error.
    ServiceError = 4,
}

/// A failure that ends the run, with the title of its annotation and summary section.
struct Failure {
    exit: ExitCode,
    title: &'static str,
    message: String,
}

impl Failure {
    fn input(error: &InputError) -> Self {
        Self {
            exit: ExitCode::InvalidInput,
            title: "Invalid input",
            message: error.to_string(),
        }
    }

    fn sign_in(error: &SignInError) -> Self {
        Self {
            exit: ExitCode::SignInFailed,
            title: "Authentication failed",
            message: error.to_string(),
        }
    }

    fn arm(error: &ArmError) -> Self {
        match error {
            ArmError::SignIn(sign_in) => Self::sign_in(sign_in),
            ArmError::Deadline { .. } => Self {
                exit: ExitCode::JobFailed,
                title: "Timeout reached",
                message: error.to_string(),
            },
            _ => Self {
                exit: ExitCode::ServiceError,
                title: "Azure request failed",
                message: error.to_string(),
            },
        }
    }

    fn backup(error: &BackupError) -> Self {
        match error {
            BackupError::VaultNotFound { .. } => Self {
                exit: ExitCode::InvalidInput,
                title: "Vault not found",
                message: error.to_string(),
            },
            BackupError::UnknownItems { .. } => Self {
                exit: ExitCode::InvalidInput,
                title: "Unknown item",
                message: error.to_string(),
            },
            BackupError::Arm(arm) => Self::arm(arm),
        }
    }
}

/// The runner's files, known even when the inputs are invalid.
pub struct RunnerFiles {
    pub output: OutputSink,
    pub summary: Option<std::path::PathBuf>,
}

/// Reports a failure: one error annotation and one summary section.
fn report_failure(files: &RunnerFiles, failure: &Failure) -> ExitCode {
    github::log().error(Some(failure.title), &failure.message);
    append_summary(
        files,
        &report::failure_summary(failure.title, &failure.message),
    );
    failure.exit
}

fn append_summary(files: &RunnerFiles, markdown: &str) {
    if let Some(path) = &files.summary {
        if let Err(error) = github::append_summary(path, markdown) {
            github::log().warning(Some("Job summary not written"), &error.to_string());
        }
    }
}

/// Reports invalid inputs found before the run could start.
pub fn report_input_error(files: &RunnerFiles, error: &InputError) -> ExitCode {
    report_failure(files, &Failure::input(error))
}

/// Runs the configured operation and reports it.
pub async fn run(config: Config, files: RunnerFiles) -> ExitCode {
    let deadline = Deadline::after(config.timeout);
    let log = github::log();

    log.group("Sign in to Azure");
    let signed_in = tokio::select! {
        signed_in = sign_in(&config, deadline) => signed_in,
        signal = crate::signals::cancellation() => {
            log.end_group();
            return report_cancelled_sign_in(&config, &files, signal);
        }
        () = tokio::time::sleep(deadline.remaining()) => Err(Failure {
            exit: ExitCode::SignInFailed,
            title: "Timeout reached",
            message: format!(
                "Sign-in did not finish within the timeout input ({} s); GitHub's token service \
                 or Entra ID did not answer in time. Re-run the job, or raise timeout.",
                config.timeout.as_secs()
            ),
        }),
    };
    log.end_group();
    let (arm, credential) = match signed_in {
        Ok(signed_in) => signed_in,
        Err(failure) => return report_failure(&files, &failure),
    };

    match config.operation {
        Operation::Backup => run_backup_until_cancelled(&config, &arm, &files).await,
        Operation::RestoreDrill => {
            let mut recorder =
                Recorder::new("restore-drill", &config, who(&config, Some(&credential)));
            // The drill's future borrows the recorder; a signal drops that future, and the
            // recorder, with all done so far, still makes the report.
            let finished = tokio::select! {
                result = run_drill(&config, &arm, &mut recorder) => Ok(result),
                signal = crate::signals::cancellation() => Err(signal),
            };
            match finished {
                Ok(Ok(())) => report_drill(&config, &files, &recorder.outcome()),
                Ok(Err(error)) => report_failure(&files, &Failure::backup(&error)),
                Err(signal) => {
                    if config.cancel_on_abort {
                        cancel_restore_in_flight(&config, &arm, &mut recorder).await;
                    }
                    report_drill(&config, &files, &recorder.cancelled(signal))
                }
            }
        }
        Operation::Cleanup => {
            let mut recorder = Recorder::new("cleanup", &config, who(&config, Some(&credential)));
            let finished = tokio::select! {
                () = run_cleanup(&config, &arm, &mut recorder) => None,
                signal = crate::signals::cancellation() => Some(signal),
            };
            let outcome = match finished {
                None => recorder.outcome(),
                Some(signal) => recorder.cancelled(signal),
            };
            report_drill(&config, &files, &outcome)
        }
    }
}

/// Runs the backup, or stops it at the runner's first cancellation signal and reports the jobs
/// started so far with their last known status. Jobs are not cancelled in Azure.
async fn run_backup_until_cancelled(
    config: &Config,
    arm: &ArmClient,
    files: &RunnerFiles,
) -> ExitCode {
    let mut results = Vec::new();
    let finished = tokio::select! {
        progress = run_backup_into(config, arm, &mut results) => Ok(progress),
        signal = crate::signals::cancellation() => Err(signal),
    };
    match finished {
        Ok(Ok(progress)) => {
            let outcome = BackupOutcome {
                items: results,
                waited: progress.waited,
                timed_out: progress.timed_out,
                cancelled: false,
                sign_in_failure: progress.sign_in_failure,
            };
            report_outcome(config, files, &outcome)
        }
        Ok(Err(error)) => report_failure(files, &Failure::backup(&error)),
        Err(signal) => {
            let log = github::log();
            // The run may have stopped inside a group.
            log.end_group();
            let outcome = BackupOutcome {
                items: results,
                waited: config.wait,
                timed_out: false,
                cancelled: true,
                sign_in_failure: None,
            };
            if let Err(error) =
                github::write_outputs(&files.output, &report::backup_outputs(&outcome))
            {
                log.error(Some("Outputs not written"), &error.to_string());
            }
            append_summary(files, &report::backup_summary(config, &outcome));
            let mut outcome = outcome;
            find_jobs_being_started(config, arm, &mut outcome).await;
            let cancels =
                config.cancel_on_abort && config.vault.kind == VaultKind::RecoveryServices;
            if config.cancel_on_abort {
                cancel_jobs_in_flight(config, arm, &outcome).await;
            }
            let started: Vec<String> = outcome
                .items
                .iter()
                .filter_map(|item| {
                    item.job_id
                        .as_ref()
                        .map(|job| format!("{} (job {job})", item.item))
                })
                .collect();
            // A Backup vault's job being started cannot be looked up (see above), so the items
            // whose backup may have been requested are named instead.
            let maybe_requested: Vec<&str> = outcome
                .items
                .iter()
                .filter(|item| {
                    config.vault.kind == VaultKind::Backup
                        && item.job_id.is_none()
                        && item.error.is_none()
                })
                .map(|item| item.item.as_str())
                .collect();
            let maybe_requested = if maybe_requested.is_empty() {
                String::new()
            } else {
                format!(
                    " The backup of {} may have been requested: look in the vault's backup jobs.",
                    maybe_requested.join(", ")
                )
            };
            log.error(
                Some("Cancelled"),
                &format!(
                    "The runner cancelled the step ({signal}). {} {}.{maybe_requested}",
                    if cancels {
                        "Azure Backup was asked to cancel the backups already started:"
                    } else {
                        "Backups already started go on in Azure:"
                    },
                    if started.is_empty() {
                        "none".to_string()
                    } else {
                        started.join(", ")
                    }
                ),
            );
            ExitCode::JobFailed
        }
    }
}

/// Time allowed for cancelling the jobs in flight after a cancellation signal: the runner sends
/// SIGTERM 7.5 s after SIGINT and kills 2.5 s later, and the outputs must be written first.
const CANCEL_REQUESTS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Looks up the job of each item whose backup request was accepted but whose operation was still
/// being followed when the signal came, so the report and `cancel-on-abort` know it.
async fn find_jobs_being_started(config: &Config, arm: &ArmClient, outcome: &mut BackupOutcome) {
    // NOTE: Backup vault jobs are not looked up: the job list's filters are not documented.
    if config.vault.kind == VaultKind::Backup {
        return;
    }
    let lookups = async {
        for item in outcome
            .items
            .iter_mut()
            .filter(|item| item.job_id.is_none() && item.error.is_none())
        {
            if let Ok(Some(job_id)) =
                crate::backup::find_running_backup_job(arm, &config.vault, &item.item).await
            {
                tracing::info!("{}: backup job {job_id} was being started", item.item);
                item.job_id = Some(job_id);
            }
        }
    };
    if tokio::time::timeout(CANCEL_REQUESTS_TIMEOUT, lookups)
        .await
        .is_err()
    {
        tracing::warn!("Looking up the jobs being started took too long");
    }
}

/// Asks Azure Backup to cancel every job still running (`cancel-on-abort: true`), best effort.
async fn cancel_jobs_in_flight(config: &Config, arm: &ArmClient, outcome: &BackupOutcome) {
    // NOTE: no cancel call of Data Protection jobs is documented, so Backup vault jobs go on.
    if config.vault.kind == VaultKind::Backup {
        tracing::info!("Backup vault jobs cannot be cancelled from here; they go on in Azure");
        return;
    }
    let running = outcome
        .items
        .iter()
        .filter(|item| item.status == JobStatus::InProgress)
        .filter_map(|item| item.job_id.as_deref());
    let requests = async {
        for job_id in running {
            match crate::backup::cancel_job(arm, &config.vault, job_id).await {
                Ok(()) => tracing::info!("Asked Azure Backup to cancel job {job_id}"),
                Err(error) => tracing::warn!("Could not cancel job {job_id}: {error}"),
            }
        }
    };
    if tokio::time::timeout(CANCEL_REQUESTS_TIMEOUT, requests)
        .await
        .is_err()
    {
        tracing::warn!("Cancelling the jobs took too long; some may go on in Azure");
    }
}

/// Asks Azure Backup to cancel the restore job of a cancelled drill (`cancel-on-abort: true`),
/// looking the job up when its operation had not named it yet. Best effort, within
/// [`CANCEL_REQUESTS_TIMEOUT`].
async fn cancel_restore_in_flight(config: &Config, arm: &ArmClient, recorder: &mut Recorder) {
    let Some(restore) = recorder.restore_in_flight() else {
        return;
    };
    let request = async {
        let job_id = match (restore.job_id, restore.item) {
            (Some(job_id), _) => Some(job_id),
            (None, Some(item)) => {
                crate::backup::find_running_job(arm, &config.vault, &item, "Restore")
                    .await
                    .ok()
                    .flatten()
            }
            (None, None) => None,
        };
        let Some(job_id) = job_id else {
            tracing::warn!("The restore job to cancel was not found");
            return None;
        };
        match crate::backup::cancel_job(arm, &config.vault, &job_id).await {
            Ok(()) => {
                tracing::info!("Asked Azure Backup to cancel restore job {job_id}");
                Some(job_id)
            }
            Err(error) => {
                tracing::warn!("Could not cancel restore job {job_id}: {error}");
                None
            }
        }
    };
    match tokio::time::timeout(CANCEL_REQUESTS_TIMEOUT, request).await {
        Ok(Some(job_id)) => recorder.record_cancel_request(&job_id),
        Ok(None) => {}
        Err(_) => tracing::warn!("Cancelling the restore job took too long; it may go on in Azure"),
    }
}

/// Reports a run that the runner cancelled during sign-in, when nothing was started in Azure: a
/// drill or clean-up still writes its report.
fn report_cancelled_sign_in(config: &Config, files: &RunnerFiles, signal: &str) -> ExitCode {
    let operation = match config.operation {
        Operation::Backup => {
            return report_failure(
                files,
                &Failure {
                    exit: ExitCode::JobFailed,
                    title: "Cancelled",
                    message: format!(
                        "The runner cancelled the step ({signal}) during sign-in; nothing was \
                         started in Azure."
                    ),
                },
            )
        }
        Operation::RestoreDrill => "restore-drill",
        Operation::Cleanup => "cleanup",
    };
    let recorder = Recorder::new(operation, config, who(config, None));
    report_drill(config, files, &recorder.cancelled(signal))
}

/// Describes the workflow run and the identity that signed in, for the drill report.
fn who(config: &Config, credential: Option<&FederatedCredential>) -> Who {
    let runner = &config.runner;
    let claims = credential.and_then(FederatedCredential::last_claims);
    let repository = runner
        .repository
        .clone()
        .or_else(|| claims.as_ref().map(|claims| claims.repository.clone()))
        .filter(|repository| !repository.is_empty());
    let run_url = match (&runner.server_url, &repository, &runner.run_id) {
        (Some(server), Some(repository), Some(run)) => Some(format!(
            "{}/{repository}/actions/runs/{run}",
            server.trim_end_matches('/')
        )),
        _ => None,
    };
    Who {
        subject: claims.map(|claims| claims.sub),
        repository,
        run_id: runner.run_id.clone(),
        run_attempt: runner.run_attempt.clone(),
        run_url,
    }
}

/// Writes the drill's report file, outputs, summary and annotation, and picks the exit code.
fn report_drill(config: &Config, files: &RunnerFiles, outcome: &DrillOutcome) -> ExitCode {
    let log = github::log();
    let path = report::drill_report_path(config);
    let written = match report::write_drill_report(&path, &outcome.report) {
        Ok(()) => {
            tracing::info!("Drill report written to {}", path.display());
            Some(path.as_path())
        }
        Err(error) => {
            log.error(
                Some("Drill report not written"),
                &format!(
                    "cannot write {}: {error}; check report-path",
                    path.display()
                ),
            );
            None
        }
    };
    if let Err(error) =
        github::write_outputs(&files.output, &report::drill_outputs(outcome, written))
    {
        log.error(Some("Outputs not written"), &error.to_string());
    }
    append_summary(files, &report::drill_summary(outcome));

    let title = if outcome.report.operation == "cleanup" {
        "Drill clean-up failed"
    } else {
        "Restore drill failed"
    };
    if let Some(reason) = &outcome.report.failure_reason {
        log.error(Some(title), reason);
    }
    match outcome.verdict {
        DrillVerdict::Passed => ExitCode::Success,
        DrillVerdict::Failed => ExitCode::JobFailed,
        DrillVerdict::InvalidTarget => ExitCode::InvalidInput,
        DrillVerdict::ServiceError => ExitCode::ServiceError,
    }
}

async fn sign_in(
    config: &Config,
    deadline: Deadline,
) -> Result<(ArmClient, Arc<FederatedCredential>), Failure> {
    let http =
        crate::http::build_client(config.ca_certificates.as_deref()).map_err(|error| Failure {
            exit: ExitCode::InvalidInput,
            title: "Invalid CA bundle",
            message: error.to_string(),
        })?;
    let oidc = OidcClient::new(
        http.clone(),
        config.runner.id_token_request_url.as_deref(),
        config.runner.id_token_request_token.as_ref(),
        &config.cloud.audience,
    )
    .map_err(|error| Failure::sign_in(&SignInError::Oidc(error)))?;
    let credential = Arc::new(FederatedCredential::new(
        http.clone(),
        oidc,
        &config.cloud.authority_host,
        &config.tenant_id,
        &config.client_id,
    ));
    let arm = ArmClient::new(
        http,
        credential.clone(),
        &config.cloud.resource_manager_endpoint,
        &config.cloud.scope,
        deadline,
    );
    arm.sign_in().await.map_err(|error| Failure::arm(&error))?;
    Ok((arm, credential))
}

fn report_outcome(config: &Config, files: &RunnerFiles, outcome: &BackupOutcome) -> ExitCode {
    let log = github::log();
    if let Err(error) = github::write_outputs(&files.output, &report::backup_outputs(outcome)) {
        log.error(Some("Outputs not written"), &error.to_string());
    }
    append_summary(files, &report::backup_summary(config, outcome));

    if let Some(error) = &outcome.sign_in_failure {
        log.error(
            Some("Authentication failed"),
            &format!(
                "The Azure token could not be renewed while waiting for the jobs: {error} The \
                 jobs may still be running in Azure; their last known status is in the outputs."
            ),
        );
        return ExitCode::SignInFailed;
    }
    let mut exit = ExitCode::Success;
    for item in &outcome.items {
        let job = item.job_id.as_deref().unwrap_or("not started");
        match (&item.error, item.status) {
            (Some(error), _) if error.not_started && error.code != "TimeoutReached" => {
                log.error(
                    Some("Backup not started"),
                    &format!("{}: {}: {}", item.item, error.code, error.message),
                );
                exit = ExitCode::ServiceError;
            }
            (_, JobStatus::Failed | JobStatus::Cancelled) => {
                let detail = item
                    .error
                    .as_ref()
                    .map(|error| format!(": {}: {}", error.code, error.message))
                    .unwrap_or_default();
                log.error(
                    Some("Backup job failed"),
                    &format!(
                        "{}: job {job} ended {}{detail}. See the job in the Azure portal for \
                         the full error and recommendations",
                        item.item,
                        item.status.as_str()
                    ),
                );
                exit = exit.max_severity(ExitCode::JobFailed);
            }
            (_, JobStatus::InProgress) if outcome.waited => {
                log.error(
                    Some("Timeout reached"),
                    &format!(
                        "{}: job {job} was still running when the run's timeout passed; it goes \
                         on in Azure. Raise the timeout input to wait longer",
                        item.item
                    ),
                );
                exit = exit.max_severity(ExitCode::JobFailed);
            }
            (_, JobStatus::CompletedWithWarnings) => log.warning(
                Some("Backup completed with warnings"),
                &format!("{}: job {job} completed with warnings", item.item),
            ),
            _ => {}
        }
    }
    exit
}

impl ExitCode {
    /// Returns the more severe exit code. A service error outranks a failed job, because it
    /// means the run itself could not do its work.
    fn max_severity(self, other: ExitCode) -> ExitCode {
        let rank = |code: ExitCode| match code {
            ExitCode::Success => 0,
            ExitCode::JobFailed => 1,
            _ => 2,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}
