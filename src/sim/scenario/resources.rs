//! Scenario parts for restore drills: each protected VM's recovery points and disks, and the
//! resource groups, staging storage accounts, permissions and disk deletions that ARM serves.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{ArmScenario, ProtectedItemScenario};

/// Location of resource groups and storage accounts that name none, when the scenario has no
/// vault to take the location from.
const FALLBACK_LOCATION: &str = "westeurope";

/// Oldest allowed recovery point, in hours before the simulator starts (100 years). It keeps
/// computed times inside the range of the `time` crate.
const MAX_RECOVERY_POINT_AGE_HOURS: f64 = 100.0 * 366.0 * 24.0;

/// Highest LUN of a data disk on an Azure VM.
const MAX_LUN: u32 = 63;

/// Largest managed disk, in GiB (Ultra and Premium SSD v2 disks).
const MAX_DISK_SIZE_GB: u64 = 65_536;

/// Managed disk SKUs that Azure accepts in `sku.name`.
const DISK_SKUS: [&str; 7] = [
    "Standard_LRS",
    "Premium_LRS",
    "StandardSSD_LRS",
    "UltraSSD_LRS",
    "Premium_ZRS",
    "StandardSSD_ZRS",
    "PremiumV2_LRS",
];

/// One recovery point of a protected VM that exists when the simulator starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecoveryPointScenario {
    /// The point's name, a numeric string as the service writes it. Generated when absent.
    pub name: Option<String>,
    /// Hours before the simulator's start at which the point was taken. Fractions are allowed.
    pub age_hours: f64,
    /// `recoveryPointType`, for example `CrashConsistent`, `AppConsistent` or
    /// `FileSystemConsistent`.
    #[serde(rename = "type")]
    pub point_type: String,
}

/// One managed disk of a protected VM: the OS disk when `lun` is absent, else a data disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourceDiskScenario {
    /// The disk's name. `{vm}_OsDisk_1` or `{vm}_DataDisk_{lun}` when absent.
    pub name: Option<String>,
    /// Logical unit number of a data disk, 0 to 63.
    pub lun: Option<u32>,
    pub size_gb: u64,
    /// `sku.name`, for example `Premium_LRS` or `StandardSSD_LRS`.
    pub sku: String,
}

/// A resource group that exists in the subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResourceGroupScenario {
    pub name: String,
    /// The first vault's location when absent.
    pub location: Option<String>,
}

/// A storage account that a restore can use for staging.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageAccountScenario {
    pub resource_group: String,
    /// 3 to 24 lowercase letters and digits, as Azure requires.
    pub name: String,
    /// The first vault's location when absent.
    pub location: Option<String>,
    /// `sku.name`, for example `Standard_LRS`.
    pub sku: String,
}

/// The permissions that `GET {scope}/providers/Microsoft.Authorization/permissions` returns for
/// every scope. The simulator reports them but does not enforce them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PermissionsScenario {
    /// Allowed actions, with `*` wildcards as in Azure role definitions.
    pub actions: Vec<String>,
    /// Actions excluded from `actions`.
    pub not_actions: Vec<String>,
}

impl Default for RecoveryPointScenario {
    fn default() -> Self {
        Self {
            name: None,
            age_hours: 0.0,
            point_type: "CrashConsistent".to_owned(),
        }
    }
}

impl Default for SourceDiskScenario {
    fn default() -> Self {
        Self {
            name: None,
            lun: None,
            size_gb: 128,
            sku: "Premium_LRS".to_owned(),
        }
    }
}

impl Default for StorageAccountScenario {
    fn default() -> Self {
        Self {
            resource_group: "rg-backup".to_owned(),
            name: "stdrillstaging".to_owned(),
            location: None,
            sku: "Standard_LRS".to_owned(),
        }
    }
}

impl Default for ResourceGroupScenario {
    fn default() -> Self {
        Self {
            name: "rg-drill".to_owned(),
            location: None,
        }
    }
}

impl Default for PermissionsScenario {
    fn default() -> Self {
        Self {
            actions: vec!["*".to_owned()],
            not_actions: Vec::new(),
        }
    }
}

