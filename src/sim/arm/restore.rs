//! Restore of an Azure VM's disks from a recovery point:
//! `POST …/recoveryPoints/{point}/restore` with an `IaasVMRestoreRequest` of type `RestoreDisks`.
//! It replies like the backup trigger (202 and polling headers) and starts a restore job. The job's
//! managed disks appear in the target resource group when it completes (see `compute::settle`).

use hyper::StatusCode;
use serde_json::{json, Map, Value};
use time::{Duration, OffsetDateTime};

use super::backup::accepted_with_polling_headers;
use super::jobs::{job_state, JobState};
use super::path::ItemPath;
use super::recovery_points::find_point;
use super::resource_groups::{existing_group, same_location};
use super::resource_path::{id_segments, parse_group_id, parse_group_resource_id};
use super::resources::{find_item, virtual_machine_id};
use super::response::{arm_error, parse_json_body};
use super::storage::{account_location, find_account, STORAGE_ACCOUNT_TYPE};
use crate::sim::clock::configured_seconds;
use crate::sim::format;
use crate::sim::http::{SimRequest, SimResponse};
use crate::sim::scenario::JobOutcome;
use crate::sim::state::{BackupJob, BackupOperation};
use crate::sim::Simulator;

/// The request `properties.objectType` for an Azure VM restore.
const VM_RESTORE_REQUEST: &str = "IaasVMRestoreRequest";

/// The only `recoveryType` the simulator restores.
const RESTORE_DISKS: &str = "RestoreDisks";

/// The one task of a disk restore job.
const TRANSFER_TASK: &str = "Transfer data from vault";

/// `errorDetails[0].errorString` of a failed restore job whose scenario gives none.
pub(crate) const DEFAULT_FAILURE_MESSAGE: &str =
    "Restore failed while copying the disks from the vault to the staging storage account.";

/// The recovery point, staging account and target group of a restore job.
#[derive(Debug, Clone)]
pub(crate) struct RestoreDetails {
    /// Name of the recovery point.
    pub(crate) recovery_point: String,
    pub(crate) recovery_point_time: OffsetDateTime,
    /// Name of the staging storage account.
    pub(crate) storage_account: String,
    /// The target resource group, spelt as in the scenario.
    pub(crate) target_resource_group: String,
    /// Container in the staging account for the configuration and template blobs.
    pub(crate) config_container: String,
    /// Whether the job's outcome has been applied: disks created after success, nothing after a
    /// failure.
    pub(crate) settled: bool,
}

/// The fields of a restore request body, checked for syntax but not yet against the scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RestoreRequest {
    recovery_point_id: String,
    source_resource_id: String,
    storage_account_id: String,
    region: String,
    target_resource_group_id: String,
}

/// Builds the `BMSUserErrorInvalidInput` response for a restore request.
// NOTE: the service's codes for each invalid field are not documented. The simulator returns the
// Recovery Services invalid-input code for all of them.
fn invalid_input(detail: &str) -> SimResponse {
    arm_error(
        StatusCode::BAD_REQUEST,
        "BMSUserErrorInvalidInput",
        format!("Input provided for the call is invalid. {detail}"),
    )
}

