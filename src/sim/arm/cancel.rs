//! Job cancellation: `POST {vault}/backupJobs/{job}/cancel` answers 202 with `Location` and
//! `Retry-After` and no `Azure-AsyncOperation`, as in the service's `TriggerCancelJob` example, and
//! `GET {vault}/backupJobs/{job}/operationResults/{operation}` answers 202 while the cancellation
//! runs, then 204 (`CancelJobOperationResult`). The job shows `Cancelling`, then `Cancelled`
//! [`CANCEL_DURATION_SECONDS`] of simulated time after the request.

use hyper::header::{LOCATION, RETRY_AFTER};
use hyper::StatusCode;
use time::{Duration, OffsetDateTime};

use super::jobs::{job_not_found, job_state, CANCEL_DURATION_SECONDS};
use super::path::VaultPath;
use super::resources::{find_vault, vault_id};
use super::response::arm_error;
use crate::sim::http::SimResponse;
use crate::sim::Simulator;

/// The api-version that the service writes into the cancellation's `Location` URL (as in its
/// `TriggerCancelJob` example). Clients must follow the URL as given.
const CANCEL_POLLING_API_VERSION: &str = "2017-07-01";

/// A cancel request and the operation that tracks it.
#[derive(Debug, Clone)]
pub(crate) struct JobCancellation {
    pub(crate) id: String,
    pub(crate) vault: usize,
    pub(crate) job_id: String,
    /// When the job is `Cancelled`, or the request time when the job had already ended.
    pub(crate) completes_at: OffsetDateTime,
}

/// `POST {vault}/backupJobs/{job}/cancel`.
pub(crate) fn trigger(
    simulator: &Simulator,
    path: &VaultPath,
    job_name: &str,
) -> Result<SimResponse, SimResponse> {
    let vault_index = find_vault(simulator, path)?;
    let now = simulator.clock.now();
    let operation_id = uuid::Uuid::new_v4().to_string();

    let job_id = {
        let mut state = simulator.state();
        let job = state
            .jobs
            .iter_mut()
            .find(|job| job.vault == vault_index && job.id.eq_ignore_ascii_case(job_name))
            .ok_or_else(|| job_not_found(job_name))?;
        // NOTE: the reply to cancelling a job that has ended is not documented. The simulator
        // accepts it, and the job keeps the status it ended with.
        if job_state(job, now).outcome.is_none() && job.cancel_requested_at.is_none() {
            job.cancel_requested_at = Some(now);
            tracing::info!(job = %job.id, "cancelling a job");
        }
        let completes_at = job
            .cancel_requested_at
            .map(|requested_at| requested_at + Duration::seconds(CANCEL_DURATION_SECONDS))
            .unwrap_or(now)
            .max(now);
        let job_id = job.id.clone();
        state.job_cancellations.push(JobCancellation {
            id: operation_id.clone(),
            vault: vault_index,
            job_id: job_id.clone(),
            completes_at,
        });
        job_id
    };
    Ok(accepted(simulator, vault_index, &job_id, &operation_id))
}

/// `GET {vault}/backupJobs/{job}/operationResults/{operation}`.
pub(crate) fn operation_result(
    simulator: &Simulator,
    path: &VaultPath,
    job_name: &str,
    operation_id: &str,
) -> Result<SimResponse, SimResponse> {
    let vault_index = find_vault(simulator, path)?;
    let cancellation = simulator
        .state()
        .job_cancellations
        .iter()
        .find(|cancellation| {
            cancellation.vault == vault_index
                && cancellation.id.eq_ignore_ascii_case(operation_id)
                && cancellation.job_id.eq_ignore_ascii_case(job_name)
        })
        .cloned()
        .ok_or_else(|| {
            // NOTE: the code for an unknown operation is not documented; this is ARM's generic
            // not-found code.
            arm_error(
                StatusCode::NOT_FOUND,
                "ResourceNotFound",
                format!("The operation '{operation_id}' was not found for job '{job_name}'."),
            )
        })?;
    if simulator.clock.now() >= cancellation.completes_at {
        return Ok(SimResponse::empty(StatusCode::NO_CONTENT));
    }
    Ok(accepted(
        simulator,
        vault_index,
        &cancellation.job_id,
        &cancellation.id,
    ))
}

/// Builds the 202 with the `Location` of the cancellation and the scenario's `Retry-After`.
fn accepted(
    simulator: &Simulator,
    vault_index: usize,
    job_id: &str,
    operation_id: &str,
) -> SimResponse {
    let vault = &simulator.scenario.arm.vaults[vault_index];
    let location = format!(
        "{}{}/backupJobs/{job_id}/operationResults/{operation_id}?api-version={CANCEL_POLLING_API_VERSION}",
        simulator.urls.arm_base,
        vault_id(simulator, vault)
    );
    SimResponse::empty(StatusCode::ACCEPTED)
        .with_header(LOCATION, location)
        .with_header(
            RETRY_AFTER,
            simulator
                .scenario
                .arm
                .operation_retry_after_seconds
                .to_string(),
        )
}
