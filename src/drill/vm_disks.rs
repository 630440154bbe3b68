//! The Recovery Services VM workload: restore a VM's disks (`RestoreDisks`) from a recovery
//! point into the drill's resource group, then find and verify the managed disks it created.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::workload::{RecoveryPoint, RestoreWorkload, RestoredResource, TargetProblem};
use crate::arm::resources::{
    get_resource, list_disks, permissions, resource_group_exists, COMPUTE_API_VERSION,
    STORAGE_API_VERSION,
};
use crate::arm::{get_all_pages, ArmClient, ArmError};
use crate::backup::recovery_services::{
    find_running_job, get_job, start_job, ProtectedItem, TriggerResult,
    RECOVERY_SERVICES_API_VERSION,
};
use crate::backup::{parse_service_time, JobSnapshot};
use crate::config::{DrillSettings, VaultId};

/// Actions the drill needs, per scope. They are in the built-in roles Backup Operator (vault),
/// Disk Restore Operator or Contributor (target group) and Storage Account Contributor (staging).
const VAULT_ACTIONS: [&str; 1] = [
    "Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints/restore/action",
];
const TARGET_GROUP_ACTIONS: [&str; 3] = [
    "Microsoft.Compute/disks/write",
    "Microsoft.Compute/disks/delete",
    "Microsoft.Resources/tags/write",
];
const STAGING_ACTIONS: [&str; 1] = ["Microsoft.Storage/storageAccounts/write"];

/// A VM protected in a Recovery Services vault, restored as disks.
pub struct VmDiskRestore {
    pub vault: VaultId,
    pub vault_location: String,
    pub item: ProtectedItem,
}

impl VmDiskRestore {
    /// Returns the resource group of the protected VM, from its resource ID.
    fn source_resource_group(&self) -> Option<&str> {
        let id = self.item.source_resource_id.as_deref()?;
        let mut segments = id.split('/');
        segments
            .by_ref()
            .find(|segment| segment.eq_ignore_ascii_case("resourceGroups"))?;
        segments.next()
    }

    fn target_group_id(&self, settings: &DrillSettings) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}",
            self.vault.subscription_id, settings.target_resource_group
        )
    }

    /// Lists (size, SKU) of the source VM's managed disks, sorted, for comparison.
    async fn source_disks(&self, arm: &ArmClient) -> Result<Option<Vec<(u64, String)>>, ArmError> {
        let Some(vm_id) = self.item.source_resource_id.as_deref() else {
            return Ok(None);
        };
        let Some(vm) = get_resource(arm, vm_id, COMPUTE_API_VERSION).await? else {
            return Ok(None);
        };
        let storage = &vm["properties"]["storageProfile"];
        let mut disk_ids: Vec<&str> = Vec::new();
        if let Some(id) = storage["osDisk"]["managedDisk"]["id"].as_str() {
            disk_ids.push(id);
        }
        for disk in storage["dataDisks"].as_array().into_iter().flatten() {
            if let Some(id) = disk["managedDisk"]["id"].as_str() {
                disk_ids.push(id);
            }
        }
        let mut disks = Vec::new();
        for id in disk_ids {
            if let Some(disk) = get_resource(arm, id, COMPUTE_API_VERSION).await? {
                disks.push(disk_shape(&disk));
            }
        }
        disks.sort();
        Ok(Some(disks))
    }
}

fn disk_shape(disk: &Value) -> (u64, String) {
    (
        disk["properties"]["diskSizeGB"]
            .as_u64()
            .unwrap_or_default(),
        disk["sku"]["name"].as_str().unwrap_or_default().to_string(),
    )
}

#[async_trait::async_trait]
impl RestoreWorkload for VmDiskRestore {
    fn source_name(&self) -> &str {
        &self.item.friendly_name
    }

    fn source_resource_id(&self) -> Option<&str> {
        self.item.source_resource_id.as_deref()
    }

