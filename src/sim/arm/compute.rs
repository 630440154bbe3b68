//! Compute resources: the protected VMs (`GET …/virtualMachines/{vm}`) and managed disks
//! (`GET …/disks`, `GET …/disks/{name}`). The disks are the VMs' own, created on first use, and
//! those that completed restore jobs add to their target resource group.
//!
//! Disk state is brought up to date lazily: every handler that reads or changes disks first calls
//! [`settle`], which applies finished restore jobs and finished deletions at the current
//! simulated time.

use hyper::StatusCode;
use serde_json::{json, Map, Value};
use time::{Duration, OffsetDateTime, UtcOffset};

use super::disk_deletion::{finish_deletions, DiskDeletion};
use super::jobs::job_state;
use super::paging::select_page;
use super::resource_groups::{find_group, resource_not_found};
use super::resource_path::GroupPath;
use super::resources::virtual_machine_id;
use crate::sim::http::{SimRequest, SimResponse};
use crate::sim::scenario::{JobOutcome, ProtectedItemScenario};
use crate::sim::state::State;
use crate::sim::Simulator;

pub(crate) const DISK_TYPE: &str = "Microsoft.Compute/disks";
pub(crate) const VIRTUAL_MACHINE_TYPE: &str = "Microsoft.Compute/virtualMachines";

/// `osType` of every simulated VM, its OS disk and its recovery points.
pub(crate) const OS_TYPE: &str = "Linux";

/// `creationData.createOption` of a disk that a restore created.
// NOTE: a guess. Azure Backup does not document how the disks it restores record their origin.
const RESTORED_CREATE_OPTION: &str = "Restore";

/// Age of the VMs' own disks when the simulator starts (their `timeCreated`).
const SOURCE_DISK_AGE: Duration = Duration::days(90);

/// One GiB in bytes, for `diskSizeBytes`.
const BYTES_PER_GIB: u64 = 1 << 30;

/// A managed disk: a protected VM's own disk, or one that a restore created.
#[derive(Debug, Clone)]
pub(crate) struct Disk {
    /// The resource group, spelt as in the scenario.
    pub(crate) resource_group: String,
    pub(crate) name: String,
    pub(crate) location: String,
    /// `sku.name`, such as `Premium_LRS`.
    pub(crate) sku: String,
    pub(crate) size_gb: u64,
    /// `properties.osType`, on OS disks only.
    pub(crate) os_type: Option<&'static str>,
    /// `properties.creationData.createOption`.
    pub(crate) create_option: &'static str,
    /// The VM the disk is attached to (`managedBy`); restored disks are unattached.
    pub(crate) managed_by: Option<String>,
    pub(crate) tags: Map<String, Value>,
    pub(crate) created_at: OffsetDateTime,
    /// `properties.uniqueId`, a GUID.
    pub(crate) unique_id: String,
    /// The restore job that created the disk.
    pub(crate) restore_job: Option<String>,
}

impl Disk {
    pub(crate) fn is_in(&self, resource_group: &str, name: &str) -> bool {
        self.resource_group.eq_ignore_ascii_case(resource_group)
            && self.name.eq_ignore_ascii_case(name)
    }
}

/// The managed disks that exist and the deletions that were started.
#[derive(Debug, Default)]
pub(crate) struct ComputeState {
    /// Whether the protected VMs' own disks have been created.
    pub(crate) seeded: bool,
    /// Disks in the order they were created.
    pub(crate) disks: Vec<Disk>,
    pub(crate) deletions: Vec<DiskDeletion>,
}

impl ComputeState {
    pub(crate) fn disk(&self, resource_group: &str, name: &str) -> Option<&Disk> {
        self.disks
            .iter()
            .find(|disk| disk.is_in(resource_group, name))
    }

    pub(crate) fn disk_mut(&mut self, resource_group: &str, name: &str) -> Option<&mut Disk> {
        self.disks
            .iter_mut()
            .find(|disk| disk.is_in(resource_group, name))
    }
}

/// Brings the disks up to `now`: creates the protected VMs' own disks on first use, the disks of
/// restore jobs that have completed, and removes disks whose deletion has succeeded. Takes the
/// locked state, so it must not lock it again.
pub(crate) fn settle(simulator: &Simulator, state: &mut State, now: OffsetDateTime) {
    if !state.compute.seeded {
        seed_source_disks(simulator, state);
        state.compute.seeded = true;
    }
    create_restored_disks(simulator, state, now);
    finish_deletions(state, now);
}

