//! Backup jobs: their status on the simulated clock, the `AzureIaaSVMJob` resource, and
//! `GET {vault}/backupJobs/{job}` and the filtered, paged `GET {vault}/backupJobs`.

use hyper::StatusCode;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

use super::filter;
use super::paging::select_page;
use super::path::VaultPath;
use super::resources::{find_vault, vault_id};
use super::response::arm_error;
use super::restore;
use crate::sim::clock::configured_seconds;
use crate::sim::format;
use crate::sim::http::{SimRequest, SimResponse};
use crate::sim::scenario::JobOutcome;
use crate::sim::state::BackupJob;
use crate::sim::Simulator;

/// `errorDetails[0].errorCode` of a failed job whose scenario gives none. An illustrative value:
/// the real codes are numeric `AzureIaaSVMErrorInfo` codes that vary by cause.
const DEFAULT_FAILURE_CODE: i64 = 400002;
const DEFAULT_FAILURE_MESSAGE: &str =
    "Snapshot operation failed because the VM agent is not responding.";

/// Simulated time from a cancel request until the job is `Cancelled`. The service does not
/// document how long cancelling takes; one second lets a test see the `Cancelling` state.
pub(crate) const CANCEL_DURATION_SECONDS: i64 = 1;

/// A job's status at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JobState {
    /// The job `status` value: `InProgress`, `Cancelling`, `Completed`, `CompletedWithWarnings`,
    /// `Failed` or `Cancelled`.
    pub(crate) status: &'static str,
    /// The outcome once the job has finished.
    pub(crate) outcome: Option<JobOutcome>,
    pub(crate) ended_at: Option<OffsetDateTime>,
    /// Time from the start to now, or to the end once finished.
    pub(crate) elapsed: Duration,
}

/// Derives a job's state at `now` from its start, its scenario and a cancel request.
pub(crate) fn job_state(job: &BackupJob, now: OffsetDateTime) -> JobState {
    // A cancel request is only recorded while the job runs, so it wins over the planned outcome.
    if let Some(requested_at) = job.cancel_requested_at.filter(|at| now >= *at) {
        let cancelled_at = requested_at + Duration::seconds(CANCEL_DURATION_SECONDS);
        return if now >= cancelled_at {
            JobState {
                status: "Cancelled",
                outcome: Some(JobOutcome::Cancelled),
                ended_at: Some(cancelled_at),
                elapsed: (cancelled_at - job.started_at).max(Duration::ZERO),
            }
        } else {
            JobState {
                status: "Cancelling",
                outcome: None,
                ended_at: None,
                elapsed: (now - job.started_at).max(Duration::ZERO),
            }
        };
    }
    let planned_duration = configured_seconds(job.plan.duration_seconds);
    let planned_end = job.started_at + planned_duration;
    let finished = job.plan.outcome != JobOutcome::Never && now >= planned_end;
    if finished {
        JobState {
            status: outcome_status(job.plan.outcome),
            outcome: Some(job.plan.outcome),
            ended_at: Some(planned_end),
            elapsed: planned_duration,
        }
    } else {
        JobState {
            status: "InProgress",
            outcome: None,
            ended_at: None,
            elapsed: (now - job.started_at).max(Duration::ZERO),
        }
    }
}

/// Returns the job `status` that the service writes for `outcome`, in both vault kinds.
pub(crate) fn outcome_status(outcome: JobOutcome) -> &'static str {
    match outcome {
        JobOutcome::Completed => "Completed",
        JobOutcome::CompletedWithWarnings => "CompletedWithWarnings",
        JobOutcome::Failed => "Failed",
        JobOutcome::Cancelled => "Cancelled",
        JobOutcome::Never => "InProgress",
    }
}

