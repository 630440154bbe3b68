//! On-demand backup: `POST …/protectedItems/{item}/backup` (202 with `Location`,
//! `Azure-AsyncOperation` and `Retry-After`), and the operation it starts, read through
//! `…/operationsStatus/{id}`, `{vault}/backupOperations/{id}` and `…/operationResults/{id}`. While
//! another backup job of the item runs, the trigger gets the item's `busy_reply` (see `busy`).

use hyper::header::{HeaderName, LOCATION, RETRY_AFTER};
use hyper::StatusCode;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use super::busy;
use super::path::{ItemPath, VaultPath};
use super::resources::{arm_url, find_item, find_vault, item_id};
use super::response::{arm_error, parse_json_body};
use crate::sim::clock::configured_seconds;
use crate::sim::format;
use crate::sim::http::{SimRequest, SimResponse};
use crate::sim::scenario::BusyReply;
use crate::sim::scenario::{ProtectedItemScenario, VaultScenario};
use crate::sim::state::{BackupJob, BackupOperation};
use crate::sim::Simulator;

const AZURE_ASYNC_OPERATION: HeaderName = HeaderName::from_static("azure-asyncoperation");

/// The api-version that the service writes into its polling URLs, older than the one the client
/// sent (as in the service's `Backups_Trigger` example). Clients must follow the URLs as given.
const POLLING_API_VERSION: &str = "2016-12-01";

/// The request `properties.objectType` for an Azure VM backup.
const VM_BACKUP_REQUEST: &str = "IaasVMBackupRequest";

/// `POST …/protectedItems/{item}/backup`.
pub(crate) fn trigger(
    simulator: &Simulator,
    request: &SimRequest,
    path: &ItemPath,
) -> Result<SimResponse, SimResponse> {
    let (vault_index, item_index) = find_item(simulator, path)?;
    let now = simulator.clock.now();
    let recovery_point_expiry = parse_backup_request(&request.body, now)?;

    let vault = &simulator.scenario.arm.vaults[vault_index];
    let item = &vault.protected_items[item_index];
    let operation_id = uuid::Uuid::new_v4().to_string();
    let job_id = uuid::Uuid::new_v4().to_string();
    let operation_duration = configured_seconds(simulator.scenario.arm.operation_duration_seconds);
    {
        // The check and the new job share one lock, so two concurrent triggers cannot both pass.
        let mut state = simulator.state();
        let busy = busy::running_backup_job(&state, vault_index, item_index, now).is_some();
        if busy && item.busy_reply == BusyReply::Conflict {
            return Err(busy::backup_in_progress_conflict());
        }
        state.operations.push(BackupOperation {
            id: operation_id.clone(),
            vault: vault_index,
            item: item_index,
            job_id: job_id.clone(),
            started_at: now,
            completes_at: now + operation_duration,
            failure: busy.then(busy::backup_in_progress_failure),
        });
        if !busy {
            state.jobs.push(BackupJob {
                id: job_id,
                vault: vault_index,
                item: item_index,
                started_at: now,
                activity_id: uuid::Uuid::new_v4().to_string(),
                plan: item.job.clone(),
                recovery_point_expiry,
                restore: None,
                cancel_requested_at: None,
            });
        }
    }

    Ok(accepted_with_polling_headers(
        simulator,
        vault,
        item,
        &operation_id,
    ))
}

/// Builds a 202 with the three polling headers of a running operation on `item`.
pub(crate) fn accepted_with_polling_headers(
    simulator: &Simulator,
    vault: &VaultScenario,
    item: &ProtectedItemScenario,
    operation_id: &str,
) -> SimResponse {
    let item_url = arm_url(simulator, &item_id(simulator, vault, item));
    let retry_after = simulator.scenario.arm.operation_retry_after_seconds;
    SimResponse::empty(StatusCode::ACCEPTED)
        .with_header(
            LOCATION,
            format!("{item_url}/operationResults/{operation_id}?api-version={POLLING_API_VERSION}"),
        )
        .with_header(
            AZURE_ASYNC_OPERATION,
            format!("{item_url}/operationsStatus/{operation_id}?api-version={POLLING_API_VERSION}"),
        )
        .with_header(RETRY_AFTER, retry_after.to_string())
}