/// Creates each protected VM's disks in the VM's resource group, once per VM even when several
/// vaults list it.
fn seed_source_disks(simulator: &Simulator, state: &mut State) {
    let created_at = simulator.clock.origin() - SOURCE_DISK_AGE;
    for vault in &simulator.scenario.arm.vaults {
        for item in &vault.protected_items {
            for disk in &item.source_disks {
                let name = disk.resolved_name(&item.vm_name);
                if state.compute.disk(&item.vm_resource_group, &name).is_some() {
                    continue;
                }
                let is_os_disk = disk.lun.is_none();
                state.compute.disks.push(Disk {
                    resource_group: item.vm_resource_group.clone(),
                    name,
                    location: vault.location.clone(),
                    sku: disk.sku.clone(),
                    size_gb: disk.size_gb,
                    os_type: is_os_disk.then_some(OS_TYPE),
                    create_option: if is_os_disk { "FromImage" } else { "Empty" },
                    managed_by: Some(virtual_machine_id(simulator, item)),
                    tags: Map::new(),
                    created_at,
                    unique_id: uuid::Uuid::new_v4().to_string(),
                    restore_job: None,
                });
            }
        }
    }
}

/// Creates the disks of every restore job that has completed since the last call. A failed or
/// cancelled job creates nothing.
fn create_restored_disks(simulator: &Simulator, state: &mut State, now: OffsetDateTime) {
    let mut new_disks = Vec::new();
    for job in state.jobs.iter_mut() {
        let unsettled = job.restore.as_ref().is_some_and(|details| !details.settled);
        if !unsettled {
            continue;
        }
        let current = job_state(job, now);
        let (Some(outcome), Some(ended_at)) = (current.outcome, current.ended_at) else {
            continue;
        };
        let Some(details) = job.restore.as_mut() else {
            continue;
        };
        details.settled = true;
        if !matches!(
            outcome,
            JobOutcome::Completed | JobOutcome::CompletedWithWarnings
        ) {
            continue;
        }
        let vault = &simulator.scenario.arm.vaults[job.vault];
        let item = &vault.protected_items[job.item];
        let target_group = details.target_resource_group.clone();
        for (disk, name) in restored_disk_names(item, job.started_at) {
            new_disks.push(Disk {
                resource_group: target_group.clone(),
                name,
                location: vault.location.clone(),
                sku: disk.sku.clone(),
                size_gb: disk.size_gb,
                os_type: disk.lun.is_none().then_some(OS_TYPE),
                create_option: RESTORED_CREATE_OPTION,
                managed_by: None,
                tags: Map::new(),
                created_at: ended_at,
                unique_id: uuid::Uuid::new_v4().to_string(),
                restore_job: Some(job.id.clone()),
            });
        }
    }
    for mut disk in new_disks {
        disk.name = unused_name(&state.compute, &disk.resource_group, &disk.name);
        state.compute.disks.push(disk);
    }
}

/// Names the disks that a restore of `item` started at `restored_at` creates:
/// `{vm}-osdisk-{yyyyMMdd-HHmmss}` and `{vm}-datadisk-{lun}-{yyyyMMdd-HHmmss}`.
// NOTE: the simulator's own scheme. Azure Backup generates the names of restored disks and does not
// document their format, so clients should find the disks by other means than their names.
fn restored_disk_names(
    item: &ProtectedItemScenario,
    restored_at: OffsetDateTime,
) -> Vec<(&crate::sim::scenario::SourceDiskScenario, String)> {
    let time = restored_at.to_offset(UtcOffset::UTC);
    let stamp = format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    );
    item.source_disks
        .iter()
        .map(|disk| {
            let name = match disk.lun {
                None => format!("{}-osdisk-{stamp}", item.vm_name),
                Some(lun) => format!("{}-datadisk-{lun}-{stamp}", item.vm_name),
            };
            (disk, name)
        })
        .collect()
}

/// Returns `name`, or `name-2`, `name-3`, … when a disk in the group already has it (two restores
/// of one VM in the same second).
fn unused_name(compute: &ComputeState, resource_group: &str, name: &str) -> String {
    if compute.disk(resource_group, name).is_none() {
        return name.to_owned();
    }
    (2..)
        .map(|counter| format!("{name}-{counter}"))
        .find(|candidate| compute.disk(resource_group, candidate).is_none())
        .unwrap_or_else(|| name.to_owned())
}

