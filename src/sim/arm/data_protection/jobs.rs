//! Backup vault backup jobs: their status on the simulated clock (`Started`, `InProgress`, then
//! the scenario's outcome), the job resource in the shape of the service's `Jobs_Get` example,
//! and `GET {backupVault}/backupJobs/{job}` and the paged `GET {backupVault}/backupJobs`.

use hyper::StatusCode;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

use super::path::BackupVaultPath;
use super::{
    backup_vault_id, datasource_id, find_backup_vault, instance_id, policy_id, DataProtectionJob,
};
use crate::sim::arm::jobs::{job_not_found, outcome_status, JobState};
use crate::sim::arm::paging::select_page;
use crate::sim::clock::configured_seconds;
use crate::sim::format;
use crate::sim::http::{SimRequest, SimResponse};
use crate::sim::scenario::JobOutcome;
use crate::sim::Simulator;

/// Simulated time a new job reports `Started` before `InProgress`. The service documents no
/// length for this phase; one second lets a test see both states.
pub(crate) const STARTED_PHASE_SECONDS: i64 = 1;

/// `errorDetails[0].code` of a failed job whose scenario gives no `error_code`.
// NOTE: an illustrative value. The specs' examples show no failed Backup vault job, so the real
// codes are not known here.
const DEFAULT_FAILURE_CODE: &str = "SimulatedBackupFailure";
const DEFAULT_FAILURE_MESSAGE: &str = "The simulated backup job failed.";

/// Derives a job's state at `now` from its start and its scenario.
pub(crate) fn job_state(job: &DataProtectionJob, now: OffsetDateTime) -> JobState {
    let planned_duration = configured_seconds(job.plan.duration_seconds);
    let planned_end = job.started_at + planned_duration;
    let elapsed = (now - job.started_at).max(Duration::ZERO);
    if job.plan.outcome != JobOutcome::Never && now >= planned_end {
        return JobState {
            status: outcome_status(job.plan.outcome),
            outcome: Some(job.plan.outcome),
            ended_at: Some(planned_end),
            elapsed: planned_duration,
        };
    }
    let status = if elapsed < Duration::seconds(STARTED_PHASE_SECONDS) {
        "Started"
    } else {
        "InProgress"
    };
    JobState {
        status,
        outcome: None,
        ended_at: None,
        elapsed,
    }
}

/// Builds the job resource. `extendedInfo.subTasks` has one task, as in the service's example.
pub(crate) fn job_resource(
    simulator: &Simulator,
    job: &DataProtectionJob,
    now: OffsetDateTime,
) -> Value {
    let vault = &simulator.scenario.arm.backup_vaults[job.vault];
    let instance = &vault.backup_instances[job.instance];
    let state = job_state(job, now);
    let subscription = &simulator.scenario.ids.subscription;

    let mut properties = json!({
        "activityID": job.activity_id,
        "backupInstanceFriendlyName": instance.resolved_friendly_name(),
        "backupInstanceId": instance_id(simulator, vault, instance),
        "dataSourceId": datasource_id(simulator, instance),
        "dataSourceLocation": vault.location,
        "dataSourceName": instance.datasource_name,
        "dataSourceSetName": instance.datasource_name,
        "dataSourceType": instance.datasource_type,
        "duration": format::dotnet_timespan(state.elapsed),
        "extendedInfo": {
            "additionalDetails": {
                "PolicyRuleName": job.rule_name,
                "RetentionTag": job.retention_tag,
                "TaskId": job.activity_id,
            },
            "subTasks": [{
                "taskId": 1,
                "taskName": "Trigger Backup",
                "taskStatus": state.status,
            }],
        },
        "isUserTriggered": true,
        "operation": "Backup",
        "operationCategory": "Backup",
        "policyId": policy_id(simulator, vault, instance),
        "policyName": instance.policy_name,
        "progressEnabled": false,
        "sourceResourceGroup": instance.datasource_resource_group,
        "sourceSubscriptionID": subscription,
        "startTime": format::dotnet_utc(job.started_at),
        "status": state.status,
        "subscriptionId": subscription,
        "supportedActions": [],
        "vaultName": vault.name,
    });
    if let Some(ended_at) = state.ended_at {
        properties["endTime"] = json!(format::dotnet_utc(ended_at));
    }
    if let Some(error_details) = error_details(job, &state) {
        properties["errorDetails"] = error_details;
    }

    json!({
        "id": format!("{}/backupJobs/{}", backup_vault_id(simulator, vault), job.id),
        "name": job.id,
        "type": "Microsoft.DataProtection/backupVaults/backupJobs",
        "properties": properties,
    })
}

