//! Backup vaults (`Microsoft.DataProtection/backupVaults`): their state, the lookups of the vault
//! and backup instance that a path names, and the resource IDs built from them. The routes are
//! parsed in `path`, and served by `instances` (the vault and its backup instances), `backup`
//! (ad-hoc backup and its operation) and `jobs` (backup jobs).

pub(crate) mod backup;
pub(crate) mod instances;
pub(crate) mod jobs;
pub(crate) mod path;

use hyper::StatusCode;
use time::OffsetDateTime;

use self::path::BackupVaultPath;
use super::resource_groups::{existing_group, group_not_found, resource_not_found};
use super::resources::check_subscription;
use super::response::arm_error;
use crate::sim::http::SimResponse;
use crate::sim::scenario::{BackupInstanceScenario, BackupVaultScenario, JobScenario};
use crate::sim::Simulator;

/// The resource type of a Backup vault.
pub(crate) const BACKUP_VAULT_TYPE: &str = "Microsoft.DataProtection/backupVaults";

/// The operation that an ad-hoc backup starts.
#[derive(Debug, Clone)]
pub(crate) struct DataProtectionOperation {
    /// Opaque base64 text, compared case-sensitively.
    pub(crate) id: String,
    pub(crate) vault: usize,
    /// The backup instance, by its index in the vault's scenario.
    pub(crate) instance: usize,
    /// The GUID of the job that the trigger created.
    pub(crate) job_id: String,
    pub(crate) started_at: OffsetDateTime,
    pub(crate) completes_at: OffsetDateTime,
}

/// A Backup vault backup job. Its status is derived from the simulated time and its scenario.
#[derive(Debug, Clone)]
pub(crate) struct DataProtectionJob {
    /// A GUID.
    pub(crate) id: String,
    pub(crate) vault: usize,
    pub(crate) instance: usize,
    pub(crate) started_at: OffsetDateTime,
    pub(crate) activity_id: String,
    /// The instance's job scenario when the job was triggered.
    pub(crate) plan: JobScenario,
    /// The backup rule and retention tag of the request, spelt as in the scenario.
    pub(crate) rule_name: String,
    pub(crate) retention_tag: String,
}

/// Operations and jobs of all Backup vaults, in the order they were created.
#[derive(Debug, Default)]
pub(crate) struct DataProtectionState {
    pub(crate) operations: Vec<DataProtectionOperation>,
    pub(crate) jobs: Vec<DataProtectionJob>,
}

/// Finds the Backup vault a path names and returns its index in the scenario.
pub(crate) fn find_backup_vault(
    simulator: &Simulator,
    path: &BackupVaultPath,
) -> Result<usize, SimResponse> {
    check_subscription(simulator, &path.subscription)?;
    if existing_group(simulator, &path.resource_group).is_none() {
        return Err(group_not_found(&path.resource_group));
    }
    simulator
        .scenario
        .arm
        .backup_vaults
        .iter()
        .position(|vault| {
            vault
                .resource_group
                .eq_ignore_ascii_case(&path.resource_group)
                && vault.name.eq_ignore_ascii_case(&path.vault)
        })
        .ok_or_else(|| resource_not_found(BACKUP_VAULT_TYPE, &path.vault, &path.resource_group))
}

/// Finds the backup instance a path names. Returns the vault and instance indexes.
pub(crate) fn find_instance(
    simulator: &Simulator,
    path: &BackupVaultPath,
    instance_name: &str,
) -> Result<(usize, usize), SimResponse> {
    let vault_index = find_backup_vault(simulator, path)?;
    let vault = &simulator.scenario.arm.backup_vaults[vault_index];
    vault
        .backup_instances
        .iter()
        .position(|instance| instance.resolved_name().eq_ignore_ascii_case(instance_name))
        .map(|instance_index| (vault_index, instance_index))
        .ok_or_else(|| instance_not_found(instance_name, &vault.name))
}

// NOTE: the service's code for an unknown backup instance is not in the specs' examples; this one
// is ARM's generic not-found code.
fn instance_not_found(instance_name: &str, vault_name: &str) -> SimResponse {
    arm_error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!("The backup instance '{instance_name}' was not found in the Backup vault '{vault_name}'."),
    )
}

/// Builds the Backup vault's resource ID, spelt as in the scenario.
pub(crate) fn backup_vault_id(simulator: &Simulator, vault: &BackupVaultScenario) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/{BACKUP_VAULT_TYPE}/{}",
        simulator.scenario.ids.subscription, vault.resource_group, vault.name
    )
}

/// Builds the backup instance's resource ID.
pub(crate) fn instance_id(
    simulator: &Simulator,
    vault: &BackupVaultScenario,
    instance: &BackupInstanceScenario,
) -> String {
    format!(
        "{}/backupInstances/{}",
        backup_vault_id(simulator, vault),
        instance.resolved_name()
    )
}

/// Builds the resource ID of the data source that an instance protects.
pub(crate) fn datasource_id(simulator: &Simulator, instance: &BackupInstanceScenario) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/{}/{}",
        simulator.scenario.ids.subscription,
        instance.datasource_resource_group,
        instance.datasource_type,
        instance.datasource_name
    )
}

/// Builds the resource ID of the policy that protects an instance.
pub(crate) fn policy_id(
    simulator: &Simulator,
    vault: &BackupVaultScenario,
    instance: &BackupInstanceScenario,
) -> String {
    format!(
        "{}/backupPolicies/{}",
        backup_vault_id(simulator, vault),
        instance.policy_name
    )
}
