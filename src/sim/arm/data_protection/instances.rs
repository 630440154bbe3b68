//! `GET {backupVault}`, and its backup instances: the paged `GET {backupVault}/backupInstances`
//! and `GET {backupVault}/backupInstances/{name}`, in the shape of the service's
//! `BackupInstances_Get` example.

use hyper::StatusCode;
use serde_json::{json, Value};

use super::path::BackupVaultPath;
use super::{
    backup_vault_id, datasource_id, find_backup_vault, find_instance, instance_id, policy_id,
    BACKUP_VAULT_TYPE,
};
use crate::sim::arm::paging::select_page;
use crate::sim::http::{SimRequest, SimResponse};
use crate::sim::scenario::{BackupInstanceScenario, BackupVaultScenario};
use crate::sim::Simulator;

/// `GET {backupVault}`: the Backup vault resource.
pub(crate) fn vault(
    simulator: &Simulator,
    path: &BackupVaultPath,
) -> Result<SimResponse, SimResponse> {
    let vault_index = find_backup_vault(simulator, path)?;
    let vault = &simulator.scenario.arm.backup_vaults[vault_index];
    let body = json!({
        "id": backup_vault_id(simulator, vault),
        "name": vault.name,
        "type": BACKUP_VAULT_TYPE,
        "location": vault.location,
        "tags": {},
        "properties": {
            "provisioningState": "Succeeded",
            "storageSettings": [{ "datastoreType": "VaultStore", "type": "LocallyRedundant" }],
        }
    });
    Ok(SimResponse::json(StatusCode::OK, &body))
}

/// `GET {backupVault}/backupInstances/{name}`.
pub(crate) fn get(
    simulator: &Simulator,
    path: &BackupVaultPath,
    instance_name: &str,
) -> Result<SimResponse, SimResponse> {
    let (vault_index, instance_index) = find_instance(simulator, path, instance_name)?;
    let vault = &simulator.scenario.arm.backup_vaults[vault_index];
    let instance = &vault.backup_instances[instance_index];
    Ok(SimResponse::json(
        StatusCode::OK,
        &instance_resource(simulator, vault, instance),
    ))
}

/// `GET {backupVault}/backupInstances`, in the scenario's order.
pub(crate) fn list(
    simulator: &Simulator,
    request: &SimRequest,
    path: &BackupVaultPath,
) -> Result<SimResponse, SimResponse> {
    let vault_index = find_backup_vault(simulator, path)?;
    let vault = &simulator.scenario.arm.backup_vaults[vault_index];
    let resource_path = format!("{}/backupInstances", backup_vault_id(simulator, vault));
    let page = select_page(
        simulator,
        request,
        vault.backup_instances.len(),
        &resource_path,
        "$skipToken",
    )?;
    let values: Vec<Value> = vault.backup_instances[page.range.clone()]
        .iter()
        .map(|instance| instance_resource(simulator, vault, instance))
        .collect();
    Ok(page.reply(values))
}

/// Builds the backup instance resource. `dataSourceSetInfo` repeats the data source, because a
/// managed disk is its own data source set.
fn instance_resource(
    simulator: &Simulator,
    vault: &BackupVaultScenario,
    instance: &BackupInstanceScenario,
) -> Value {
    let datasource_id = datasource_id(simulator, instance);
    let datasource = |object_type: &str| {
        json!({
            "resourceID": datasource_id,
            "resourceUri": datasource_id,
            "datasourceType": instance.datasource_type,
            "resourceName": instance.datasource_name,
            "resourceType": instance.datasource_type,
            "resourceLocation": vault.location,
            "objectType": object_type,
        })
    };
    json!({
        "id": instance_id(simulator, vault, instance),
        "name": instance.resolved_name(),
        "type": "Microsoft.DataProtection/backupVaults/backupInstances",
        "properties": {
            "friendlyName": instance.resolved_friendly_name(),
            "dataSourceInfo": datasource("Datasource"),
            "dataSourceSetInfo": datasource("DatasourceSet"),
            "policyInfo": { "policyId": policy_id(simulator, vault, instance) },
            "protectionStatus": { "status": "ProtectionConfigured" },
            "currentProtectionState": "ProtectionConfigured",
            "provisioningState": "Succeeded",
            "objectType": "BackupInstance",
        }
    })
}