/// Parses the body `{"properties": {"objectType": "IaasVMRestoreRequest", "recoveryType":
/// "RestoreDisks", …}}`. Fields the simulator does not use (`createNewCloudService`,
/// `encryptionDetails`, `identityInfo`, …) are accepted and ignored.
fn parse_restore_request(body: &[u8]) -> Result<RestoreRequest, SimResponse> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid_input("The request body is missing."));
    }
    let body = parse_json_body(body)?;
    let properties = body
        .get("properties")
        .filter(|properties| properties.is_object())
        .ok_or_else(|| invalid_input("The body must have a 'properties' object."))?;
    let text = |field: &str| {
        properties
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    let required = |field: &str| -> Result<String, SimResponse> {
        match text(field).trim() {
            "" => Err(invalid_input(&format!(
                "properties.{field} is required for a {RESTORE_DISKS} restore."
            ))),
            value => Ok(value.to_owned()),
        }
    };

    let object_type = text("objectType");
    if !object_type.eq_ignore_ascii_case(VM_RESTORE_REQUEST) {
        return Err(invalid_input(&format!(
            "properties.objectType must be '{VM_RESTORE_REQUEST}' for an Azure VM, got '{object_type}'."
        )));
    }
    let recovery_type = text("recoveryType");
    if ["AlternateLocation", "OriginalLocation"]
        .iter()
        .any(|other| other.eq_ignore_ascii_case(recovery_type))
    {
        return Err(invalid_input(&format!(
            "The simulator restores only with recoveryType '{RESTORE_DISKS}', got '{recovery_type}'."
        )));
    }
    if !recovery_type.eq_ignore_ascii_case(RESTORE_DISKS) {
        return Err(invalid_input(&format!(
            "properties.recoveryType must be one of OriginalLocation, AlternateLocation, RestoreDisks, got '{recovery_type}'."
        )));
    }
    for flag in ["createNewCloudService", "originalStorageAccountOption"] {
        if properties
            .get(flag)
            .is_some_and(|value| !value.is_boolean())
        {
            return Err(invalid_input(&format!(
                "properties.{flag} must be true or false."
            )));
        }
    }
    if properties.get("originalStorageAccountOption") == Some(&Value::Bool(true)) {
        return Err(invalid_input(
            "originalStorageAccountOption true restores unmanaged disks to their original account, which the simulator does not serve; send false.",
        ));
    }

    Ok(RestoreRequest {
        recovery_point_id: required("recoveryPointId")?,
        source_resource_id: required("sourceResourceId")?,
        storage_account_id: required("storageAccountId")?,
        region: required("region")?,
        // The service restores a managed VM's disks into this group. Without it they would stay as
        // blobs in the staging account, which the simulator does not model.
        target_resource_group_id: required("targetResourceGroupId")?,
    })
}

/// A restore request resolved against the scenario.
struct RestoreTarget {
    storage_account: String,
    target_resource_group: String,
}

/// Checks a parsed request against the path's item and point and the scenario's resources.
fn resolve_request(
    simulator: &Simulator,
    vault_index: usize,
    item_index: usize,
    point_name: &str,
    request: &RestoreRequest,
) -> Result<RestoreTarget, SimResponse> {
    let vault = &simulator.scenario.arm.vaults[vault_index];
    let item = &vault.protected_items[item_index];
    let subscription = &simulator.scenario.ids.subscription;

    if request.recovery_point_id != point_name {
        return Err(invalid_input(&format!(
            "properties.recoveryPointId '{}' differs from the recovery point '{point_name}' in the URL.",
            request.recovery_point_id
        )));
    }
    let vm_id = virtual_machine_id(simulator, item);
    if !request.source_resource_id.eq_ignore_ascii_case(&vm_id) {
        return Err(invalid_input(&format!(
            "properties.sourceResourceId '{}' is not the protected VM '{vm_id}'.",
            request.source_resource_id
        )));
    }
    if !same_location(&request.region, &vault.location) {
        return Err(invalid_input(&format!(
            "properties.region '{}' differs from the vault's location '{}'.",
            request.region, vault.location
        )));
    }

    let segments = id_segments(&request.storage_account_id);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let account = parse_group_resource_id(&segments)
        .filter(|id| {
            id.group.subscription.eq_ignore_ascii_case(subscription)
                && format!("{}/{}", id.provider, id.resource_type)
                    .eq_ignore_ascii_case(STORAGE_ACCOUNT_TYPE)
        })
        .and_then(|id| find_account(simulator, &id.group.resource_group, &id.name))
        .ok_or_else(|| {
            invalid_input(&format!(
                "properties.storageAccountId '{}' does not name an existing storage account in subscription '{subscription}'.",
                request.storage_account_id
            ))
        })?;
    // The staging account must be in the vault's region.
    if !same_location(account_location(simulator, account), &vault.location) {
        return Err(invalid_input(&format!(
            "The staging storage account '{}' is in '{}', not in the vault's location '{}'.",
            account.name,
            account_location(simulator, account),
            vault.location
        )));
    }

    let target_group = parse_group_id(&request.target_resource_group_id)
        .filter(|group| group.subscription.eq_ignore_ascii_case(subscription))
        .and_then(|group| existing_group(simulator, &group.resource_group))
        .ok_or_else(|| {
            invalid_input(&format!(
                "properties.targetResourceGroupId '{}' does not name an existing resource group in subscription '{subscription}'.",
                request.target_resource_group_id
            ))
        })?;

    Ok(RestoreTarget {
        storage_account: account.name.clone(),
        target_resource_group: target_group.name,
    })
}

