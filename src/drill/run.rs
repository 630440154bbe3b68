//! The restore drill: choose a recovery point, check it against the RPO gate, check the target,
//! restore, wait for the restore job against the RTO gate, verify what it created, and clean up.
//! Every phase is timed for the report; nothing here writes to the runner.

use std::collections::BTreeMap;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::time::Instant;

use super::recorder::Recorder;
use super::report::{
    CleanupFailure, CleanupReport, DrillReport, JobReport, PointReport, ResourceReport,
};
use super::vm_disks::VmDiskRestore;
use super::workload::{RecoveryPoint, RestoreWorkload, RestoredResource};
use crate::arm::resources::{delete_resource, get_resource, merge_tags, COMPUTE_API_VERSION};
use crate::arm::ArmClient;
use crate::backup::{find_items_in_vault, BackupError, JobSnapshot, JobStatus};
use crate::config::{CleanupPolicy, Config, DrillSettings, RecoveryPointChoice};
use crate::report::format_rfc3339;

/// The tag every restored resource gets; `operation: cleanup` deletes only resources that carry
/// it, so a wrong ID cannot delete a production resource.
pub const DRILL_TAG: &str = "azure-backup-oidc-drill";

/// How a drill or clean-up ended, which decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrillVerdict {
    Passed,
    /// A gate, the restore job, verification or clean-up failed.
    Failed,
    /// The target or permissions are wrong: nothing was restored.
    InvalidTarget,
    /// An Azure request failed in a way that is not the drill's verdict.
    ServiceError,
}

/// The result of a drill or clean-up run.
#[derive(Debug, Clone)]
pub struct DrillOutcome {
    pub verdict: DrillVerdict,
    pub report: DrillReport,
}

impl DrillOutcome {
    /// IDs of the resources the restore created.
    pub fn restored_ids(&self) -> Vec<String> {
        self.report
            .restored_resources
            .iter()
            .filter(|resource| !resource.id.is_empty())
            .map(|resource| resource.id.clone())
            .collect()
    }
}

/// Runs `operation: restore-drill`, recording it in `recorder` (made for `restore-drill`). Errors
/// before the drill starts (vault or item not found, sign-in) are returned as [`BackupError`];
/// everything after is in the recorder.
pub async fn run_drill(
    config: &Config,
    arm: &ArmClient,
    recorder: &mut Recorder,
) -> Result<(), BackupError> {
    let settings = config
        .drill
        .as_ref()
        .expect("restore-drill settings are validated with the inputs");

    let start = recorder.begin("Find the protected VM");
    let found = find_items_in_vault(config, arm).await;
    recorder.phase("Find the protected VM", start, found.is_ok());
    let (vault_location, mut items) = found?;
    let item = items.remove(0);
    recorder.report.what.item = Some(item.friendly_name.clone());
    recorder.report.what.source_resource_id = item.source_resource_id.clone();
    let workload = VmDiskRestore {
        vault: config.vault.clone(),
        vault_location,
        item,
    };

    drill_workload(&workload, settings, arm, config.poll_interval, recorder).await;
    Ok(())
}

async fn drill_workload(
    workload: &dyn RestoreWorkload,
    settings: &DrillSettings,
    arm: &ArmClient,
    poll_interval: Duration,
    recorder: &mut Recorder,
) {
    let Some(point) = choose_point(workload, settings, arm, recorder).await else {
        return;
    };

    let start = recorder.begin("Check the target");
    let problems = workload.check_target(arm, settings).await;
    match problems {
        Ok(problems) if problems.is_empty() => {
            tracing::info!(
                "Target resource group {} and staging storage account {} exist, and the \
                 signed-in identity holds the permissions a restore needs",
                settings.target_resource_group,
                settings.staging_storage_account.name
            );
            recorder.phase("Check the target", start, true);
        }
        Ok(problems) => {
            recorder.phase("Check the target", start, false);
            let text: Vec<String> = problems
                .iter()
                .map(|problem| problem.message.clone())
                .collect();
            recorder.fail(DrillVerdict::InvalidTarget, text.join("; "));
            return;
        }
        Err(error) => {
            recorder.phase("Check the target", start, false);
            recorder.fail(DrillVerdict::ServiceError, error.to_string());
            return;
        }
    }
    if settings.validate_only {
        tracing::info!("validate-only: the recovery point, the target and the permissions are ready; nothing was restored");
        return;
    }

    let restored =
        restore_and_verify(workload, settings, arm, &point, poll_interval, recorder).await;
    clean_up(workload, settings, arm, restored, recorder).await;
}

