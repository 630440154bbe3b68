//! Deleting managed disks: `DELETE …/disks/{name}` returns 202 and starts an operation that Compute
//! reports at `/subscriptions/{s}/providers/Microsoft.Compute/locations/{location}/operations/{id}`.
//! The disk disappears when the operation succeeds. A disk that matches `arm.failing_deletes`
//! stays, and its operation ends `Failed` with `OperationNotAllowed`.

use hyper::header::{HeaderName, LOCATION, RETRY_AFTER};
use hyper::StatusCode;
use serde_json::json;
use time::OffsetDateTime;

use super::compute::{compute_time, settle};
use super::resource_groups::{find_group, same_location};
use super::resource_path::{ComputeOperationPath, GroupPath};
use super::resources::check_subscription;
use super::response::arm_error;
use crate::sim::clock::configured_seconds;
use crate::sim::http::{SimRequest, SimResponse};
use crate::sim::state::State;
use crate::sim::Simulator;

const AZURE_ASYNC_OPERATION: HeaderName = HeaderName::from_static("azure-asyncoperation");

/// Error code of a deletion that the scenario makes fail.
const FAILED_DELETE_CODE: &str = "OperationNotAllowed";

/// A started disk deletion.
#[derive(Debug, Clone)]
pub(crate) struct DiskDeletion {
    pub(crate) id: String,
    /// The disk's resource group, spelt as in the scenario.
    pub(crate) resource_group: String,
    pub(crate) disk_name: String,
    /// The disk's location, which names the operation's URL.
    pub(crate) location: String,
    pub(crate) started_at: OffsetDateTime,
    pub(crate) completes_at: OffsetDateTime,
    /// Whether the operation ends `Failed` and leaves the disk.
    pub(crate) fails: bool,
    /// Whether the operation has ended (and the disk is gone, unless it fails).
    pub(crate) finished: bool,
}

/// Ends every deletion whose time has come and removes its disk, unless the deletion fails.
pub(crate) fn finish_deletions(state: &mut State, now: OffsetDateTime) {
    let compute = &mut state.compute;
    for deletion in compute.deletions.iter_mut() {
        if deletion.finished || now < deletion.completes_at {
            continue;
        }
        deletion.finished = true;
        if !deletion.fails {
            compute
                .disks
                .retain(|disk| !disk.is_in(&deletion.resource_group, &deletion.disk_name));
        }
    }
}

/// Matches a disk name against a `failing_deletes` pattern, case-insensitively, where `*` matches
/// any run of characters.
fn matches_pattern(pattern: &str, name: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let name = name.to_ascii_lowercase();
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == name;
    };
    if name.len() < first.len() + last.len() || !name.starts_with(first) || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in middle {
        match rest.find(part) {
            Some(position) => rest = &rest[position + part.len()..],
            None => return false,
        }
    }
    true
}

/// `DELETE …/providers/Microsoft.Compute/disks/{name}`: 202 and an operation for an unattached
/// disk, 204 when the disk does not exist, 409 when it is attached to a VM.
pub(crate) fn delete(
    simulator: &Simulator,
    request: &SimRequest,
    path: &GroupPath,
    name: &str,
) -> Result<SimResponse, SimResponse> {
    let group = find_group(simulator, path)?;
    let now = simulator.clock.now();
    let deletion = {
        let mut state = simulator.state();
        settle(simulator, &mut state, now);
        let Some(target) = state.compute.disk(&group.name, name).cloned() else {
            return Ok(SimResponse::empty(StatusCode::NO_CONTENT));
        };
        if let Some(vm_id) = &target.managed_by {
            return Err(arm_error(
                StatusCode::CONFLICT,
                FAILED_DELETE_CODE,
                format!("Disk {} is attached to VM {vm_id}.", target.name),
            ));
        }
        // A second DELETE while the first runs follows the same operation.
        let running = state.compute.deletions.iter().find(|deletion| {
            !deletion.finished && target.is_in(&deletion.resource_group, &deletion.disk_name)
        });
        match running {
            Some(running) => running.clone(),
            None => {
                let scenario = &simulator.scenario.arm;
                let deletion = DiskDeletion {
                    id: uuid::Uuid::new_v4().to_string(),
                    resource_group: target.resource_group.clone(),
                    disk_name: target.name.clone(),
                    location: target.location.clone(),
                    started_at: now,
                    completes_at: now + configured_seconds(scenario.delete_duration_seconds),
                    fails: scenario
                        .failing_deletes
                        .iter()
                        .any(|pattern| matches_pattern(pattern, &target.name)),
                    finished: false,
                };
                state.compute.deletions.push(deletion.clone());
                deletion
            }
        }
    };
    Ok(accepted(simulator, request, &deletion))
}