/// Returns three points taken 2, 26 and 50 hours before the simulator starts.
pub(super) fn default_recovery_points() -> Vec<RecoveryPointScenario> {
    [2.0, 26.0, 50.0]
        .into_iter()
        .map(|age_hours| RecoveryPointScenario {
            age_hours,
            ..RecoveryPointScenario::default()
        })
        .collect()
}

/// Returns a 128 GiB Premium SSD OS disk and a 256 GiB Standard SSD data disk at LUN 0.
pub(super) fn default_source_disks() -> Vec<SourceDiskScenario> {
    vec![
        SourceDiskScenario::default(),
        SourceDiskScenario {
            lun: Some(0),
            size_gb: 256,
            sku: "StandardSSD_LRS".to_owned(),
            ..SourceDiskScenario::default()
        },
    ]
}

/// Returns `rg-backup` (the demo vault's), `rg-app` (the demo VMs') and `rg-drill` (the restore
/// target).
pub(super) fn default_resource_groups() -> Vec<ResourceGroupScenario> {
    ["rg-backup", "rg-app", "rg-drill"]
        .into_iter()
        .map(|name| ResourceGroupScenario {
            name: name.to_owned(),
            location: None,
        })
        .collect()
}

pub(super) fn default_storage_accounts() -> Vec<StorageAccountScenario> {
    vec![StorageAccountScenario::default()]
}

/// Simulated seconds from a disk `DELETE` until its operation ends.
pub(super) const DEFAULT_DELETE_DURATION_SECONDS: u64 = 1;

impl SourceDiskScenario {
    /// Returns the disk's name, or the default name for the VM.
    pub(crate) fn resolved_name(&self, vm_name: &str) -> String {
        match (&self.name, self.lun) {
            (Some(name), _) => name.clone(),
            (None, None) => format!("{vm_name}_OsDisk_1"),
            (None, Some(lun)) => format!("{vm_name}_DataDisk_{lun}"),
        }
    }
}

/// A resource group that exists, with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExistingResourceGroup {
    pub(crate) name: String,
    pub(crate) location: String,
}

impl ArmScenario {
    /// Returns the location of the first vault, which resource groups and storage accounts
    /// without one take.
    pub(crate) fn default_location(&self) -> &str {
        self.vaults
            .first()
            .map(|vault| vault.location.as_str())
            .unwrap_or(FALLBACK_LOCATION)
    }

    /// Returns every resource group that exists: the listed ones, then those of the vaults, the
    /// protected VMs, the Backup vaults, their data sources and the storage accounts, each once
    /// (names compare case-insensitively).
    pub(crate) fn existing_resource_groups(&self) -> Vec<ExistingResourceGroup> {
        let mut groups: Vec<ExistingResourceGroup> = Vec::new();
        let mut add = |name: &str, location: &str| {
            if !groups
                .iter()
                .any(|group| group.name.eq_ignore_ascii_case(name))
            {
                groups.push(ExistingResourceGroup {
                    name: name.to_owned(),
                    location: location.to_owned(),
                });
            }
        };
        for group in &self.resource_groups {
            add(
                &group.name,
                group.location.as_deref().unwrap_or(self.default_location()),
            );
        }
        for vault in &self.vaults {
            add(&vault.resource_group, &vault.location);
            for item in &vault.protected_items {
                add(&item.vm_resource_group, &vault.location);
            }
        }
        for vault in &self.backup_vaults {
            add(&vault.resource_group, &vault.location);
            for instance in &vault.backup_instances {
                add(&instance.datasource_resource_group, &vault.location);
            }
        }
        for account in &self.storage_accounts {
            add(&account.resource_group, self.default_location());
        }
        groups
    }

