//! Scenario fields for Backup vaults (`Microsoft.DataProtection/backupVaults`): the vaults under
//! `arm.backup_vaults`, their backup instances and backup rules, and their checks.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::JobScenario;

/// One Backup vault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupVaultScenario {
    pub resource_group: String,
    pub name: String,
    pub location: String,
    /// The form of `jobId` in the operation status and the operation result.
    pub operation_job_id_form: OperationJobIdForm,
    /// The scope of the `Azure-AsyncOperation` and `Location` URLs that a trigger returns.
    pub operation_status_scope: OperationStatusScope,
    /// A succeeded operation status carries `properties.jobId`, as Microsoft's managed-disk
    /// restore how-to shows. When false, it carries no `properties`, as the service's
    /// `GetOperationStatus` example shows, and only the operation result names the job.
    pub operation_status_has_job_id: bool,
    pub backup_instances: Vec<BackupInstanceScenario>,
}

/// The form of the job ID that an operation returns. The service's examples show a bare GUID, and
/// Microsoft's managed-disk restore how-to shows the job's full ARM ID, so clients must accept
/// both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationJobIdForm {
    /// `3c60cb49-63e8-4b21-b9bd-26277b3fdfae`.
    #[default]
    Guid,
    /// `/subscriptions/…/backupVaults/{vault}/backupJobs/{guid}`.
    ArmId,
}

/// The scope of an operation's polling URLs. The service's examples show the vault scope, and
/// live captures in Microsoft's managed-disk restore how-to show the location scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationStatusScope {
    /// `{vault}/operationStatus/{id}`.
    #[default]
    Vault,
    /// `/subscriptions/{s}/providers/Microsoft.DataProtection/locations/{location}/operationStatus/{id}`.
    Location,
}

/// One data source protected in a Backup vault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupInstanceScenario {
    /// Name of the protected resource, such as a managed disk.
    pub datasource_name: String,
    /// The instance name. Defaults to `{datasource_name}-{GUID}`, with a GUID derived from the
    /// data source name so that it stays the same between runs.
    pub name: Option<String>,
    /// Defaults to `datasource_name`.
    pub friendly_name: Option<String>,
    pub datasource_resource_group: String,
    /// `datasourceType`, and also `resourceType`, of the data source.
    pub datasource_type: String,
    /// Name of the backup policy in the vault that protects the data source.
    pub policy_name: String,
    /// The policy's backup rules, which an ad-hoc backup names.
    pub backup_rules: Vec<BackupRuleScenario>,
    /// Duration and outcome of every backup job of this instance.
    pub job: JobScenario,
}

/// One backup rule of a Backup vault policy and the retention tags it may apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupRuleScenario {
    pub name: String,
    pub retention_tags: Vec<String>,
}

impl Default for BackupVaultScenario {
    fn default() -> Self {
        Self {
            resource_group: "rg-backup".to_owned(),
            name: "bv-contoso".to_owned(),
            location: "westeurope".to_owned(),
            operation_job_id_form: OperationJobIdForm::default(),
            operation_status_scope: OperationStatusScope::default(),
            operation_status_has_job_id: true,
            backup_instances: Vec::new(),
        }
    }
}

impl Default for BackupInstanceScenario {
    fn default() -> Self {
        Self {
            datasource_name: String::new(),
            name: None,
            friendly_name: None,
            datasource_resource_group: "rg-app".to_owned(),
            datasource_type: "Microsoft.Compute/disks".to_owned(),
            policy_name: "DiskPolicy".to_owned(),
            backup_rules: vec![BackupRuleScenario::default()],
            job: JobScenario::default(),
        }
    }
}

impl Default for BackupRuleScenario {
    fn default() -> Self {
        Self {
            name: "BackupDaily".to_owned(),
            retention_tags: vec!["Default".to_owned()],
        }
    }
}

impl BackupInstanceScenario {
    /// Returns the instance name: the configured one, else `{datasource_name}-{GUID}`.
    pub fn resolved_name(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => format!(
                "{}-{}",
                self.datasource_name,
                stable_guid(&self.datasource_name)
            ),
        }
    }

    /// Returns the friendly name: the configured one, else the data source name.
    pub fn resolved_friendly_name(&self) -> &str {
        self.friendly_name
            .as_deref()
            .unwrap_or(&self.datasource_name)
    }
}