/// Builds a disk's resource ID.
pub(crate) fn disk_id(simulator: &Simulator, disk: &Disk) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/{DISK_TYPE}/{}",
        simulator.scenario.ids.subscription, disk.resource_group, disk.name
    )
}

/// `sku.tier` of a managed disk SKU.
fn disk_tier(sku: &str) -> &'static str {
    if sku.starts_with("Premium") {
        "Premium"
    } else if sku.starts_with("Ultra") {
        "Ultra"
    } else {
        "Standard"
    }
}

/// Writes a time as Compute does: seven fractional digits and a `+00:00` offset.
pub(crate) fn compute_time(time: OffsetDateTime) -> String {
    crate::sim::format::dotnet_utc(time).replace('Z', "+00:00")
}

/// Builds the `Microsoft.Compute/disks` resource.
pub(crate) fn disk_resource(simulator: &Simulator, disk: &Disk) -> Value {
    let mut properties = json!({
        "creationData": { "createOption": disk.create_option },
        "diskSizeGB": disk.size_gb,
        "diskSizeBytes": disk.size_gb * BYTES_PER_GIB,
        "uniqueId": disk.unique_id,
        "provisioningState": "Succeeded",
        "diskState": if disk.managed_by.is_some() { "Attached" } else { "Unattached" },
        "timeCreated": compute_time(disk.created_at),
        "encryption": { "type": "EncryptionAtRestWithPlatformKey" },
        "networkAccessPolicy": "AllowAll",
        "publicNetworkAccess": "Enabled",
    });
    if let Some(os_type) = disk.os_type {
        properties["osType"] = json!(os_type);
    }
    let mut body = json!({
        "id": disk_id(simulator, disk),
        "name": disk.name,
        "type": DISK_TYPE,
        "location": disk.location,
        "tags": disk.tags,
        "sku": { "name": disk.sku, "tier": disk_tier(&disk.sku) },
        "properties": properties,
    });
    if let Some(vm_id) = &disk.managed_by {
        body["managedBy"] = json!(vm_id);
    }
    body
}

/// `GET …/providers/Microsoft.Compute/disks`: the group's disks, paged like other lists.
pub(crate) fn list_disks(
    simulator: &Simulator,
    request: &SimRequest,
    path: &GroupPath,
) -> Result<SimResponse, SimResponse> {
    let group = find_group(simulator, path)?;
    let now = simulator.clock.now();
    let disks: Vec<Disk> = {
        let mut state = simulator.state();
        settle(simulator, &mut state, now);
        state
            .compute
            .disks
            .iter()
            .filter(|disk| disk.resource_group.eq_ignore_ascii_case(&group.name))
            .cloned()
            .collect()
    };
    let resource_path = format!(
        "/subscriptions/{}/resourceGroups/{}/providers/{DISK_TYPE}",
        simulator.scenario.ids.subscription, group.name
    );
    let page = select_page(
        simulator,
        request,
        disks.len(),
        &resource_path,
        "$skiptoken",
    )?;
    let values: Vec<Value> = disks[page.range.clone()]
        .iter()
        .map(|disk| disk_resource(simulator, disk))
        .collect();
    Ok(page.reply(values))
}

/// `GET …/providers/Microsoft.Compute/disks/{name}`.
pub(crate) fn get_disk(
    simulator: &Simulator,
    path: &GroupPath,
    name: &str,
) -> Result<SimResponse, SimResponse> {
    let group = find_group(simulator, path)?;
    let now = simulator.clock.now();
    let disk = {
        let mut state = simulator.state();
        settle(simulator, &mut state, now);
        state.compute.disk(&group.name, name).cloned()
    };
    let disk = disk.ok_or_else(|| resource_not_found(DISK_TYPE, name, &path.resource_group))?;
    Ok(SimResponse::json(
        StatusCode::OK,
        &disk_resource(simulator, &disk),
    ))
}

/// Finds the protected VM with this resource group and name in any vault. Returns the vault and
/// item indexes.
pub(crate) fn find_virtual_machine(
    simulator: &Simulator,
    resource_group: &str,
    name: &str,
) -> Option<(usize, usize)> {
    simulator
        .scenario
        .arm
        .vaults
        .iter()
        .enumerate()
        .find_map(|(vault_index, vault)| {
            vault
                .protected_items
                .iter()
                .position(|item| {
                    item.vm_resource_group.eq_ignore_ascii_case(resource_group)
                        && item.vm_name.eq_ignore_ascii_case(name)
                })
                .map(|item_index| (vault_index, item_index))
        })
}