/// Validates the trigger body `{"properties":{"objectType":"IaasVMBackupRequest",
/// "recoveryPointExpiryTimeInUTC":"…"}}` and returns the expiry, if given.
fn parse_backup_request(
    body: &[u8],
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, SimResponse> {
    let invalid_input = |detail: &str| {
        arm_error(
            StatusCode::BAD_REQUEST,
            "BMSUserErrorInvalidInput",
            format!("Input provided for the call is invalid. {detail}"),
        )
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid_input("The request body is missing."));
    }
    let body = parse_json_body(body)?;

    let properties = body
        .get("properties")
        .filter(|properties| properties.is_object())
        .ok_or_else(|| invalid_input("The body must have a 'properties' object."))?;
    let object_type = properties
        .get("objectType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !object_type.eq_ignore_ascii_case(VM_BACKUP_REQUEST) {
        return Err(invalid_input(&format!(
            "properties.objectType must be '{VM_BACKUP_REQUEST}' for an Azure VM, got '{object_type}'."
        )));
    }

    let expiry = match properties.get("recoveryPointExpiryTimeInUTC") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) => parse_utc_time(text).ok_or_else(|| {
            invalid_input(&format!(
                "recoveryPointExpiryTimeInUTC '{text}' is not a UTC date-time such as 2025-05-31T00:00:00Z."
            ))
        })?,
        Some(other) => {
            return Err(invalid_input(&format!(
                "recoveryPointExpiryTimeInUTC must be a string, got {other}."
            )))
        }
    };
    if expiry <= now {
        return Err(invalid_input(&format!(
            "recoveryPointExpiryTimeInUTC {} is not in the future.",
            format::dotnet_utc(expiry)
        )));
    }
    Ok(Some(expiry))
}

/// Parses RFC 3339, or a date-time without offset, which is read as UTC.
fn parse_utc_time(text: &str) -> Option<OffsetDateTime> {
    if let Ok(time) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(time);
    }
    let without_offset = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    PrimitiveDateTime::parse(text, &without_offset)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// Builds the `OperationStatus` body.
fn operation_status_body(operation: &BackupOperation, now: OffsetDateTime) -> Value {
    let mut body = json!({
        "id": operation.id,
        "name": operation.id,
        "status": "InProgress",
        "startTime": format::dotnet_utc(operation.started_at),
    });
    if let Some(failure) = operation
        .failure
        .as_ref()
        .filter(|_| now >= operation.completes_at)
    {
        body["status"] = json!("Failed");
        body["endTime"] = json!(format::dotnet_utc(operation.completes_at));
        body["error"] = json!({ "code": failure.code, "message": failure.message });
        return body;
    }
    if now >= operation.completes_at {
        body["status"] = json!("Succeeded");
        body["endTime"] = json!(format::dotnet_utc(operation.completes_at));
        body["properties"] = json!({
            "objectType": "OperationStatusJobExtendedInfo",
            "jobId": operation.job_id,
        });
    }
    body
}

// NOTE: the real service's code for an unknown operation ID is not documented in the specs; this
// one is ARM's generic not-found code. Both vault kinds use it.
pub(crate) fn operation_not_found(operation_id: &str) -> SimResponse {
    arm_error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!("The operation '{operation_id}' was not found."),
    )
}

fn find_operation(
    simulator: &Simulator,
    operation_id: &str,
    belongs: impl Fn(&BackupOperation) -> bool,
) -> Result<BackupOperation, SimResponse> {
    simulator
        .state()
        .operation(operation_id)
        .filter(|operation| belongs(operation))
        .cloned()
        .ok_or_else(|| operation_not_found(operation_id))
}