/// Builds the job resource in the shape of the service's `JobDetails_Get` example, always with
/// `extendedInfo.tasksList` (the Azure CLI's `az backup job wait` fails without it).
pub(crate) fn job_resource(simulator: &Simulator, job: &BackupJob, now: OffsetDateTime) -> Value {
    let vault = &simulator.scenario.arm.vaults[job.vault];
    let item = &vault.protected_items[job.item];
    let state = job_state(job, now);

    let mut properties = serde_json::Map::new();
    properties.insert("jobType".to_owned(), json!("AzureIaaSVMJob"));
    properties.insert(
        "duration".to_owned(),
        json!(format::iso8601_duration(state.elapsed)),
    );
    if state.status == "InProgress" {
        properties.insert("actionsInfo".to_owned(), json!(["Cancellable"]));
    }
    properties.insert("virtualMachineVersion".to_owned(), json!("Compute"));
    let extended_info = match &job.restore {
        Some(details) => json!({
            "tasksList": restore::task_list(job, &state),
            "propertyBag": restore::property_bag(job, details, &state, &item.vm_name),
        }),
        None => json!({
            "tasksList": task_list(job, &state),
            "propertyBag": { "VM Name": item.vm_name },
        }),
    };
    properties.insert("extendedInfo".to_owned(), extended_info);
    properties.insert("entityFriendlyName".to_owned(), json!(item.vm_name));
    properties.insert("backupManagementType".to_owned(), json!("AzureIaasVM"));
    properties.insert("operation".to_owned(), json!(job.operation()));
    properties.insert("status".to_owned(), json!(state.status));
    properties.insert(
        "startTime".to_owned(),
        json!(format::dotnet_utc(job.started_at)),
    );
    if let Some(ended_at) = state.ended_at {
        properties.insert("endTime".to_owned(), json!(format::dotnet_utc(ended_at)));
    }
    properties.insert("activityId".to_owned(), json!(job.activity_id));
    if let Some(error_details) = error_details(job, &state) {
        properties.insert("errorDetails".to_owned(), error_details);
    }

    json!({
        "id": format!("{}/backupJobs/{}", vault_id(simulator, vault), job.id),
        "name": job.id,
        "type": "Microsoft.RecoveryServices/vaults/backupJobs",
        "properties": properties,
    })
}

/// Builds the two tasks of a VM backup. The snapshot takes the first half of the job, the transfer
/// the second half.
fn task_list(job: &BackupJob, state: &JobState) -> Value {
    let half = configured_seconds(job.plan.duration_seconds) / 2;
    let task = |id: &str, duration: Duration, status: &str| json!({ "taskId": id, "duration": format::iso8601_duration(duration), "status": status });
    let (snapshot, transfer) = match state.outcome {
        None if state.elapsed < half => (
            task("Take Snapshot", state.elapsed, "InProgress"),
            task("Transfer data to vault", Duration::ZERO, "NotStarted"),
        ),
        None => (
            task("Take Snapshot", half, "Completed"),
            task("Transfer data to vault", state.elapsed - half, "InProgress"),
        ),
        Some(JobOutcome::Failed) => (
            task("Take Snapshot", state.elapsed, "Failed"),
            task("Transfer data to vault", Duration::ZERO, "NotStarted"),
        ),
        Some(JobOutcome::Cancelled) => (
            task("Take Snapshot", half, "Completed"),
            task("Transfer data to vault", state.elapsed - half, "Cancelled"),
        ),
        Some(_) => (
            task("Take Snapshot", half, "Completed"),
            task("Transfer data to vault", state.elapsed - half, "Completed"),
        ),
    };
    json!([snapshot, transfer])
}

/// `errorDetails` of a failed job, and of a job completed with warnings when the scenario names
/// the warning.
fn error_details(job: &BackupJob, state: &JobState) -> Option<Value> {
    let plan = &job.plan;
    let default_message = match job.restore {
        Some(_) => restore::DEFAULT_FAILURE_MESSAGE,
        None => DEFAULT_FAILURE_MESSAGE,
    };
    let (code, message) = match state.outcome {
        Some(JobOutcome::Failed) => (
            plan.error_code.unwrap_or(DEFAULT_FAILURE_CODE),
            plan.error_message
                .clone()
                .unwrap_or_else(|| default_message.to_owned()),
        ),
        Some(JobOutcome::CompletedWithWarnings)
            if plan.error_code.is_some() || plan.error_message.is_some() =>
        {
            (
                plan.error_code.unwrap_or(DEFAULT_FAILURE_CODE),
                plan.error_message.clone().unwrap_or_default(),
            )
        }
        _ => return None,
    };
    Some(json!([{
        "errorCode": code,
        "errorString": message,
        "errorTitle": plan.error_title.clone().unwrap_or_default(),
        "recommendations": plan.recommendations,
    }]))
}