// NOTE: the documentation lists BMSUserErrorObjectLocked ("Another operation is in progress on the
// selected item.") but not whether it comes back as HTTP 409 on the POST or as a failed job. The
// simulator returns 409 on the POST. UserErrorAnotherRestoreInProgressOnSameTarget is documented
// for file shares only.
fn restore_in_progress(job_id: &str) -> SimResponse {
    arm_error(
        StatusCode::CONFLICT,
        "BMSUserErrorObjectLocked",
        format!(
            "Another operation is in progress on the selected item. Wait for restore job '{job_id}' to finish and retry."
        ),
    )
}

/// `POST …/recoveryPoints/{point}/restore`.
pub(crate) fn trigger(
    simulator: &Simulator,
    request: &SimRequest,
    path: &ItemPath,
    point_name: &str,
) -> Result<SimResponse, SimResponse> {
    let (vault_index, item_index) = find_item(simulator, path)?;
    let now = simulator.clock.now();
    let point = find_point(simulator, vault_index, item_index, point_name, now)?;
    let parsed = parse_restore_request(&request.body)?;
    let target = resolve_request(simulator, vault_index, item_index, &point.name, &parsed)?;

    let vault = &simulator.scenario.arm.vaults[vault_index];
    let item = &vault.protected_items[item_index];
    let operation_id = uuid::Uuid::new_v4().to_string();
    let job_id = uuid::Uuid::new_v4().to_string();
    let operation_duration = configured_seconds(simulator.scenario.arm.operation_duration_seconds);
    {
        // The check and the new job share one lock, so two concurrent triggers cannot both pass.
        let mut state = simulator.state();
        let running = state.jobs.iter().find(|job| {
            job.restore.is_some()
                && job.vault == vault_index
                && job.item == item_index
                && job_state(job, now).outcome.is_none()
        });
        if let Some(running) = running {
            return Err(restore_in_progress(&running.id));
        }
        state.operations.push(BackupOperation {
            id: operation_id.clone(),
            vault: vault_index,
            item: item_index,
            job_id: job_id.clone(),
            started_at: now,
            completes_at: now + operation_duration,
            failure: None,
        });
        state.jobs.push(BackupJob {
            id: job_id.clone(),
            vault: vault_index,
            item: item_index,
            started_at: now,
            activity_id: uuid::Uuid::new_v4().to_string(),
            plan: item.restore.clone(),
            recovery_point_expiry: None,
            restore: Some(RestoreDetails {
                recovery_point: point.name.clone(),
                recovery_point_time: point.time,
                storage_account: target.storage_account,
                target_resource_group: target.target_resource_group,
                config_container: format!("{}-{}", item.vm_name.to_ascii_lowercase(), &job_id[..8]),
                settled: false,
            }),
            cancel_requested_at: None,
        });
    }

    Ok(accepted_with_polling_headers(
        simulator,
        vault,
        item,
        &operation_id,
    ))
}

/// Builds the one task of a restore job, `Transfer data from vault`.
pub(crate) fn task_list(job: &BackupJob, state: &JobState) -> Value {
    let status = match state.outcome {
        None => "InProgress",
        Some(JobOutcome::Failed) => "Failed",
        Some(JobOutcome::Cancelled) => "Cancelled",
        Some(_) => "Completed",
    };
    let duration = state
        .elapsed
        .min(configured_seconds(job.plan.duration_seconds));
    json!([{
        "taskId": TRANSFER_TASK,
        "duration": format::iso8601_duration(duration.max(Duration::ZERO)),
        "status": status,
    }])
}