/// `GET …/protectedItems/{item}/operationsStatus/{id}`.
pub(crate) fn item_operation_status(
    simulator: &Simulator,
    path: &ItemPath,
    operation_id: &str,
) -> Result<SimResponse, SimResponse> {
    let (vault_index, item_index) = find_item(simulator, path)?;
    let operation = find_operation(simulator, operation_id, |operation| {
        operation.vault == vault_index && operation.item == item_index
    })?;
    let now = simulator.clock.now();
    Ok(SimResponse::json(
        StatusCode::OK,
        &operation_status_body(&operation, now),
    ))
}

/// `GET {vault}/backupOperations/{id}`.
pub(crate) fn vault_operation_status(
    simulator: &Simulator,
    path: &VaultPath,
    operation_id: &str,
) -> Result<SimResponse, SimResponse> {
    let vault_index = find_vault(simulator, path)?;
    let operation = find_operation(simulator, operation_id, |operation| {
        operation.vault == vault_index
    })?;
    let now = simulator.clock.now();
    Ok(SimResponse::json(
        StatusCode::OK,
        &operation_status_body(&operation, now),
    ))
}

/// `GET …/protectedItems/{item}/operationResults/{id}`: 202 with the polling headers while the
/// operation runs, then 204 without a body.
pub(crate) fn item_operation_result(
    simulator: &Simulator,
    path: &ItemPath,
    operation_id: &str,
) -> Result<SimResponse, SimResponse> {
    let (vault_index, item_index) = find_item(simulator, path)?;
    let operation = find_operation(simulator, operation_id, |operation| {
        operation.vault == vault_index && operation.item == item_index
    })?;
    if simulator.clock.now() >= operation.completes_at {
        if let Some(failure) = &operation.failure {
            return Err(busy::failed_operation_result(failure));
        }
        return Ok(SimResponse::empty(StatusCode::NO_CONTENT));
    }
    let vault = &simulator.scenario.arm.vaults[vault_index];
    let item = &vault.protected_items[item_index];
    Ok(accepted_with_polling_headers(
        simulator,
        vault,
        item,
        &operation.id,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2025-05-01 10:00:00 UTC);

    fn parse(body: &str) -> Result<Option<OffsetDateTime>, u16> {
        parse_backup_request(body.as_bytes(), NOW).map_err(|response| response.status.as_u16())
    }

    #[test]
    fn backup_request_accepts_spec_bodies() {
        assert_eq!(
            parse(r#"{"properties":{"objectType":"IaasVMBackupRequest"}}"#),
            Ok(None)
        );
        assert_eq!(
            parse(
                r#"{"properties":{"objectType":"iaasvmbackuprequest","recoveryPointExpiryTimeInUTC":"2025-05-31T00:00:00Z"}}"#
            ),
            Ok(Some(datetime!(2025-05-31 00:00:00 UTC)))
        );
        assert_eq!(
            parse(
                r#"{"properties":{"objectType":"IaasVMBackupRequest","recoveryPointExpiryTimeInUTC":"2025-06-01T02:16:20.3156909"}}"#
            ),
            Ok(Some(datetime!(2025-06-01 02:16:20.3156909 UTC)))
        );
    }

    #[test]
    fn backup_request_rejects_invalid_bodies() {
        for body in [
            "",
            "not json",
            r#"{}"#,
            r#"{"properties":{"objectType":"AzureFileShareBackupRequest"}}"#,
            r#"{"properties":{"objectType":"IaasVMBackupRequest","recoveryPointExpiryTimeInUTC":"tomorrow"}}"#,
            r#"{"properties":{"objectType":"IaasVMBackupRequest","recoveryPointExpiryTimeInUTC":"2025-04-30T00:00:00Z"}}"#,
            r#"{"properties":{"objectType":"IaasVMBackupRequest","recoveryPointExpiryTimeInUTC":5}}"#,
        ] {
            assert_eq!(parse(body), Err(400), "{body}");
        }
    }
}