/// Lists the points, picks one as `recovery-point` sets, and applies the RPO gate.
async fn choose_point(
    workload: &dyn RestoreWorkload,
    settings: &DrillSettings,
    arm: &ArmClient,
    recorder: &mut Recorder,
) -> Option<RecoveryPoint> {
    let start = recorder.begin("Choose the recovery point");
    let points = match workload.recovery_points(arm).await {
        Ok(points) => points,
        Err(error) => {
            recorder.phase("Choose the recovery point", start, false);
            recorder.fail(DrillVerdict::ServiceError, error.to_string());
            return None;
        }
    };
    let Some(point) = pick_point(&points, &settings.recovery_point) else {
        recorder.phase("Choose the recovery point", start, false);
        let wanted = match &settings.recovery_point {
            RecoveryPointChoice::Latest => "no recovery point".to_string(),
            RecoveryPointChoice::Name(name) => format!("no recovery point named '{name}'"),
            RecoveryPointChoice::AtOrBefore(when) => {
                format!("no recovery point at or before {}", format_rfc3339(*when))
            }
        };
        recorder.fail(
            DrillVerdict::Failed,
            format!(
                "{} has {wanted} ({} point(s) in the vault); nothing was restored",
                workload.source_name(),
                points.len()
            ),
        );
        return None;
    };

    let age = (OffsetDateTime::now_utc() - point.time)
        .whole_seconds()
        .max(0) as u64;
    tracing::info!(
        "Recovery point {} taken {} ({} s ago, {})",
        point.name,
        format_rfc3339(point.time),
        age,
        point.kind
    );
    recorder.report.what.recovery_point = Some(PointReport {
        name: point.name.clone(),
        id: point.id.clone(),
        time: format_rfc3339(point.time),
        age_seconds: age,
        kind: point.kind.clone(),
    });
    let rpo = &mut recorder.report.gates.rpo;
    rpo.actual_seconds = Some(age);
    if let Some(limit) = rpo.max_seconds {
        let passed = age <= limit;
        rpo.passed = Some(passed);
        if !passed {
            recorder.phase("Choose the recovery point", start, false);
            recorder.fail(
                DrillVerdict::Failed,
                format!(
                    "RPO gate failed: recovery point {} is {age} s old, more than \
                     max-recovery-point-age ({limit} s); nothing was restored",
                    point.name
                ),
            );
            return None;
        }
    }
    recorder.phase("Choose the recovery point", start, true);
    Some(point)
}

/// Picks the newest point, the named one, or the newest at or before a time.
fn pick_point(points: &[RecoveryPoint], choice: &RecoveryPointChoice) -> Option<RecoveryPoint> {
    match choice {
        RecoveryPointChoice::Latest => points.iter().max_by_key(|point| point.time).cloned(),
        RecoveryPointChoice::Name(name) => points.iter().find(|point| &point.name == name).cloned(),
        RecoveryPointChoice::AtOrBefore(when) => points
            .iter()
            .filter(|point| point.time <= *when)
            .max_by_key(|point| point.time)
            .cloned(),
    }
}

