//! The list of simulated ARM resources that exist now, for `GET {admin_url}/resources`: resource
//! groups, storage accounts, vaults, protected VMs and managed disks, so that tests can check what a
//! restore drill left behind.

use serde_json::{json, Value};

use super::compute::{disk_id, settle, DISK_TYPE, VIRTUAL_MACHINE_TYPE};
use super::resource_groups::group_id;
use super::resources::{vault_id, virtual_machine_id};
use super::storage::{account_id, account_location, STORAGE_ACCOUNT_TYPE};
use crate::sim::Simulator;

/// Builds one entry: `{"id", "name", "type", "resource_group", "location", "tags"}`.
fn entry(
    id: String,
    name: &str,
    resource_type: &str,
    resource_group: &str,
    location: &str,
) -> Value {
    json!({
        "id": id,
        "name": name,
        "type": resource_type,
        "resource_group": resource_group,
        "location": location,
        "tags": {},
    })
}

/// Returns every resource in the order groups, storage accounts, vaults, VMs, disks. Disk entries
/// also carry `disk_state` (`Attached` or `Unattached`), `disk_size_gb`, `sku`, `restore_job_id`
/// (the job that created the disk, or null) and `deleting` (a deletion is running).
pub(crate) fn resources(simulator: &Simulator) -> Value {
    let arm = &simulator.scenario.arm;
    let mut entries = Vec::new();
    for group in arm.existing_resource_groups() {
        entries.push(entry(
            group_id(simulator, &group.name),
            &group.name,
            "Microsoft.Resources/resourceGroups",
            &group.name,
            &group.location,
        ));
    }
    for account in &arm.storage_accounts {
        entries.push(entry(
            account_id(simulator, account),
            &account.name,
            STORAGE_ACCOUNT_TYPE,
            &account.resource_group,
            account_location(simulator, account),
        ));
    }
    for vault in &arm.vaults {
        entries.push(entry(
            vault_id(simulator, vault),
            &vault.name,
            "Microsoft.RecoveryServices/vaults",
            &vault.resource_group,
            &vault.location,
        ));
    }
    let mut vm_ids: Vec<String> = Vec::new();
    for vault in &arm.vaults {
        for item in &vault.protected_items {
            let id = virtual_machine_id(simulator, item);
            if vm_ids.iter().any(|seen| seen.eq_ignore_ascii_case(&id)) {
                continue;
            }
            vm_ids.push(id.clone());
            entries.push(entry(
                id,
                &item.vm_name,
                VIRTUAL_MACHINE_TYPE,
                &item.vm_resource_group,
                &vault.location,
            ));
        }
    }

    let now = simulator.clock.now();
    let mut state = simulator.state();
    settle(simulator, &mut state, now);
    let compute = &state.compute;
    for disk in &compute.disks {
        let deleting = compute.deletions.iter().any(|deletion| {
            !deletion.finished && disk.is_in(&deletion.resource_group, &deletion.disk_name)
        });
        let mut disk_entry = entry(
            disk_id(simulator, disk),
            &disk.name,
            DISK_TYPE,
            &disk.resource_group,
            &disk.location,
        );
        disk_entry["tags"] = json!(disk.tags);
        disk_entry["disk_state"] = json!(if disk.managed_by.is_some() {
            "Attached"
        } else {
            "Unattached"
        });
        disk_entry["disk_size_gb"] = json!(disk.size_gb);
        disk_entry["sku"] = json!(disk.sku);
        disk_entry["restore_job_id"] = json!(disk.restore_job);
        disk_entry["deleting"] = json!(deleting);
        entries.push(disk_entry);
    }
    Value::Array(entries)
}