/// Builds the 202 of a running deletion: `Azure-AsyncOperation` (status), `Location` (the same
/// URL with `monitor=true`, as Compute writes it) and `Retry-After`. The URLs repeat the request's
/// `api-version`.
fn accepted(simulator: &Simulator, request: &SimRequest, deletion: &DiskDeletion) -> SimResponse {
    let api_version = request.query_value("api-version").unwrap_or_default();
    let query = |monitor: bool| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if monitor {
            query.append_pair("monitor", "true");
        }
        query.append_pair("api-version", api_version);
        query.finish()
    };
    let operation_url = format!(
        "{}/subscriptions/{}/providers/Microsoft.Compute/locations/{}/operations/{}",
        simulator.urls.arm_base,
        simulator.scenario.ids.subscription,
        deletion.location,
        deletion.id
    );
    SimResponse::empty(StatusCode::ACCEPTED)
        .with_header(
            AZURE_ASYNC_OPERATION,
            format!("{operation_url}?{}", query(false)),
        )
        .with_header(LOCATION, format!("{operation_url}?{}", query(true)))
        .with_header(
            RETRY_AFTER,
            simulator
                .scenario
                .arm
                .operation_retry_after_seconds
                .to_string(),
        )
}

fn failure_message(deletion: &DiskDeletion) -> String {
    format!(
        "Disk '{}' could not be deleted because the simulator's scenario lists it in arm.failing_deletes.",
        deletion.disk_name
    )
}

/// `GET /subscriptions/{s}/providers/Microsoft.Compute/locations/{location}/operations/{id}`.
/// Without `monitor=true` it returns the status body `{"startTime", "endTime"?, "status", "name",
/// "error"?}`. With it, it behaves as a `Location` URL: 202 while running, then 204 after success
/// or the operation's error.
pub(crate) fn operation(
    simulator: &Simulator,
    request: &SimRequest,
    path: &ComputeOperationPath,
) -> Result<SimResponse, SimResponse> {
    check_subscription(simulator, &path.subscription)?;
    let now = simulator.clock.now();
    let deletion = {
        let mut state = simulator.state();
        settle(simulator, &mut state, now);
        state
            .compute
            .deletions
            .iter()
            .find(|deletion| {
                deletion.id.eq_ignore_ascii_case(&path.operation)
                    && same_location(&deletion.location, &path.location)
            })
            .cloned()
    };
    // NOTE: Compute's code for an unknown operation ID is not documented; this one is ARM's generic
    // not-found code.
    let deletion = deletion.ok_or_else(|| {
        arm_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!("The operation '{}' was not found.", path.operation),
        )
    })?;

    let monitor = request
        .query_value("monitor")
        .is_some_and(|value| value.eq_ignore_ascii_case("true"));
    if monitor {
        return Ok(match (deletion.finished, deletion.fails) {
            (false, _) => accepted(simulator, request, &deletion),
            (true, false) => SimResponse::empty(StatusCode::NO_CONTENT),
            (true, true) => arm_error(
                StatusCode::CONFLICT,
                FAILED_DELETE_CODE,
                failure_message(&deletion),
            ),
        });
    }

    let mut body = json!({
        "startTime": compute_time(deletion.started_at),
        "status": "InProgress",
        "name": deletion.id,
    });
    if deletion.finished {
        body["endTime"] = json!(compute_time(deletion.completes_at));
        if deletion.fails {
            body["status"] = json!("Failed");
            body["error"] = json!({
                "code": FAILED_DELETE_CODE,
                "message": failure_message(&deletion),
            });
        } else {
            body["status"] = json!("Succeeded");
        }
    }
    Ok(SimResponse::json(StatusCode::OK, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_delete_patterns() {
        let name = "vm-app01-datadisk-0-20250501-080509";
        assert!(matches_pattern(name, name));
        assert!(matches_pattern("VM-APP01-DATADISK-0-20250501-080509", name));
        assert!(matches_pattern("vm-app01-datadisk-0-*", name));
        assert!(matches_pattern("*-datadisk-*", name));
        assert!(matches_pattern("*", name));
        assert!(matches_pattern("vm-*-0-*-080509", name));
        assert!(!matches_pattern("vm-app01-osdisk-*", name));
        assert!(!matches_pattern("vm-app01", name));
        assert!(!matches_pattern("*-datadisk-1-*", name));
        assert!(!matches_pattern(
            "vm-app01-datadisk-0-20250501-080509-*x",
            name
        ));
    }
}