/// Restores, waits for the job, applies the RTO gate, tags and verifies what appeared. Returns
/// the restored resources, also when a later step failed, so clean-up can remove them.
async fn restore_and_verify(
    workload: &dyn RestoreWorkload,
    settings: &DrillSettings,
    arm: &ArmClient,
    point: &RecoveryPoint,
    poll_interval: Duration,
    recorder: &mut Recorder,
) -> Vec<RestoredResource> {
    let start = recorder.begin("Restore");
    let before = match workload.target_inventory(arm, settings).await {
        Ok(before) => before,
        Err(error) => {
            recorder.phase("Restore", start, false);
            recorder.fail(DrillVerdict::ServiceError, error.to_string());
            return Vec::new();
        }
    };

    let started = Instant::now();
    recorder.restore_requested = true;
    let job_id = match workload.start_restore(arm, settings, point).await {
        Ok(Ok(job_id)) => job_id,
        Ok(Err((code, message))) => {
            recorder.phase("Restore", start, false);
            recorder.report.restore_job = Some(job_report(
                None,
                None,
                Some((code.clone(), message.clone())),
            ));
            recorder.fail(
                DrillVerdict::Failed,
                format!("the restore could not start: {code}: {message}"),
            );
            return Vec::new();
        }
        Err(error) => {
            recorder.phase("Restore", start, false);
            recorder.fail(
                DrillVerdict::ServiceError,
                format!("the restore could not start: {error}"),
            );
            return Vec::new();
        }
    };
    tracing::info!("{}: restore job {job_id} started", workload.source_name());
    // Known before the wait, so a cancelled drill's report names the job.
    recorder.report.restore_job = Some(job_report(Some(&job_id), None, None));

    let (job, read_error) = match wait_for_job(workload, arm, &job_id, poll_interval).await {
        Ok(job) => (Some(job), None),
        Err(read_error) => (None, read_error),
    };
    let elapsed = started.elapsed().as_secs();
    recorder.report.restore_job = Some(job_report(Some(&job_id), job.as_ref(), None));
    let rto = &mut recorder.report.gates.rto;
    let finished = job.as_ref().is_some_and(|job| job.status.is_terminal());
    if finished {
        rto.actual_seconds = Some(elapsed);
        if let Some(limit) = rto.max_seconds {
            rto.passed = Some(elapsed <= limit);
        }
    } else if rto.max_seconds.is_some() {
        rto.passed = Some(false);
    }

    let job_ok = matches!(
        job.as_ref().map(|job| job.status),
        Some(JobStatus::Completed | JobStatus::CompletedWithWarnings)
    );
    recorder.phase("Restore", start, job_ok);
    match &job {
        None => {
            let state = match read_error {
                Some(error) => format!("could not be read ({error})"),
                None => "was still running".to_string(),
            };
            recorder.fail(
                DrillVerdict::Failed,
                format!(
                    "restore job {job_id} {state} when the run's timeout passed; it may go on in \
                     Azure, and what it restores must be deleted by hand"
                ),
            );
            return Vec::new();
        }
        Some(job) if !job_ok => {
            let detail = match (&job.error_code, &job.error_message) {
                (Some(code), Some(message)) => format!(": {code}: {message}"),
                (Some(code), None) => format!(": {code}"),
                _ => String::new(),
            };
            recorder.fail(
                DrillVerdict::Failed,
                format!("restore job {job_id} ended {}{detail}", job.status.as_str()),
            );
        }
        Some(_) => {}
    }
    if let (Some(false), Some(limit)) = (
        recorder.report.gates.rto.passed,
        recorder.report.gates.rto.max_seconds,
    ) {
        recorder.fail(
            DrillVerdict::Failed,
            format!("RTO gate failed: the restore took {elapsed} s, more than max-restore-duration ({limit} s)"),
        );
    }

    let start = recorder.begin("Verify");
    let restored = match workload.restored_resources(arm, settings, &before).await {
        Ok(restored) => restored,
        Err(error) => {
            recorder.phase("Verify", start, false);
            recorder.fail(DrillVerdict::ServiceError, error.to_string());
            return Vec::new();
        }
    };
    // Recorded before tagging, so a drill cancelled from here on names what it restored.
    recorder.report.restored_resources = restored.iter().map(resource_report).collect();
    tag_restored(arm, &restored, point, workload, recorder).await;
    for resource in &restored {
        match &resource.problem {
            None => tracing::info!(
                "Verified {}: {} GB {}, provisioning Succeeded",
                resource.id,
                resource.size_gb.unwrap_or_default(),
                resource.sku.as_deref().unwrap_or_default()
            ),
            Some(problem) => tracing::warn!("{}: {problem}", display_id(&resource.id)),
        }
    }
    let problems: Vec<String> = restored
        .iter()
        .filter_map(|resource| {
            resource
                .problem
                .as_ref()
                .map(|problem| format!("{}: {problem}", display_id(&resource.id)))
        })
        .collect();
    recorder.report.restored_resources = restored.iter().map(resource_report).collect();
    let verified = job_ok && !restored.is_empty() && problems.is_empty();
    recorder.phase("Verify", start, verified);
    if job_ok && restored.is_empty() {
        recorder.fail(DrillVerdict::Failed, "the restore job completed but no restored resource was found in the target resource group".to_string());
    } else if !problems.is_empty() {
        recorder.fail(
            DrillVerdict::Failed,
            format!("verification failed: {}", problems.join("; ")),
        );
    }
    restored
}