/// Derives a GUID from `text` with two FNV-1a hashes, marked as an RFC 9562 version 8 (custom)
/// UUID. The same text gives the same GUID in every run and on every platform.
fn stable_guid(text: &str) -> uuid::Uuid {
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    // A second basis, so that the two halves differ.
    const SECOND_OFFSET_BASIS: u64 = 0x6c62_272e_07bb_0142;
    let hash = |basis: u64| {
        text.bytes().fold(basis, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
        })
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&hash(FNV_OFFSET_BASIS).to_be_bytes());
    bytes[8..].copy_from_slice(&hash(SECOND_OFFSET_BASIS).to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    uuid::Uuid::from_bytes(bytes)
}

/// Checks names, uniqueness and backup rules of every Backup vault.
pub(super) fn validate(vaults: &[BackupVaultScenario]) -> Result<(), String> {
    let mut vault_keys = HashSet::new();
    for (vault_index, vault) in vaults.iter().enumerate() {
        let vault_field = format!("arm.backup_vaults[{vault_index}]");
        if vault.name.is_empty() || vault.resource_group.is_empty() || vault.location.is_empty() {
            return Err(format!(
                "{vault_field} needs a name, a resource_group and a location"
            ));
        }
        let key = (
            vault.resource_group.to_ascii_lowercase(),
            vault.name.to_ascii_lowercase(),
        );
        if !vault_keys.insert(key) {
            return Err(format!(
                "{vault_field}: Backup vault '{}' in '{}' is listed twice",
                vault.name, vault.resource_group
            ));
        }

        let mut instance_names = HashSet::new();
        for (instance_index, instance) in vault.backup_instances.iter().enumerate() {
            let field = format!("{vault_field}.backup_instances[{instance_index}]");
            validate_instance(instance, &field)?;
            if !instance_names.insert(instance.resolved_name().to_ascii_lowercase()) {
                return Err(format!(
                    "{field}: backup instance '{}' is listed twice",
                    instance.resolved_name()
                ));
            }
        }
    }
    Ok(())
}

fn validate_instance(instance: &BackupInstanceScenario, field: &str) -> Result<(), String> {
    for (name, value) in [
        ("datasource_name", instance.datasource_name.as_str()),
        (
            "datasource_resource_group",
            instance.datasource_resource_group.as_str(),
        ),
        ("datasource_type", instance.datasource_type.as_str()),
        ("policy_name", instance.policy_name.as_str()),
    ] {
        if value.is_empty() {
            return Err(format!("{field}.{name} must not be empty"));
        }
    }
    let name = instance.resolved_name();
    if name.is_empty() || name.contains('/') {
        return Err(format!(
            "{field}.name must be a non-empty name without '/', got '{name}'"
        ));
    }
    if instance.backup_rules.is_empty() {
        return Err(format!("{field}.backup_rules needs at least one rule"));
    }
    let mut rule_names = HashSet::new();
    for (rule_index, rule) in instance.backup_rules.iter().enumerate() {
        if rule.name.is_empty() || rule.retention_tags.iter().any(String::is_empty) {
            return Err(format!(
                "{field}.backup_rules[{rule_index}] needs a name, and its retention_tags must not be empty strings"
            ));
        }
        if rule.retention_tags.is_empty() {
            return Err(format!(
                "{field}.backup_rules[{rule_index}].retention_tags needs at least one tag"
            ));
        }
        if !rule_names.insert(rule.name.to_ascii_lowercase()) {
            return Err(format!(
                "{field}.backup_rules[{rule_index}]: rule '{}' is listed twice",
                rule.name
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_guid_is_deterministic() {
        let first = stable_guid("disk-app01");
        assert_eq!(first, stable_guid("disk-app01"));
        assert_ne!(first, stable_guid("disk-app02"));
        assert_eq!(first.get_version_num(), 8);
    }

    #[test]
    fn instance_defaults() {
        let instance = BackupInstanceScenario {
            datasource_name: "disk-app01".to_owned(),
            ..BackupInstanceScenario::default()
        };
        let name = instance.resolved_name();
        assert!(name.starts_with("disk-app01-"), "{name}");
        assert!(uuid::Uuid::try_parse(&name["disk-app01-".len()..]).is_ok());
        assert_eq!(instance.resolved_friendly_name(), "disk-app01");
        assert_eq!(instance.backup_rules[0].name, "BackupDaily");
        assert_eq!(instance.backup_rules[0].retention_tags, ["Default"]);
    }
}