/// `GET {vault}/backupJobs/{job}`.
pub(crate) fn get(
    simulator: &Simulator,
    path: &VaultPath,
    job_name: &str,
) -> Result<SimResponse, SimResponse> {
    let vault_index = find_vault(simulator, path)?;
    let now = simulator.clock.now();
    let job = simulator
        .state()
        .job(job_name)
        .filter(|job| job.vault == vault_index)
        .cloned()
        .ok_or_else(|| job_not_found(job_name))?;
    Ok(SimResponse::json(
        StatusCode::OK,
        &job_resource(simulator, &job, now),
    ))
}

/// Builds the error for a job ID the vault does not have.
// NOTE: the real service's code for an unknown job is not documented in the specs; this one is
// ARM's generic not-found code.
pub(crate) fn job_not_found(job_name: &str) -> SimResponse {
    arm_error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!("The backup job '{job_name}' was not found in the vault."),
    )
}

/// `GET {vault}/backupJobs?$filter=…`, newest job first.
pub(crate) fn list(
    simulator: &Simulator,
    request: &SimRequest,
    path: &VaultPath,
) -> Result<SimResponse, SimResponse> {
    let vault_index = find_vault(simulator, path)?;
    let now = simulator.clock.now();
    let filter = JobFilter::parse(request.query_value("$filter").unwrap_or_default())?;

    let mut jobs: Vec<BackupJob> = simulator
        .state()
        .jobs
        .iter()
        .filter(|job| job.vault == vault_index)
        .cloned()
        .collect();
    jobs.reverse();
    jobs.sort_by_key(|job| std::cmp::Reverse(job.started_at));
    jobs.retain(|job| filter.matches(job, now));

    let vault = &simulator.scenario.arm.vaults[vault_index];
    let resource_path = format!("{}/backupJobs", vault_id(simulator, vault));
    let page = select_page(simulator, request, jobs.len(), &resource_path, "$skiptoken")?;
    let values: Vec<Value> = jobs[page.range.clone()]
        .iter()
        .map(|job| job_resource(simulator, job, now))
        .collect();
    Ok(page.reply(values))
}

/// The clauses of a jobs `$filter`.
#[derive(Debug, Default)]
struct JobFilter {
    operation: Option<String>,
    status: Option<String>,
    backup_management_type: Option<String>,
    job_id: Option<String>,
    /// Jobs that started at or after this time.
    start_time: Option<OffsetDateTime>,
    /// Jobs that started at or before this time.
    end_time: Option<OffsetDateTime>,
}

impl JobFilter {
    fn parse(text: &str) -> Result<Self, SimResponse> {
        let invalid = |detail: String| {
            arm_error(
                StatusCode::BAD_REQUEST,
                "BMSUserErrorInvalidInput",
                format!("Input provided for the call is invalid: $filter {detail}"),
            )
        };
        let mut parsed = JobFilter::default();
        for clause in filter::parse(text).map_err(invalid)? {
            let value = clause.value;
            match clause.field.to_ascii_lowercase().as_str() {
                "operation" => parsed.operation = Some(value),
                "status" => parsed.status = Some(value),
                "backupmanagementtype" => parsed.backup_management_type = Some(value),
                "jobid" => parsed.job_id = Some(value),
                "starttime" => {
                    parsed.start_time = Some(filter::parse_filter_time(&value).map_err(invalid)?)
                }
                "endtime" => {
                    parsed.end_time = Some(filter::parse_filter_time(&value).map_err(invalid)?)
                }
                _ => {
                    return Err(invalid(format!(
                        "has an unsupported field '{}'; use operation, status, backupManagementType, jobId, startTime or endTime",
                        clause.field
                    )))
                }
            }
        }
        Ok(parsed)
    }

