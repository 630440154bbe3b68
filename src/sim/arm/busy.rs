//! Items that are busy with a backup. A `busy_job` runs when the simulator starts, as a scheduled
//! backup would. While any backup job of the item runs (the scripted one or one the client
//! started), a backup trigger gets the item's `busy_reply`.
//!
//! The documented error is `UserErrorBackupOperationInProgress`, "Unable to initiate backup as
//! another backup operation is currently in progress." (Azure VM backup troubleshooting).
// NOTE: the public docs do not say whether Azure rejects the trigger with a 4xx or accepts it
// and fails the operation (they describe a failed job). The scenario's `busy_reply` picks one:
// `failed_operation` (202, then the operation ends Failed) or `conflict` (409 at once).

use hyper::StatusCode;
use time::OffsetDateTime;

use super::jobs::job_state;
use super::response::arm_error;
use crate::sim::http::SimResponse;
use crate::sim::scenario::{BusyOperation, JobOutcome, JobScenario};
use crate::sim::state::{BackupJob, OperationFailure, State};
use crate::sim::Simulator;

const BACKUP_IN_PROGRESS_CODE: &str = "UserErrorBackupOperationInProgress";
const BACKUP_IN_PROGRESS_MESSAGE: &str =
    "Unable to initiate backup as another backup operation is currently in progress.";

/// Creates the `busy_job` of every protected item that has one, starting now and completing after
/// its duration.
pub(crate) fn start_busy_jobs(simulator: &Simulator) {
    let now = simulator.clock.now();
    let mut state = simulator.state();
    for (vault_index, vault) in simulator.scenario.arm.vaults.iter().enumerate() {
        for (item_index, item) in vault.protected_items.iter().enumerate() {
            let Some(busy_job) = &item.busy_job else {
                continue;
            };
            match busy_job.operation {
                BusyOperation::Backup => state.jobs.push(BackupJob {
                    id: uuid::Uuid::new_v4().to_string(),
                    vault: vault_index,
                    item: item_index,
                    started_at: now,
                    activity_id: uuid::Uuid::new_v4().to_string(),
                    plan: JobScenario {
                        duration_seconds: busy_job.duration_seconds,
                        outcome: JobOutcome::Completed,
                        ..JobScenario::default()
                    },
                    recovery_point_expiry: None,
                    restore: None,
                    cancel_requested_at: None,
                }),
            }
        }
    }
}

/// Returns the ID of a backup job of the item that runs at `now` (`InProgress` or `Cancelling`).
pub(crate) fn running_backup_job(
    state: &State,
    vault: usize,
    item: usize,
    now: OffsetDateTime,
) -> Option<String> {
    state
        .jobs
        .iter()
        .find(|job| {
            job.restore.is_none()
                && job.vault == vault
                && job.item == item
                && job_state(job, now).outcome.is_none()
        })
        .map(|job| job.id.clone())
}

/// Builds the immediate 409 of the `conflict` busy reply.
pub(crate) fn backup_in_progress_conflict() -> SimResponse {
    arm_error(
        StatusCode::CONFLICT,
        BACKUP_IN_PROGRESS_CODE,
        BACKUP_IN_PROGRESS_MESSAGE,
    )
}

/// Returns the error that the operation of the `failed_operation` busy reply ends with.
pub(crate) fn backup_in_progress_failure() -> OperationFailure {
    OperationFailure {
        code: BACKUP_IN_PROGRESS_CODE,
        message: BACKUP_IN_PROGRESS_MESSAGE,
    }
}

/// Builds the `operationResults` reply of an operation that ended `Failed`.
// NOTE: by ARM's rules a failed operation's Location URL returns an error status with the error
// body. Recovery Services does not document which status, so the simulator sends 409.
pub(crate) fn failed_operation_result(failure: &OperationFailure) -> SimResponse {
    arm_error(StatusCode::CONFLICT, failure.code, failure.message)
}
