//! The step outputs of a backup run: `job-id`, `job-status` and `jobs`.

use serde_json::{json, Value};

use super::format_rfc3339;
use crate::backup::BackupOutcome;

/// The keys of each object in the `jobs` output, in order. Documented in the README.
pub const JOBS_OUTPUT_KEYS: [&str; 9] = [
    "item",
    "jobId",
    "status",
    "serviceStatus",
    "startTime",
    "endTime",
    "durationSeconds",
    "errorCode",
    "errorMessage",
];

/// Builds the outputs: `job-id` only when there is exactly one item, `job-status` as the worst
/// status, and `jobs` as a JSON array with [`JOBS_OUTPUT_KEYS`] (absent values are `null`).
pub fn backup_outputs(outcome: &BackupOutcome) -> Vec<(String, String)> {
    let mut outputs = Vec::new();
    if let [only] = outcome.items.as_slice() {
        if let Some(job_id) = &only.job_id {
            outputs.push(("job-id".to_string(), job_id.clone()));
        }
    }
    outputs.push((
        "job-status".to_string(),
        outcome.worst_status().as_str().to_string(),
    ));

    let jobs: Vec<Value> = outcome
        .items
        .iter()
        .map(|item| {
            json!({
                "item": item.item,
                "jobId": item.job_id,
                "status": item.status.as_str(),
                "serviceStatus": item.service_status,
                "startTime": item.start_time.map(format_rfc3339),
                "endTime": item.end_time.map(format_rfc3339),
                "durationSeconds": item.duration_seconds,
                "errorCode": item.error.as_ref().map(|error| error.code.clone()),
                "errorMessage": item.error.as_ref().map(|error| error.message.clone()),
            })
        })
        .collect();
    outputs.push(("jobs".to_string(), Value::Array(jobs).to_string()));
    outputs
}