    async fn recovery_points(&self, arm: &ArmClient) -> Result<Vec<RecoveryPoint>, ArmError> {
        let path = format!("{}/recoveryPoints", self.item.path(&self.vault));
        let url = arm.url(&path, RECOVERY_SERVICES_API_VERSION, &[]);
        let mut points = Vec::new();
        for value in get_all_pages(arm, &url).await? {
            let properties = &value["properties"];
            let time = properties["recoveryPointTime"]
                .as_str()
                .and_then(parse_service_time);
            match (value["name"].as_str(), time) {
                (Some(name), Some(time)) => points.push(RecoveryPoint {
                    name: name.to_string(),
                    id: value["id"].as_str().unwrap_or_default().to_string(),
                    time,
                    kind: properties["recoveryPointType"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                }),
                _ => tracing::debug!("Skipped a recovery point without name or time"),
            }
        }
        Ok(points)
    }

    async fn check_target(
        &self,
        arm: &ArmClient,
        settings: &DrillSettings,
    ) -> Result<Vec<TargetProblem>, ArmError> {
        let mut problems = Vec::new();
        let group_id = self.target_group_id(settings);
        if let Some(source_group) = self.source_resource_group() {
            if source_group.eq_ignore_ascii_case(&settings.target_resource_group) {
                problems.push(TargetProblem {
                    resource: group_id.clone(),
                    message: format!(
                        "the target resource group '{}' is the protected VM's own group; restore \
                         into a group used only for drills, so the drill never touches production \
                         resources",
                        settings.target_resource_group
                    ),
                });
                return Ok(problems);
            }
        }
        if !resource_group_exists(
            arm,
            &self.vault.subscription_id,
            &settings.target_resource_group,
        )
        .await?
        {
            problems.push(TargetProblem {
                resource: group_id.clone(),
                message: format!(
                    "the target resource group '{}' was not found; create it (empty, used only for \
                     drills) or fix target-resource-group",
                    settings.target_resource_group
                ),
            });
        }
        let staging_id = settings.staging_storage_account.id();
        let staging_exists = get_resource(arm, &staging_id, STORAGE_API_VERSION)
            .await?
            .is_some();
        if !staging_exists {
            problems.push(TargetProblem {
                resource: staging_id.clone(),
                message: format!(
                    "the staging storage account {staging_id} was not found; fix \
                     staging-storage-account"
                ),
            });
        }
        if !problems.is_empty() {
            return Ok(problems);
        }

        let scopes: [(String, &[&str]); 3] = [
            (self.vault.resource_id(), &VAULT_ACTIONS),
            (group_id, &TARGET_GROUP_ACTIONS),
            (staging_id, &STAGING_ACTIONS),
        ];
        for (scope, actions) in scopes {
            let granted = permissions(arm, &scope).await?;
            for action in actions.iter().filter(|action| !granted.allows(action)) {
                problems.push(TargetProblem {
                    resource: scope.clone(),
                    message: format!(
                        "the signed-in identity lacks permission '{action}' on {scope}; assign a \
                         role that includes it"
                    ),
                });
            }
        }
        Ok(problems)
    }

    async fn target_inventory(
        &self,
        arm: &ArmClient,
        settings: &DrillSettings,
    ) -> Result<BTreeSet<String>, ArmError> {
        let disks = list_disks(
            arm,
            &self.vault.subscription_id,
            &settings.target_resource_group,
        )
        .await?;
        Ok(disks
            .iter()
            .filter_map(|disk| disk["id"].as_str())
            .map(str::to_ascii_lowercase)
            .collect())
    }

    async fn start_restore(
        &self,
        arm: &ArmClient,
        settings: &DrillSettings,
        point: &RecoveryPoint,
    ) -> Result<Result<String, (String, String)>, ArmError> {
        let path = format!(
            "{}/recoveryPoints/{}/restore",
            self.item.path(&self.vault),
            crate::backup::recovery_services::encode_segment(&point.name)
        );
        let url = arm.url(&path, RECOVERY_SERVICES_API_VERSION, &[]);
        let body = json!({
            "properties": {
                "objectType": "IaasVMRestoreRequest",
                "recoveryType": "RestoreDisks",
                "recoveryPointId": point.name,
                "sourceResourceId": self.item.source_resource_id,
                "storageAccountId": settings.staging_storage_account.id(),
                "region": self.vault_location,
                "targetResourceGroupId": self.target_group_id(settings),
                "createNewCloudService": false,
                "originalStorageAccountOption": false,
                "encryptionDetails": {"encryptionEnabled": false},
            }
        });
        let what = format!("the restore operation of {}", self.item.friendly_name);
        match start_job(arm, &url, &body, &what).await {
            Ok(TriggerResult::Started { job_id }) => Ok(Ok(job_id)),
            Ok(TriggerResult::OperationFailed { code, message }) => Ok(Err((code, message))),
            // The POST was accepted, but its operation could not be followed: the restore job
            // may be running, so it is looked up rather than reported as not started (and its
            // disks left behind).
            Err(
                error @ (ArmError::InvalidReply { .. }
                | ArmError::Deadline { .. }
                | ArmError::Service { method: "GET", .. }
                | ArmError::Transport { method: "GET", .. }),
            ) => {
                tracing::warn!("{what} could not be followed ({error}); looking for its job");
                match find_running_job(arm, &self.vault, &self.item.friendly_name, "Restore")
                    .await?
                {
                    Some(job_id) => Ok(Ok(job_id)),
                    None => Err(error),
                }
            }
            Err(error) => Err(error),
        }
    }

    async fn restore_job(&self, arm: &ArmClient, job_id: &str) -> Result<JobSnapshot, ArmError> {
        get_job(arm, &self.vault, job_id).await
    }

    async fn restored_resources(
        &self,
        arm: &ArmClient,
        settings: &DrillSettings,
        before: &BTreeSet<String>,
    ) -> Result<Vec<RestoredResource>, ArmError> {
        let disks = list_disks(
            arm,
            &self.vault.subscription_id,
            &settings.target_resource_group,
        )
        .await?;
        let new_disks: Vec<&Value> = disks
            .iter()
            .filter(|disk| {
                disk["id"]
                    .as_str()
                    .is_some_and(|id| !before.contains(&id.to_ascii_lowercase()))
            })
            .collect();

        let expected = self.source_disks(arm).await?;
        let mut unmatched = expected.clone().unwrap_or_default();
        let mut restored = Vec::new();
        for disk in new_disks {
            let (size_gb, sku) = disk_shape(disk);
            let state = disk["properties"]["provisioningState"]
                .as_str()
                .map(str::to_string);
            let mut problem = None;
            if state.as_deref() != Some("Succeeded") {
                problem = Some(format!(
                    "provisioning state is {}, expected Succeeded",
                    state.as_deref().unwrap_or("missing")
                ));
            } else if expected.is_some() {
                match unmatched
                    .iter()
                    .position(|shape| *shape == (size_gb, sku.clone()))
                {
                    Some(index) => {
                        unmatched.remove(index);
                    }
                    None => {
                        problem = Some(format!(
                            "{size_gb} GB {sku} matches no disk of the source VM"
                        ));
                    }
                }
            }
            restored.push(RestoredResource {
                id: disk["id"].as_str().unwrap_or_default().to_string(),
                resource_type: "Microsoft.Compute/disks".to_string(),
                size_gb: Some(size_gb),
                sku: Some(sku),
                provisioning_state: state,
                problem,
            });
        }
        // NOTE: when the source VM cannot be read (deleted, or no read permission), sizes and
        // SKUs are not compared; only the provisioning state is checked.
        for (size_gb, sku) in unmatched {
            restored.push(RestoredResource {
                id: String::new(),
                resource_type: "Microsoft.Compute/disks".to_string(),
                size_gb: Some(size_gb),
                sku: Some(sku.clone()),
                provisioning_state: None,
                problem: Some(format!(
                    "no restored disk matches the source VM's {size_gb} GB {sku} disk"
                )),
            });
        }
        Ok(restored)
    }

    fn delete_api_version(&self) -> &'static str {
        COMPUTE_API_VERSION
    }
}