    /// Checks the resource groups, storage accounts and disk deletion settings.
    pub(super) fn validate_drill_resources(&self) -> Result<(), String> {
        let mut group_names = HashSet::new();
        for (index, group) in self.resource_groups.iter().enumerate() {
            if group.name.is_empty() || group.name.contains('/') {
                return Err(format!(
                    "arm.resource_groups[{index}].name must be a non-empty name without '/', got '{}'",
                    group.name
                ));
            }
            if !group_names.insert(group.name.to_ascii_lowercase()) {
                return Err(format!(
                    "arm.resource_groups[{index}]: resource group '{}' is listed twice",
                    group.name
                ));
            }
        }

        let mut account_names = HashSet::new();
        for (index, account) in self.storage_accounts.iter().enumerate() {
            let valid_name = (3..=24).contains(&account.name.len())
                && account
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
            if !valid_name {
                return Err(format!(
                    "arm.storage_accounts[{index}].name must be 3 to 24 lowercase letters and digits, got '{}'",
                    account.name
                ));
            }
            if account.resource_group.is_empty() || account.resource_group.contains('/') {
                return Err(format!(
                    "arm.storage_accounts[{index}].resource_group must be a non-empty name without '/'"
                ));
            }
            // Storage account names are unique across Azure, not only within a group.
            if !account_names.insert(account.name.clone()) {
                return Err(format!(
                    "arm.storage_accounts[{index}]: storage account '{}' is listed twice",
                    account.name
                ));
            }
        }

        if self.failing_deletes.iter().any(String::is_empty) {
            return Err("arm.failing_deletes must not contain an empty pattern".to_owned());
        }
        Ok(())
    }
}

impl ProtectedItemScenario {
    /// Checks the recovery points and source disks. `field` is the item's path in the scenario
    /// for messages, such as `arm.vaults[0].protected_items[1]`.
    pub(super) fn validate_drill_fields(&self, field: &str) -> Result<(), String> {
        let mut point_names = HashSet::new();
        for (index, point) in self.recovery_points.iter().enumerate() {
            let age = point.age_hours;
            if !(age.is_finite() && (0.0..=MAX_RECOVERY_POINT_AGE_HOURS).contains(&age)) {
                return Err(format!(
                    "{field}.recovery_points[{index}].age_hours must be between 0 and {MAX_RECOVERY_POINT_AGE_HOURS}, got {age}"
                ));
            }
            if point.point_type.is_empty() {
                return Err(format!(
                    "{field}.recovery_points[{index}].type must not be empty"
                ));
            }
            if let Some(name) = &point.name {
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_digit()) {
                    return Err(format!(
                        "{field}.recovery_points[{index}].name must be a numeric string such as '22244821112382', got '{name}'"
                    ));
                }
                if !point_names.insert(name.clone()) {
                    return Err(format!(
                        "{field}.recovery_points[{index}]: recovery point '{name}' is listed twice"
                    ));
                }
            }
        }

        let os_disks = self
            .source_disks
            .iter()
            .filter(|disk| disk.lun.is_none())
            .count();
        if os_disks != 1 {
            return Err(format!(
                "{field}.source_disks must contain exactly one OS disk (a disk without 'lun'), got {os_disks}"
            ));
        }
        let mut luns = HashSet::new();
        let mut disk_names = HashSet::new();
        for (index, disk) in self.source_disks.iter().enumerate() {
            if let Some(lun) = disk.lun {
                if lun > MAX_LUN {
                    return Err(format!(
                        "{field}.source_disks[{index}].lun must be at most {MAX_LUN}, got {lun}"
                    ));
                }
                if !luns.insert(lun) {
                    return Err(format!(
                        "{field}.source_disks[{index}]: LUN {lun} is used twice"
                    ));
                }
            }
            if !(1..=MAX_DISK_SIZE_GB).contains(&disk.size_gb) {
                return Err(format!(
                    "{field}.source_disks[{index}].size_gb must be between 1 and {MAX_DISK_SIZE_GB}, got {}",
                    disk.size_gb
                ));
            }
            if !DISK_SKUS.contains(&disk.sku.as_str()) {
                return Err(format!(
                    "{field}.source_disks[{index}].sku must be one of {}, got '{}'",
                    DISK_SKUS.join(", "),
                    disk.sku
                ));
            }
            let name = disk.resolved_name(&self.vm_name);
            if name.contains('/') {
                return Err(format!(
                    "{field}.source_disks[{index}].name must not contain '/', got '{name}'"
                ));
            }
            if !disk_names.insert(name.to_ascii_lowercase()) {
                return Err(format!(
                    "{field}.source_disks[{index}]: disk name '{name}' is used twice"
                ));
            }
        }
        if self.vm_size.is_empty() {
            return Err(format!("{field}.vm_size must not be empty"));
        }
        Ok(())
    }
}