    fn matches(&self, job: &BackupJob, now: OffsetDateTime) -> bool {
        let equals = |expected: &Option<String>, actual: &str| {
            expected
                .as_deref()
                .is_none_or(|expected| expected.eq_ignore_ascii_case(actual))
        };
        equals(&self.operation, job.operation())
            && equals(&self.status, job_state(job, now).status)
            && equals(&self.backup_management_type, "AzureIaasVM")
            && equals(&self.job_id, &job.id)
            && self.start_time.is_none_or(|start| job.started_at >= start)
            && self.end_time.is_none_or(|end| job.started_at <= end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::JobScenario;
    use time::macros::datetime;

    fn job(outcome: JobOutcome) -> BackupJob {
        BackupJob {
            id: "job-1".to_owned(),
            vault: 0,
            item: 0,
            started_at: datetime!(2025-05-01 10:00:00 UTC),
            activity_id: "activity".to_owned(),
            plan: JobScenario {
                duration_seconds: 10,
                outcome,
                ..JobScenario::default()
            },
            recovery_point_expiry: None,
            restore: None,
            cancel_requested_at: None,
        }
    }

    #[test]
    fn job_runs_then_reaches_outcome() {
        let job = job(JobOutcome::Failed);
        let running = job_state(&job, datetime!(2025-05-01 10:00:04 UTC));
        assert_eq!(running.status, "InProgress");
        assert_eq!(running.ended_at, None);
        assert_eq!(running.elapsed, Duration::seconds(4));

        let finished = job_state(&job, datetime!(2025-05-01 10:00:30 UTC));
        assert_eq!(finished.status, "Failed");
        assert_eq!(finished.ended_at, Some(datetime!(2025-05-01 10:00:10 UTC)));
        assert_eq!(finished.elapsed, Duration::seconds(10));
    }

    #[test]
    fn cancelled_job_goes_through_cancelling() {
        let mut job = job(JobOutcome::Never);
        job.cancel_requested_at = Some(datetime!(2025-05-01 10:00:05 UTC));

        let before = job_state(&job, datetime!(2025-05-01 10:00:04 UTC));
        assert_eq!(before.status, "InProgress");

        let cancelling = job_state(&job, datetime!(2025-05-01 10:00:05.5 UTC));
        assert_eq!(cancelling.status, "Cancelling");
        assert_eq!(cancelling.outcome, None);

        let cancelled = job_state(&job, datetime!(2025-05-01 10:00:09 UTC));
        assert_eq!(cancelled.status, "Cancelled");
        assert_eq!(cancelled.outcome, Some(JobOutcome::Cancelled));
        assert_eq!(cancelled.ended_at, Some(datetime!(2025-05-01 10:00:06 UTC)));
        assert_eq!(cancelled.elapsed, Duration::seconds(6));
    }

    #[test]
    fn job_with_outcome_never_stays_in_progress() {
        let state = job_state(&job(JobOutcome::Never), datetime!(2026-01-01 00:00:00 UTC));
        assert_eq!(state.status, "InProgress");
    }

    #[test]
    fn task_list_moves_through_phases() {
        let job = job(JobOutcome::Completed);
        let statuses = |now| {
            let tasks = task_list(&job, &job_state(&job, now));
            (tasks[0]["status"].clone(), tasks[1]["status"].clone())
        };
        assert_eq!(
            statuses(datetime!(2025-05-01 10:00:02 UTC)),
            (json!("InProgress"), json!("NotStarted"))
        );
        assert_eq!(
            statuses(datetime!(2025-05-01 10:00:07 UTC)),
            (json!("Completed"), json!("InProgress"))
        );
        assert_eq!(
            statuses(datetime!(2025-05-01 10:00:11 UTC)),
            (json!("Completed"), json!("Completed"))
        );
    }

    #[test]
    fn failed_job_has_numeric_error_code() {
        let job = job(JobOutcome::Failed);
        let state = job_state(&job, datetime!(2025-05-01 11:00:00 UTC));
        let details = error_details(&job, &state).unwrap();
        assert_eq!(details[0]["errorCode"], json!(DEFAULT_FAILURE_CODE));
        assert!(details[0]["recommendations"].is_array());
    }

    #[test]
    fn job_filter_matches_fields() {
        let job = job(JobOutcome::Completed);
        let now = datetime!(2025-05-01 11:00:00 UTC);
        let matches = |text: &str| JobFilter::parse(text).unwrap().matches(&job, now);
        assert!(matches(""));
        assert!(matches("operation eq 'Backup' and status eq 'completed'"));
        assert!(!matches("status eq 'InProgress'"));
        assert!(matches(
            "backupManagementType eq 'AzureIaasVM' and jobId eq 'JOB-1'"
        ));
        assert!(matches(
            "startTime eq '2025-05-01 09:00:00 AM' and endTime eq '2025-05-01 10:30:00 AM'"
        ));
        assert!(!matches("startTime eq '2025-05-01 10:30:00 AM'"));
        assert!(JobFilter::parse("vaultName eq 'x'").is_err());
    }
}