/// Builds the `propertyBag` of a restore job. The configuration and template blobs are named once
/// the job has succeeded, because the restore writes them at its end.
// NOTE: "VM Name" is the key of backup jobs, the others are those that Microsoft's PowerShell
// examples read from a disk restore job. The time format of "Recovery point time" (US short date
// and time) is a guess.
pub(crate) fn property_bag(
    job: &BackupJob,
    details: &RestoreDetails,
    state: &JobState,
    vm_name: &str,
) -> Value {
    let mut bag = Map::new();
    bag.insert("VM Name".to_owned(), json!(vm_name));
    bag.insert("Job Type".to_owned(), json!("Recover disks"));
    bag.insert(
        "Target resource group".to_owned(),
        json!(details.target_resource_group),
    );
    bag.insert(
        "Target Storage Account Name".to_owned(),
        json!(details.storage_account),
    );
    bag.insert(
        "Recovery point time".to_owned(),
        json!(format::us_date_time(details.recovery_point_time)),
    );
    let succeeded = matches!(
        state.outcome,
        Some(JobOutcome::Completed | JobOutcome::CompletedWithWarnings)
    );
    if succeeded {
        let container_url = format!(
            "https://{}.blob.core.windows.net/{}",
            details.storage_account, details.config_container
        );
        let config_blob = format!("config-{}.json", job.id);
        bag.insert(
            "Config Blob Container Name".to_owned(),
            json!(details.config_container),
        );
        bag.insert("Config Blob Name".to_owned(), json!(config_blob));
        bag.insert(
            "Config Blob Uri".to_owned(),
            json!(format!("{container_url}/{config_blob}")),
        );
        bag.insert(
            "Template Blob Uri".to_owned(),
            json!(format!("{container_url}/azuredeploy{}.json", job.id)),
        );
    }
    Value::Object(bag)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"{"properties": {
        "objectType": "IaasVMRestoreRequest", "recoveryType": "RestoreDisks",
        "recoveryPointId": "22244821112382",
        "sourceResourceId": "/subscriptions/s/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-app01",
        "storageAccountId": "/subscriptions/s/resourceGroups/rg-backup/providers/Microsoft.Storage/storageAccounts/stdrillstaging",
        "region": "westeurope",
        "targetResourceGroupId": "/subscriptions/s/resourceGroups/rg-drill",
        "createNewCloudService": false, "originalStorageAccountOption": false,
        "encryptionDetails": {"encryptionEnabled": false}}}"#;

    fn parse(body: &str) -> Result<RestoreRequest, String> {
        parse_restore_request(body.as_bytes()).map_err(|response| {
            let body: Value = serde_json::from_slice(&response.body).unwrap();
            format!(
                "{} {}",
                response.status.as_u16(),
                body["error"]["message"].as_str().unwrap()
            )
        })
    }

    fn with(field: &str, value: Value) -> String {
        let mut body: Value = serde_json::from_str(VALID).unwrap();
        body["properties"][field] = value;
        body.to_string()
    }

    fn without(field: &str) -> String {
        let mut body: Value = serde_json::from_str(VALID).unwrap();
        body["properties"].as_object_mut().unwrap().remove(field);
        body.to_string()
    }

    #[test]
    fn restore_request_accepts_documented_body() {
        let parsed = parse(VALID).unwrap();
        assert_eq!(parsed.recovery_point_id, "22244821112382");
        assert_eq!(parsed.region, "westeurope");
        assert!(parsed.target_resource_group_id.ends_with("/rg-drill"));
        assert!(parse(&with("objectType", json!("iaasvmrestorerequest"))).is_ok());
        assert!(parse(&with("recoveryType", json!("restoredisks"))).is_ok());
        assert!(parse(&with(
            "identityInfo",
            json!({"isSystemAssignedIdentity": false})
        ))
        .is_ok());
    }

    #[test]
    fn restore_request_rejects_invalid_bodies() {
        for (body, expected) in [
            (String::new(), "body is missing"),
            ("not json".to_owned(), "could not be deserialized"),
            ("{}".to_owned(), "'properties' object"),
            (
                with("objectType", json!("AzureFileShareRestoreRequest")),
                "objectType",
            ),
            (
                with("recoveryType", json!("AlternateLocation")),
                "only with recoveryType",
            ),
            (with("recoveryType", json!("Offline")), "must be one of"),
            (without("recoveryType"), "must be one of"),
            (without("storageAccountId"), "storageAccountId is required"),
            (
                without("targetResourceGroupId"),
                "targetResourceGroupId is required",
            ),
            (with("region", json!("")), "region is required"),
            (with("createNewCloudService", json!("no")), "true or false"),
            (
                with("originalStorageAccountOption", json!(true)),
                "send false",
            ),
        ] {
            let error = parse(&body).unwrap_err();
            assert!(error.starts_with("400 "), "{body}: {error}");
            assert!(error.contains(expected), "{body}: {error}");
        }
    }
}