/// `errorDetails` of a failed job, and of a job completed with warnings when the scenario names
/// the warning, as a list of `UserFacingError`.
fn error_details(job: &DataProtectionJob, state: &JobState) -> Option<Value> {
    let plan = &job.plan;
    let named = plan.error_code.is_some() || plan.error_message.is_some();
    let message = match state.outcome {
        Some(JobOutcome::Failed) => plan
            .error_message
            .clone()
            .unwrap_or_else(|| DEFAULT_FAILURE_MESSAGE.to_owned()),
        Some(JobOutcome::CompletedWithWarnings) if named => {
            plan.error_message.clone().unwrap_or_default()
        }
        _ => return None,
    };
    let code = plan
        .error_code
        .map(|code| code.to_string())
        .unwrap_or_else(|| DEFAULT_FAILURE_CODE.to_owned());
    Some(json!([{
        "code": code,
        "message": message,
        "target": plan.error_title.clone().unwrap_or_default(),
        "isRetryable": false,
        "isUserError": false,
        "recommendedAction": plan.recommendations,
    }]))
}

/// `GET {backupVault}/backupJobs/{job}`.
pub(crate) fn get(
    simulator: &Simulator,
    path: &BackupVaultPath,
    job_name: &str,
) -> Result<SimResponse, SimResponse> {
    let vault_index = find_backup_vault(simulator, path)?;
    let now = simulator.clock.now();
    let job = simulator
        .state()
        .data_protection
        .jobs
        .iter()
        .find(|job| job.vault == vault_index && job.id.eq_ignore_ascii_case(job_name))
        .cloned()
        .ok_or_else(|| job_not_found(job_name))?;
    Ok(SimResponse::json(
        StatusCode::OK,
        &job_resource(simulator, &job, now),
    ))
}

/// `GET {backupVault}/backupJobs`, newest job first. A `$filter` is ignored.
// NOTE: the service documents no `$filter` for this list; a client that sends one gets every job.
pub(crate) fn list(
    simulator: &Simulator,
    request: &SimRequest,
    path: &BackupVaultPath,
) -> Result<SimResponse, SimResponse> {
    let vault_index = find_backup_vault(simulator, path)?;
    let now = simulator.clock.now();
    let mut jobs: Vec<DataProtectionJob> = simulator
        .state()
        .data_protection
        .jobs
        .iter()
        .filter(|job| job.vault == vault_index)
        .cloned()
        .collect();
    jobs.reverse();
    jobs.sort_by_key(|job| std::cmp::Reverse(job.started_at));

    let vault = &simulator.scenario.arm.backup_vaults[vault_index];
    let resource_path = format!("{}/backupJobs", backup_vault_id(simulator, vault));
    let page = select_page(simulator, request, jobs.len(), &resource_path, "$skipToken")?;
    let values: Vec<Value> = jobs[page.range.clone()]
        .iter()
        .map(|job| job_resource(simulator, job, now))
        .collect();
    Ok(page.reply(values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::JobScenario;
    use time::macros::datetime;

    fn job(outcome: JobOutcome) -> DataProtectionJob {
        DataProtectionJob {
            id: "job-1".to_owned(),
            vault: 0,
            instance: 0,
            started_at: datetime!(2025-05-01 10:00:00 UTC),
            activity_id: "activity".to_owned(),
            plan: JobScenario {
                duration_seconds: 10,
                outcome,
                ..JobScenario::default()
            },
            rule_name: "BackupDaily".to_owned(),
            retention_tag: "Default".to_owned(),
        }
    }

    #[test]
    fn job_starts_runs_then_reaches_outcome() {
        let job = job(JobOutcome::Failed);
        let started = job_state(&job, datetime!(2025-05-01 10:00:00.5 UTC));
        assert_eq!(started.status, "Started");
        assert_eq!(started.ended_at, None);

        let running = job_state(&job, datetime!(2025-05-01 10:00:04 UTC));
        assert_eq!(running.status, "InProgress");
        assert_eq!(running.elapsed, Duration::seconds(4));

        let finished = job_state(&job, datetime!(2025-05-01 10:00:30 UTC));
        assert_eq!(finished.status, "Failed");
        assert_eq!(finished.ended_at, Some(datetime!(2025-05-01 10:00:10 UTC)));
        assert_eq!(finished.elapsed, Duration::seconds(10));
        let details = error_details(&job, &finished).unwrap();
        assert_eq!(details[0]["code"], DEFAULT_FAILURE_CODE);
    }

    #[test]
    fn job_with_outcome_never_stays_in_progress() {
        let state = job_state(&job(JobOutcome::Never), datetime!(2026-01-01 00:00:00 UTC));
        assert_eq!(state.status, "InProgress");
    }

    #[test]
    fn completed_job_has_no_error_details() {
        let job = job(JobOutcome::Completed);
        let state = job_state(&job, datetime!(2025-05-01 11:00:00 UTC));
        assert_eq!(state.status, "Completed");
        assert_eq!(error_details(&job, &state), None);
    }
}