/// Polls the restore job every `poll-interval` until it ends. When the deadline passes first,
/// returns the error of the last read if that read failed.
async fn wait_for_job(
    workload: &dyn RestoreWorkload,
    arm: &ArmClient,
    job_id: &str,
    poll_interval: Duration,
) -> Result<JobSnapshot, Option<String>> {
    let mut last_line: Option<Instant> = None;
    let mut last_error: Option<String>;
    let mut last_error_line: Option<Instant> = None;
    loop {
        match workload.restore_job(arm, job_id).await {
            Ok(job) => {
                let due = last_line.is_none_or(|last| last.elapsed() >= PROGRESS_LINE_INTERVAL);
                if due || job.status.is_terminal() {
                    tracing::info!(
                        "{}: restore job {job_id} {}",
                        workload.source_name(),
                        job.service_status
                    );
                    last_line = Some(Instant::now());
                }
                last_error = None;
                if job.status.is_terminal() {
                    return Ok(job);
                }
            }
            // A log line, at most one per interval: the next poll tries again, and the error of
            // a job never read again goes into the timeout's reason.
            Err(error) => {
                let due =
                    last_error_line.is_none_or(|last| last.elapsed() >= PROGRESS_LINE_INTERVAL);
                if due {
                    tracing::info!("Could not read restore job {job_id}: {error}");
                    last_error_line = Some(Instant::now());
                }
                last_error = Some(error.to_string());
            }
        }
        if arm.deadline().sleep(poll_interval).await.is_err() {
            return Err(last_error);
        }
    }
}

/// Minimum time between two progress lines of the restore job.
const PROGRESS_LINE_INTERVAL: Duration = Duration::from_secs(30);

async fn tag_restored(
    arm: &ArmClient,
    restored: &[RestoredResource],
    point: &RecoveryPoint,
    workload: &dyn RestoreWorkload,
    recorder: &mut Recorder,
) {
    let who = &recorder.report.who;
    let mut tags = BTreeMap::new();
    let run = who.run_id.clone().unwrap_or_else(|| "local".to_string());
    tags.insert(DRILL_TAG.to_string(), run);
    if let Some(repository) = &who.repository {
        tags.insert("drill-repository".to_string(), repository.clone());
    }
    tags.insert(
        "drill-source-item".to_string(),
        workload.source_name().to_string(),
    );
    tags.insert("drill-recovery-point".to_string(), point.name.clone());
    for resource in restored.iter().filter(|resource| !resource.id.is_empty()) {
        match merge_tags(arm, &resource.id, &tags).await {
            Ok(()) => {
                recorder.tagged.insert(resource.id.clone());
            }
            Err(error) => tracing::warn!("Could not tag {}: {error}", resource.id),
        }
    }
}

/// Deletes what the drill restored, as the clean-up policy sets.
async fn clean_up(
    workload: &dyn RestoreWorkload,
    settings: &DrillSettings,
    arm: &ArmClient,
    restored: Vec<RestoredResource>,
    recorder: &mut Recorder,
) {
    let ids: Vec<String> = restored
        .into_iter()
        .filter(|resource| !resource.id.is_empty())
        .map(|resource| resource.id)
        .collect();
    let run = match settings.cleanup {
        CleanupPolicy::Always => true,
        CleanupPolicy::OnSuccess => recorder.report.result == "passed",
        CleanupPolicy::Never => false,
    };
    if !run {
        recorder.report.cleanup.left = ids;
        return;
    }
    let start = recorder.begin("Clean up");
    let failed = delete_all(
        arm,
        &ids,
        workload.delete_api_version(),
        &mut recorder.report.cleanup,
    )
    .await;
    recorder.phase("Clean up", start, failed.is_empty());
    if !failed.is_empty() {
        recorder.fail(
            DrillVerdict::Failed,
            format!("clean-up could not delete {}", failed.join("; ")),
        );
    }
}

/// Deletes each resource, recording the outcome; returns a description of each failure.
async fn delete_all(
    arm: &ArmClient,
    ids: &[String],
    api_version: &str,
    report: &mut CleanupReport,
) -> Vec<String> {
    report.performed = true;
    let mut failed = Vec::new();
    for id in ids {
        match delete_resource(arm, id, api_version).await {
            Ok(()) => {
                tracing::info!("Deleted {id}");
                report.deleted.push(id.clone());
            }
            Err(error) => {
                failed.push(format!("{id} ({})", error.code()));
                report.failed.push(CleanupFailure {
                    id: id.clone(),
                    error: error.to_string(),
                });
                report.left.push(id.clone());
            }
        }
    }
    failed
}

