//! Protected items: the VM item resource, `GET {vault}/backupProtectedItems?$filter=…` (paged) and
//! `GET …/protectionContainers/{container}/protectedItems/{item}`.

use hyper::StatusCode;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

use super::filter;
use super::jobs::job_state;
use super::paging::select_page;
use super::path::{ItemPath, VaultPath};
use super::recovery_points::newest_scenario_point_time;
use super::resources::{
    container_name, find_item, find_vault, item_id, protected_item_name, vault_id,
    virtual_machine_id,
};
use super::response::arm_error;
use crate::sim::format;
use crate::sim::http::{SimRequest, SimResponse};
use crate::sim::scenario::JobOutcome;
use crate::sim::Simulator;

/// Age of the last scheduled backup that every item has when the simulator starts.
const INITIAL_BACKUP_AGE: Duration = Duration::days(1);

/// `protectedItemDataId` of the first item. Real values are large opaque numbers; this one only
/// keeps the simulator's IDs in that range.
const FIRST_ITEM_DATA_ID: u64 = 17_592_186_044_416;

/// Builds the protected item resource in the shape of the service's `ProtectedItems_Get` example.
pub(crate) fn item_resource(
    simulator: &Simulator,
    vault_index: usize,
    item_index: usize,
    now: OffsetDateTime,
) -> Value {
    let vault = &simulator.scenario.arm.vaults[vault_index];
    let item = &vault.protected_items[item_index];
    let (last_status, last_backup, last_recovery_point) =
        last_backup(simulator, vault_index, item_index, now);
    let vm_id = virtual_machine_id(simulator, item);
    let container = container_name(item);
    let short_container = container
        .split_once(';')
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or(container.clone());
    let data_id = FIRST_ITEM_DATA_ID + (vault_index as u64) * 1000 + item_index as u64;

    json!({
        "id": item_id(simulator, vault, item),
        "name": protected_item_name(item),
        "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems",
        "properties": {
            "friendlyName": item.vm_name,
            "virtualMachineId": vm_id,
            "protectionStatus": "Healthy",
            "protectionState": "Protected",
            "healthStatus": "Passed",
            "lastBackupStatus": last_status,
            "lastBackupTime": format::dotnet_utc(last_backup),
            "protectedItemDataId": data_id.to_string(),
            "protectedItemType": "Microsoft.Compute/virtualMachines",
            "backupManagementType": "AzureIaasVM",
            "workloadType": "VM",
            "containerName": short_container,
            "sourceResourceId": vm_id,
            "policyId": format!("{}/backupPolicies/{}", vault_id(simulator, vault), item.policy_name),
            "lastRecoveryPoint": format::dotnet_utc(last_recovery_point),
            "policyType": "V2",
        }
    })
}

/// Status and time of the item's latest finished backup job, and its latest recovery point. Before
/// any job finishes, a successful scheduled backup that took the scenario's newest recovery point
/// (one day before the simulator started when the scenario lists none).
fn last_backup(
    simulator: &Simulator,
    vault_index: usize,
    item_index: usize,
    now: OffsetDateTime,
) -> (&'static str, OffsetDateTime, OffsetDateTime) {
    let initial = newest_scenario_point_time(simulator, vault_index, item_index)
        .unwrap_or_else(|| simulator.clock.origin() - INITIAL_BACKUP_AGE);
    let mut status = "Completed";
    let mut last_time = initial;
    let mut recovery_point = initial;
    let state = simulator.state();
    let item_jobs = state
        .jobs
        .iter()
        .filter(|job| job.vault == vault_index && job.item == item_index && job.restore.is_none());
    for job in item_jobs {
        let current = job_state(job, now);
        let Some(ended_at) = current.ended_at else {
            continue;
        };
        if ended_at >= last_time {
            status = current.status;
            last_time = ended_at;
        }
        let has_point = matches!(
            current.outcome,
            Some(JobOutcome::Completed | JobOutcome::CompletedWithWarnings)
        );
        if has_point && ended_at >= recovery_point {
            recovery_point = ended_at;
        }
    }
    (status, last_time, recovery_point)
}

/// `GET {vault}/backupProtectedItems?$filter=…`.
pub(crate) fn list(
    simulator: &Simulator,
    request: &SimRequest,
    path: &VaultPath,
) -> Result<SimResponse, SimResponse> {
    let vault_index = find_vault(simulator, path)?;
    let vault = &simulator.scenario.arm.vaults[vault_index];
    let clauses = filter::parse(request.query_value("$filter").unwrap_or_default())
        .map_err(|detail| invalid_filter(&detail))?;

    let mut matching = Vec::new();
    for (item_index, item) in vault.protected_items.iter().enumerate() {
        let mut keep = true;
        for clause in &clauses {
            let actual = match clause.field.to_ascii_lowercase().as_str() {
                "backupmanagementtype" => "AzureIaasVM",
                "itemtype" | "workloadtype" => "VM",
                "policyname" => item.policy_name.as_str(),
                "friendlyname" => item.vm_name.as_str(),
                _ => {
                    return Err(invalid_filter(&format!(
                        "the field '{}' is not supported; use backupManagementType, itemType, policyName or friendlyName",
                        clause.field
                    )))
                }
            };
            keep &= actual.eq_ignore_ascii_case(&clause.value);
        }
        if keep {
            matching.push(item_index);
        }
    }

    let now = simulator.clock.now();
    let resource_path = format!("{}/backupProtectedItems", vault_id(simulator, vault));
    let page = select_page(
        simulator,
        request,
        matching.len(),
        &resource_path,
        "$skipToken",
    )?;
    let values: Vec<Value> = matching[page.range.clone()]
        .iter()
        .map(|item_index| item_resource(simulator, vault_index, *item_index, now))
        .collect();
    Ok(page.reply(values))
}

// NOTE: the real service's code for a malformed $filter is not documented; the simulator uses the
// Recovery Services invalid-input code.
fn invalid_filter(detail: &str) -> SimResponse {
    arm_error(
        StatusCode::BAD_REQUEST,
        "BMSUserErrorInvalidInput",
        format!("Input provided for the call is invalid: $filter {detail}"),
    )
}

/// `GET …/protectionContainers/{container}/protectedItems/{item}`.
pub(crate) fn get(simulator: &Simulator, path: &ItemPath) -> Result<SimResponse, SimResponse> {
    let (vault_index, item_index) = find_item(simulator, path)?;
    let now = simulator.clock.now();
    Ok(SimResponse::json(
        StatusCode::OK,
        &item_resource(simulator, vault_index, item_index, now),
    ))
}