/// Builds the VM resource with the parts a restore drill reads: size and disks.
pub(crate) fn virtual_machine_resource(
    simulator: &Simulator,
    vault_index: usize,
    item_index: usize,
) -> Value {
    let vault = &simulator.scenario.arm.vaults[vault_index];
    let item = &vault.protected_items[item_index];
    let subscription = &simulator.scenario.ids.subscription;
    let disk_id = |name: &str| {
        format!(
            "/subscriptions/{subscription}/resourceGroups/{}/providers/{DISK_TYPE}/{name}",
            item.vm_resource_group
        )
    };
    let managed_disk = |disk: &crate::sim::scenario::SourceDiskScenario| {
        let name = disk.resolved_name(&item.vm_name);
        json!({ "storageAccountType": disk.sku, "id": disk_id(&name) })
    };

    let mut os_disk = json!(null);
    let mut data_disks = Vec::new();
    for disk in &item.source_disks {
        let name = disk.resolved_name(&item.vm_name);
        match disk.lun {
            None => {
                os_disk = json!({
                    "osType": OS_TYPE,
                    "name": name,
                    "createOption": "FromImage",
                    "caching": "ReadWrite",
                    "managedDisk": managed_disk(disk),
                    "deleteOption": "Detach",
                    "diskSizeGB": disk.size_gb,
                });
            }
            Some(lun) => data_disks.push(json!({
                "lun": lun,
                "name": name,
                "createOption": "Empty",
                "caching": "None",
                "managedDisk": managed_disk(disk),
                "deleteOption": "Detach",
                "diskSizeGB": disk.size_gb,
                "toBeDetached": false,
            })),
        }
    }
    data_disks.sort_by_key(|disk| disk["lun"].as_u64());

    // A stable vmId per VM, so repeated reads agree.
    let vm_number = (vault_index as u128) << 32 | item_index as u128;
    json!({
        "id": virtual_machine_id(simulator, item),
        "name": item.vm_name,
        "type": VIRTUAL_MACHINE_TYPE,
        "location": vault.location,
        "tags": {},
        "properties": {
            "vmId": uuid::Uuid::from_u128(0x5e1f_0000_0000_4000_8000_0000_0000_0000 | vm_number).to_string(),
            "hardwareProfile": { "vmSize": item.vm_size },
            "storageProfile": { "osDisk": os_disk, "dataDisks": data_disks },
            "provisioningState": "Succeeded",
        },
    })
}

/// `GET …/providers/Microsoft.Compute/virtualMachines/{vm}`.
pub(crate) fn get_virtual_machine(
    simulator: &Simulator,
    path: &GroupPath,
    name: &str,
) -> Result<SimResponse, SimResponse> {
    let group = find_group(simulator, path)?;
    let (vault_index, item_index) = find_virtual_machine(simulator, &group.name, name)
        .ok_or_else(|| resource_not_found(VIRTUAL_MACHINE_TYPE, name, &path.resource_group))?;
    Ok(SimResponse::json(
        StatusCode::OK,
        &virtual_machine_resource(simulator, vault_index, item_index),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn restored_disks_named_by_restore_time() {
        let item = ProtectedItemScenario::default();
        let names: Vec<String> = restored_disk_names(&item, datetime!(2025-05-01 08:05:09.7 UTC))
            .into_iter()
            .map(|(_, name)| name)
            .collect();
        assert_eq!(
            names,
            [
                "vm-app01-osdisk-20250501-080509",
                "vm-app01-datadisk-0-20250501-080509"
            ]
        );
    }

    #[test]
    fn disk_tiers_and_times() {
        assert_eq!(disk_tier("Premium_LRS"), "Premium");
        assert_eq!(disk_tier("PremiumV2_LRS"), "Premium");
        assert_eq!(disk_tier("UltraSSD_LRS"), "Ultra");
        assert_eq!(disk_tier("StandardSSD_ZRS"), "Standard");
        assert_eq!(
            compute_time(datetime!(2025-05-01 08:05:09.7 UTC)),
            "2025-05-01T08:05:09.7000000+00:00"
        );
    }
}