/// Runs `operation: cleanup`, recording it in `recorder` (made for `cleanup`): deletes each
/// listed resource that carries the drill tag.
pub async fn run_cleanup(config: &Config, arm: &ArmClient, recorder: &mut Recorder) {
    let start = recorder.begin("Clean up");
    let mut deletable = Vec::new();
    for id in &config.cleanup_resource_ids {
        match get_resource(arm, id, COMPUTE_API_VERSION).await {
            Ok(None) => {
                tracing::info!("{id} is already gone");
                recorder.report.cleanup.deleted.push(id.clone());
            }
            Ok(Some(resource)) if resource["tags"].get(DRILL_TAG).is_some() => {
                deletable.push(id.clone())
            }
            Ok(Some(_)) => {
                recorder.report.cleanup.left.push(id.clone());
                recorder.fail(
                    DrillVerdict::InvalidTarget,
                    format!("{id} has no '{DRILL_TAG}' tag, so it was not created by a restore drill; it was not deleted"),
                );
            }
            Err(error) => {
                recorder.report.cleanup.left.push(id.clone());
                recorder.fail(DrillVerdict::ServiceError, error.to_string());
            }
        }
    }
    let failed = delete_all(
        arm,
        &deletable,
        COMPUTE_API_VERSION,
        &mut recorder.report.cleanup,
    )
    .await;
    recorder.phase(
        "Clean up",
        start,
        failed.is_empty() && recorder.report.result == "passed",
    );
    if !failed.is_empty() {
        recorder.fail(
            DrillVerdict::ServiceError,
            format!("clean-up could not delete {}", failed.join("; ")),
        );
    }
}

fn job_report(
    id: Option<&str>,
    job: Option<&JobSnapshot>,
    start_error: Option<(String, String)>,
) -> JobReport {
    match (job, start_error) {
        (Some(job), _) => JobReport {
            id: id.map(str::to_string),
            status: job.status.as_str().to_string(),
            service_status: Some(job.service_status.clone()),
            start_time: job.start_time.map(format_rfc3339),
            end_time: job.end_time.map(format_rfc3339),
            duration_seconds: job.duration_seconds,
            error_code: job.error_code.clone(),
            error_message: job.error_message.clone(),
        },
        (None, Some((code, message))) => JobReport {
            id: id.map(str::to_string),
            status: JobStatus::Failed.as_str().to_string(),
            service_status: None,
            start_time: None,
            end_time: None,
            duration_seconds: None,
            error_code: Some(code),
            error_message: Some(message),
        },
        (None, None) => JobReport {
            id: id.map(str::to_string),
            status: JobStatus::InProgress.as_str().to_string(),
            service_status: None,
            start_time: None,
            end_time: None,
            duration_seconds: None,
            error_code: None,
            error_message: None,
        },
    }
}

fn resource_report(resource: &RestoredResource) -> ResourceReport {
    ResourceReport {
        id: resource.id.clone(),
        resource_type: resource.resource_type.clone(),
        size_gb: resource.size_gb,
        sku: resource.sku.clone(),
        provisioning_state: resource.provisioning_state.clone(),
        verified: resource.problem.is_none(),
        problem: resource.problem.clone(),
    }
}

fn display_id(id: &str) -> &str {
    if id.is_empty() {
        "expected disk"
    } else {
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(name: &str, hour: u8) -> RecoveryPoint {
        RecoveryPoint {
            name: name.to_string(),
            id: format!("/x/recoveryPoints/{name}"),
            time: time::macros::datetime!(2026-12-01 00:00:00 UTC)
                + time::Duration::hours(i64::from(hour)),
            kind: "AppConsistent".to_string(),
        }
    }

    #[test]
    fn points_are_picked_by_choice() {
        let points = [point("1", 2), point("2", 10), point("3", 6)];
        assert_eq!(
            pick_point(&points, &RecoveryPointChoice::Latest)
                .unwrap()
                .name,
            "2"
        );
        assert_eq!(
            pick_point(&points, &RecoveryPointChoice::Name("3".into()))
                .unwrap()
                .name,
            "3"
        );
        let when = time::macros::datetime!(2026-12-01 07:00:00 UTC);
        assert_eq!(
            pick_point(&points, &RecoveryPointChoice::AtOrBefore(when))
                .unwrap()
                .name,
            "3"
        );
        let early = time::macros::datetime!(2026-12-01 01:00:00 UTC);
        assert_eq!(
            pick_point(&points, &RecoveryPointChoice::AtOrBefore(early)),
            None
        );
        assert_eq!(pick_point(&[], &RecoveryPointChoice::Latest), None);
    }
}
