//! The scenario file: which tenant, app, subscription, vaults and protected items the simulator
//! serves, which GitHub claims it issues, and how backup jobs end.
//!
//! Every field is optional. A missing field takes the value of [`Scenario::demo`], except
//! `arm.operation_retry_after_seconds`, which defaults to Azure's 60 seconds while the demo uses 1.
//! Unknown fields are rejected, so a misspelt key fails loudly instead of being ignored.
//!
//! The top level is split by service (`github`, `entra`, `arm`) so that later additions (fault
//! scripts per endpoint, more workloads, Backup vaults) become new fields beside the existing ones.
//! The fields for restore drills (recovery points, source disks, resource groups, storage
//! accounts, permissions) are defined in `scenario/resources.rs`, those for scripted faults,
//! throttling and busy items in `scenario/faults.rs`, and those for Backup vaults
//! (`arm.backup_vaults`) in `scenario/backup_vaults.rs`.

mod backup_vaults;
mod faults;
mod resources;

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::SimError;

/// The managed disk protected in the demo's Backup vault.
pub const DEMO_DISK: &str = "disk-app01";

pub use backup_vaults::{
    BackupInstanceScenario, BackupRuleScenario, BackupVaultScenario, OperationJobIdForm,
    OperationStatusScope,
};
pub(crate) use faults::MAX_HANG_SECONDS;
pub use faults::{
    BucketScenario, BusyJobScenario, BusyOperation, BusyReply, FaultAction, FaultScenario,
    FaultService, ResetPoint, ThrottleScenario,
};
pub(crate) use resources::ExistingResourceGroup;
pub use resources::{
    PermissionsScenario, RecoveryPointScenario, ResourceGroupScenario, SourceDiskScenario,
    StorageAccountScenario,
};

/// The issuer of GitHub Actions OIDC tokens on github.com.
pub const GITHUB_ACTIONS_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The audience that Entra ID expects in a federated GitHub token.
pub const ENTRA_TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";

/// Fastest allowed `clock_speed`. At this speed a day of real time is about 2,700 simulated years,
/// which keeps simulated dates inside the range of the `time` crate (year 9999).
const MAX_CLOCK_SPEED: f64 = 1_000_000.0;

/// Everything the simulator serves. Deserialized from the JSON scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    pub ids: ScenarioIds,
    pub github: GithubScenario,
    pub entra: EntraScenario,
    pub arm: ArmScenario,
    /// Simulated seconds per real second. Job and operation durations, token lifetimes and every
    /// time the services report run on this clock. Numbers sent to clients (`expires_in`,
    /// `Retry-After`) are not rescaled.
    pub clock_speed: f64,
    /// Scripted failures, checked in order for every request except the admin endpoints.
    pub faults: Vec<FaultScenario>,
}

/// Tenant, app registration and subscription identifiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScenarioIds {
    /// Directory (tenant) ID, a GUID.
    pub tenant: String,
    /// Verified domain names that Entra also accepts in place of the tenant GUID.
    pub tenant_domains: Vec<String>,
    /// Application (client) ID of the app registration, a GUID.
    pub client: String,
    /// Subscription ID, a GUID.
    pub subscription: String,
    pub subscription_display_name: String,
}

/// The GitHub Actions OIDC token service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GithubScenario {
    /// The value of `ACTIONS_ID_TOKEN_REQUEST_TOKEN` that the service accepts as bearer token.
    pub request_token: String,
    /// The `iss` claim of issued tokens.
    pub issuer: String,
    /// Seconds from `iat` to `exp` of issued tokens.
    pub token_lifetime_seconds: u64,
    pub claims: GithubClaims,
}

/// The job context that GitHub writes into the token's claims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GithubClaims {
    /// The `sub` claim. When absent it is built the way GitHub builds it: from the environment,
    /// else `pull_request` for that event, else the ref.
    pub sub: Option<String>,
    /// `owner/name` as spelt on GitHub.
    pub repository: String,
    pub repository_id: String,
    /// The owner part of `repository` when absent.
    pub repository_owner: Option<String>,
    pub repository_owner_id: String,
    pub repository_visibility: String,
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub ref_type: String,
    pub ref_protected: String,
    pub sha: String,
    /// The deployment environment of the job, if it has one.
    pub environment: Option<String>,
    pub workflow: String,
    /// Path of the workflow file inside the repository.
    pub workflow_path: String,
    pub event_name: String,
    pub actor: String,
    pub actor_id: String,
    pub run_id: String,
    pub run_number: String,
    pub run_attempt: String,
    pub runner_environment: String,
    /// Claims added to, or replacing, the ones above (for example `job_workflow_ref`).
    pub extra: Map<String, Value>,
}

/// Entra ID: the app registration's federated identity credentials and the access tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EntraScenario {
    pub federated_credentials: Vec<FederatedCredential>,
    /// `expires_in` of issued ARM access tokens, in seconds.
    pub access_token_lifetime_seconds: u64,
    /// Reject a client assertion whose `jti` was already exchanged for a token.
    pub reject_replayed_assertions: bool,
}

/// One federated identity credential. Entra compares all three fields case-sensitively.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FederatedCredential {
    pub name: String,
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
}

/// Azure Resource Manager and the Recovery Services vaults behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArmScenario {
    pub vaults: Vec<VaultScenario>,
    /// Backup vaults (`Microsoft.DataProtection/backupVaults`). None by default.
    pub backup_vaults: Vec<BackupVaultScenario>,
    /// Resources that Entra issues ARM tokens for, besides the simulator's own ARM URL. A token
    /// request's scope is one of these (or the ARM URL) followed by `/.default`.
    pub token_audiences: Vec<String>,
    /// Maximum entries in one page of a list response before a `nextLink` is added.
    pub page_size: usize,
    /// The `Retry-After` header, in seconds, on the backup trigger and on running operations, in
    /// Recovery Services and Backup vaults alike.
    pub operation_retry_after_seconds: u64,
    /// Simulated seconds from a backup or restore trigger until its operation reports
    /// `Succeeded`, in Recovery Services and Backup vaults alike.
    pub operation_duration_seconds: u64,
    /// Resource groups that exist besides those of the vaults, protected VMs and storage accounts.
    pub resource_groups: Vec<ResourceGroupScenario>,
    /// Storage accounts that restores can use for staging.
    pub storage_accounts: Vec<StorageAccountScenario>,
    pub permissions: PermissionsScenario,
    /// Names of disks whose `DELETE` operation ends `Failed`. A `*` matches any run of
    /// characters, because restored disk names contain the restore time.
    pub failing_deletes: Vec<String>,
    /// Simulated seconds from a disk `DELETE` until its operation ends.
    pub delete_duration_seconds: u64,
    /// Token buckets that reject requests over the limit with 429. Without it the
    /// `x-ms-ratelimit-remaining-*` headers count down from ARM's documented limits and never
    /// reach a rejection.
    pub throttle: Option<ThrottleScenario>,
}

/// One Recovery Services vault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VaultScenario {
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub protected_items: Vec<ProtectedItemScenario>,
}

/// One Azure VM protected in a vault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProtectedItemScenario {
    pub vm_name: String,
    pub vm_resource_group: String,
    /// Name of the backup policy in the vault that protects the VM.
    pub policy_name: String,
    /// Duration and outcome of every backup job of this item.
    pub job: JobScenario,
    /// `hardwareProfile.vmSize` of the VM and `virtualMachineSize` of its recovery points.
    pub vm_size: String,
    /// Recovery points that exist when the simulator starts. Completed backup jobs add more.
    pub recovery_points: Vec<RecoveryPointScenario>,
    /// The VM's managed disks: exactly one OS disk and any number of data disks.
    pub source_disks: Vec<SourceDiskScenario>,
    /// Duration and outcome of every restore job of this item.
    pub restore: JobScenario,
    /// A backup job that already runs when the simulator starts.
    pub busy_job: Option<BusyJobScenario>,
    /// The reply to a backup trigger while another backup job of this item runs.
    pub busy_reply: BusyReply,
}

/// Duration and outcome of a backup or restore job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobScenario {
    /// Simulated seconds from the trigger until the job reaches its outcome.
    pub duration_seconds: u64,
    pub outcome: JobOutcome,
    /// `errorDetails[0].errorCode` for `Failed` and `CompletedWithWarnings`.
    pub error_code: Option<i64>,
    /// `errorDetails[0].errorString`.
    pub error_message: Option<String>,
    /// `errorDetails[0].errorTitle`.
    pub error_title: Option<String>,
    /// `errorDetails[0].recommendations`.
    pub recommendations: Vec<String>,
}

/// The final status of a backup or restore job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobOutcome {
    Completed,
    CompletedWithWarnings,
    Failed,
    Cancelled,
    /// The job stays `InProgress` for ever.
    #[serde(alias = "never")]
    Never,
}

impl Default for ScenarioIds {
    fn default() -> Self {
        Self {
            tenant: "00000000-0000-0000-0000-000000000002".to_owned(),
            tenant_domains: vec!["contoso.onmicrosoft.com".to_owned()],
            client: "00000000-0000-0000-0000-000000000001".to_owned(),
            subscription: "00000000-0000-0000-0000-000000000003".to_owned(),
            subscription_display_name: "Contoso Backup Drills".to_owned(),
        }
    }
}

impl Default for GithubScenario {
    fn default() -> Self {
        Self {
            request_token: "gh-request-token-placeholder".to_owned(),
            issuer: GITHUB_ACTIONS_ISSUER.to_owned(),
            token_lifetime_seconds: 300,
            claims: GithubClaims::default(),
        }
    }
}

impl Default for GithubClaims {
    fn default() -> Self {
        Self {
            sub: None,
            repository: "contoso/backup-drills".to_owned(),
            repository_id: "700000001".to_owned(),
            repository_owner: None,
            repository_owner_id: "600000001".to_owned(),
            repository_visibility: "private".to_owned(),
            git_ref: "refs/heads/main".to_owned(),
            ref_type: "branch".to_owned(),
            ref_protected: "true".to_owned(),
            sha: "4b6f1f0c2d5e8a9b7c3d1e0f2a4b6c8d0e1f3a5b".to_owned(),
            environment: Some("prod".to_owned()),
            workflow: "Backup drill".to_owned(),
            workflow_path: ".github/workflows/backup-drill.yml".to_owned(),
            event_name: "workflow_dispatch".to_owned(),
            actor: "octocat".to_owned(),
            actor_id: "583231".to_owned(),
            run_id: "9000000001".to_owned(),
            run_number: "42".to_owned(),
            run_attempt: "1".to_owned(),
            runner_environment: "github-hosted".to_owned(),
            extra: Map::new(),
        }
    }
}

impl Default for EntraScenario {
    fn default() -> Self {
        Self {
            federated_credentials: vec![FederatedCredential::default()],
            access_token_lifetime_seconds: 3599,
            reject_replayed_assertions: true,
        }
    }
}

impl Default for FederatedCredential {
    fn default() -> Self {
        Self {
            name: "github-backup-drills-prod".to_owned(),
            issuer: GITHUB_ACTIONS_ISSUER.to_owned(),
            subject: "repo:contoso/backup-drills:environment:prod".to_owned(),
            audiences: vec![ENTRA_TOKEN_EXCHANGE_AUDIENCE.to_owned()],
        }
    }
}

impl Default for ArmScenario {
    fn default() -> Self {
        Self {
            vaults: vec![VaultScenario::default()],
            backup_vaults: Vec::new(),
            token_audiences: vec![
                "https://management.core.windows.net/".to_owned(),
                "https://management.azure.com/".to_owned(),
            ],
            page_size: 200,
            operation_retry_after_seconds: 60,
            operation_duration_seconds: 2,
            resource_groups: resources::default_resource_groups(),
            storage_accounts: resources::default_storage_accounts(),
            permissions: PermissionsScenario::default(),
            failing_deletes: Vec::new(),
            delete_duration_seconds: resources::DEFAULT_DELETE_DURATION_SECONDS,
            throttle: None,
        }
    }
}

impl Default for VaultScenario {
    fn default() -> Self {
        Self {
            resource_group: "rg-backup".to_owned(),
            name: "rsv-contoso".to_owned(),
            location: "westeurope".to_owned(),
            protected_items: vec![
                ProtectedItemScenario::default(),
                ProtectedItemScenario {
                    vm_name: "vm-app02".to_owned(),
                    ..ProtectedItemScenario::default()
                },
            ],
        }
    }
}

impl Default for ProtectedItemScenario {
    fn default() -> Self {
        Self {
            vm_name: "vm-app01".to_owned(),
            vm_resource_group: "rg-app".to_owned(),
            policy_name: "DefaultPolicy".to_owned(),
            job: JobScenario::default(),
            vm_size: "Standard_D2s_v3".to_owned(),
            recovery_points: resources::default_recovery_points(),
            source_disks: resources::default_source_disks(),
            restore: JobScenario::default(),
            busy_job: None,
            busy_reply: BusyReply::default(),
        }
    }
}

impl Default for JobScenario {
    fn default() -> Self {
        Self {
            duration_seconds: 4,
            outcome: JobOutcome::Completed,
            error_code: None,
            error_message: None,
            error_title: None,
            recommendations: Vec::new(),
        }
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            ids: ScenarioIds::default(),
            github: GithubScenario::default(),
            entra: EntraScenario::default(),
            arm: ArmScenario::default(),
            clock_speed: 1.0,
            faults: Vec::new(),
        }
    }
}

impl Scenario {
    /// Returns the demo scenario: vault `rsv-contoso` in `rg-backup` protecting `vm-app01` and
    /// `vm-app02` (resource group `rg-app`), jobs that complete after 4 s, a 1 s `Retry-After`, and a
    /// federated credential for `repo:contoso/backup-drills:environment:prod`. For restore drills
    /// each VM has three recovery points and two disks, and there is a staging storage account
    /// `stdrillstaging` in `rg-backup` and an empty target resource group `rg-drill`.
    pub fn demo() -> Scenario {
        let mut scenario = Scenario::default();
        scenario.arm.operation_retry_after_seconds = 1;
        scenario.arm.backup_vaults = vec![BackupVaultScenario {
            backup_instances: vec![BackupInstanceScenario {
                datasource_name: DEMO_DISK.to_owned(),
                ..BackupInstanceScenario::default()
            }],
            ..BackupVaultScenario::default()
        }];
        scenario
    }

    /// Reads and validates a scenario JSON file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Scenario, SimError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SimError::Io {
            action: "read the scenario file",
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text).map_err(|error| match error {
            SimError::InvalidScenario { message, .. } => SimError::InvalidScenario {
                origin: path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    /// Parses and validates scenario JSON.
    pub fn from_json(text: &str) -> Result<Scenario, SimError> {
        let scenario: Scenario =
            serde_json::from_str(text).map_err(|error| SimError::InvalidScenario {
                origin: "scenario JSON".to_owned(),
                message: error.to_string(),
            })?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Checks the values that serde cannot: GUIDs, positive sizes and unique names.
    pub fn validate(&self) -> Result<(), SimError> {
        let invalid = |message: String| SimError::InvalidScenario {
            origin: "scenario".to_owned(),
            message,
        };

        for (field, value) in [
            ("ids.tenant", &self.ids.tenant),
            ("ids.client", &self.ids.client),
            ("ids.subscription", &self.ids.subscription),
        ] {
            if uuid::Uuid::try_parse(value).is_err() {
                return Err(invalid(format!("{field} must be a GUID, got '{value}'")));
            }
        }
        if !(self.clock_speed > 0.0 && self.clock_speed <= MAX_CLOCK_SPEED) {
            return Err(invalid(format!(
                "clock_speed must be above 0 and at most {MAX_CLOCK_SPEED}, got {}",
                self.clock_speed
            )));
        }
        if self.arm.page_size == 0 {
            return Err(invalid("arm.page_size must be at least 1".to_owned()));
        }
        if self.github.request_token.is_empty() {
            return Err(invalid("github.request_token must not be empty".to_owned()));
        }

        let mut vault_keys = HashSet::new();
        for (vault_index, vault) in self.arm.vaults.iter().enumerate() {
            if vault.name.is_empty() || vault.resource_group.is_empty() {
                return Err(invalid(format!(
                    "arm.vaults[{vault_index}] needs a name and a resource_group"
                )));
            }
            let key = (
                vault.resource_group.to_ascii_lowercase(),
                vault.name.to_ascii_lowercase(),
            );
            if !vault_keys.insert(key) {
                return Err(invalid(format!(
                    "arm.vaults[{vault_index}]: vault '{}' in '{}' is listed twice",
                    vault.name, vault.resource_group
                )));
            }

            let mut item_keys = HashSet::new();
            for (item_index, item) in vault.protected_items.iter().enumerate() {
                if item.vm_name.is_empty() || item.vm_resource_group.is_empty() {
                    return Err(invalid(format!(
                        "arm.vaults[{vault_index}].protected_items[{item_index}] needs a vm_name and a vm_resource_group"
                    )));
                }
                if item.vm_name.contains(';') || item.vm_resource_group.contains(';') {
                    return Err(invalid(format!(
                        "arm.vaults[{vault_index}].protected_items[{item_index}]: names must not contain ';'"
                    )));
                }
                let key = (
                    item.vm_resource_group.to_ascii_lowercase(),
                    item.vm_name.to_ascii_lowercase(),
                );
                if !item_keys.insert(key) {
                    return Err(invalid(format!(
                        "arm.vaults[{vault_index}].protected_items[{item_index}]: VM '{}' is listed twice",
                        item.vm_name
                    )));
                }
                item.validate_drill_fields(&format!(
                    "arm.vaults[{vault_index}].protected_items[{item_index}]"
                ))
                .map_err(invalid)?;
            }
        }
        backup_vaults::validate(&self.arm.backup_vaults).map_err(invalid)?;
        self.arm.validate_drill_resources().map_err(invalid)?;
        faults::validate(self).map_err(invalid)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_object_gives_defaults() {
        let scenario = Scenario::from_json("{}").unwrap();
        assert_eq!(scenario, Scenario::default());
        assert_eq!(scenario.arm.operation_retry_after_seconds, 60);
    }

    #[test]
    fn demo_differs_from_default_in_retry_after_and_backup_vault() {
        let mut demo = Scenario::demo();
        assert_eq!(demo.arm.operation_retry_after_seconds, 1);
        demo.arm.operation_retry_after_seconds = 60;
        let vaults = std::mem::take(&mut demo.arm.backup_vaults);
        assert_eq!(demo, Scenario::default());
        assert_eq!(vaults.len(), 1);
        assert_eq!(vaults[0].backup_instances[0].datasource_name, DEMO_DISK);
        demo.validate().unwrap();
    }

    #[test]
    fn partial_file_keeps_other_defaults() {
        let scenario = Scenario::from_json(
            r#"{"arm": {"page_size": 1, "vaults": [{"name": "rsv-x", "protected_items": [{"vm_name": "vm-x", "job": {"outcome": "never"}}]}]}}"#,
        )
        .unwrap();
        assert_eq!(scenario.arm.page_size, 1);
        assert_eq!(scenario.arm.vaults[0].resource_group, "rg-backup");
        assert_eq!(
            scenario.arm.vaults[0].protected_items[0].vm_resource_group,
            "rg-app"
        );
        assert_eq!(
            scenario.arm.vaults[0].protected_items[0].job.outcome,
            JobOutcome::Never
        );
        assert_eq!(scenario.entra, EntraScenario::default());
    }

    #[test]
    fn unknown_field_is_rejected() {
        let error = Scenario::from_json(r#"{"arm": {"page_sise": 1}}"#).unwrap_err();
        assert!(error.to_string().contains("page_sise"), "{error}");
    }

    #[test]
    fn invalid_values_are_rejected() {
        for (json, expected) in [
            (r#"{"ids": {"tenant": "contoso"}}"#, "ids.tenant"),
            (r#"{"clock_speed": 0}"#, "clock_speed"),
            (r#"{"clock_speed": 1e9}"#, "clock_speed"),
            (r#"{"arm": {"page_size": 0}}"#, "page_size"),
            (
                r#"{"arm": {"vaults": [{"name": "a"}, {"name": "A"}]}}"#,
                "listed twice",
            ),
        ] {
            let error = Scenario::from_json(json).unwrap_err().to_string();
            assert!(error.contains(expected), "{json}: {error}");
        }
    }

    #[test]
    fn drill_fields_have_defaults() {
        let scenario = Scenario::from_json("{}").unwrap();
        let item = &scenario.arm.vaults[0].protected_items[0];
        let ages: Vec<f64> = item.recovery_points.iter().map(|p| p.age_hours).collect();
        assert_eq!(ages, [2.0, 26.0, 50.0]);
        assert_eq!(item.source_disks.len(), 2);
        assert_eq!(
            item.source_disks[0].resolved_name("vm-app01"),
            "vm-app01_OsDisk_1"
        );
        assert_eq!(item.source_disks[1].lun, Some(0));
        assert_eq!(item.source_disks[1].size_gb, 256);
        assert_eq!(item.restore, JobScenario::default());
        let groups: Vec<&str> = scenario
            .arm
            .resource_groups
            .iter()
            .map(|group| group.name.as_str())
            .collect();
        assert_eq!(groups, ["rg-backup", "rg-app", "rg-drill"]);
        assert_eq!(scenario.arm.storage_accounts[0].name, "stdrillstaging");
        assert_eq!(scenario.arm.permissions.actions, ["*"]);
        assert_eq!(scenario.arm.delete_duration_seconds, 1);
    }

    #[test]
    fn drill_fields_parse() {
        let scenario = Scenario::from_json(
            r#"{"arm": {
                "resource_groups": [{"name": "rg-restore", "location": "northeurope"}],
                "storage_accounts": [{"resource_group": "rg-restore", "name": "ststaging01"}],
                "permissions": {"actions": ["Microsoft.Compute/disks/read"], "not_actions": ["Microsoft.Compute/disks/delete"]},
                "failing_deletes": ["vm-app01-datadisk-0-*"],
                "delete_duration_seconds": 30,
                "vaults": [{"protected_items": [{
                    "vm_name": "vm-db01",
                    "vm_size": "Standard_E4s_v5",
                    "recovery_points": [{"name": "123456", "age_hours": 1.5, "type": "AppConsistent"}],
                    "source_disks": [{"size_gb": 64}, {"lun": 3, "size_gb": 1024, "sku": "PremiumV2_LRS", "name": "db-data"}],
                    "restore": {"duration_seconds": 60, "outcome": "Failed", "error_code": 7}
                }]}]
            }}"#,
        )
        .unwrap();
        let item = &scenario.arm.vaults[0].protected_items[0];
        assert_eq!(item.recovery_points[0].point_type, "AppConsistent");
        assert_eq!(item.recovery_points[0].name.as_deref(), Some("123456"));
        assert_eq!(item.source_disks[1].resolved_name("vm-db01"), "db-data");
        assert_eq!(item.restore.outcome, JobOutcome::Failed);
        assert_eq!(scenario.arm.failing_deletes, ["vm-app01-datadisk-0-*"]);

        let groups = scenario.arm.existing_resource_groups();
        assert_eq!(groups[0].location, "northeurope");
        assert!(groups.iter().any(|group| group.name == "rg-backup"));
        assert!(groups.iter().any(|group| group.name == "rg-app"));
    }

    #[test]
    fn backup_vaults_parse_with_defaults() {
        let scenario = Scenario::from_json(
            r#"{"arm": {"backup_vaults": [
                {"backup_instances": [{"datasource_name": "disk-app01"}]},
                {"name": "bv-2", "location": "northeurope", "operation_job_id_form": "arm_id",
                 "operation_status_scope": "location",
                 "backup_instances": [{"datasource_name": "disk-db01", "name": "disk-db01-1",
                   "backup_rules": [{"name": "BackupHourly", "retention_tags": ["Default", "Weekly"]}],
                   "job": {"duration_seconds": 2, "outcome": "Failed"}}]}
            ]}}"#,
        )
        .unwrap();
        assert!(Scenario::default().arm.backup_vaults.is_empty());
        let first = &scenario.arm.backup_vaults[0];
        assert_eq!(first.name, "bv-contoso");
        assert_eq!(first.resource_group, "rg-backup");
        assert_eq!(first.location, "westeurope");
        assert_eq!(first.operation_job_id_form, OperationJobIdForm::Guid);
        assert_eq!(first.operation_status_scope, OperationStatusScope::Vault);
        let instance = &first.backup_instances[0];
        assert_eq!(instance.datasource_resource_group, "rg-app");
        assert_eq!(instance.datasource_type, "Microsoft.Compute/disks");
        assert_eq!(instance.policy_name, "DiskPolicy");

        let second = &scenario.arm.backup_vaults[1];
        assert_eq!(second.operation_job_id_form, OperationJobIdForm::ArmId);
        assert_eq!(
            second.operation_status_scope,
            OperationStatusScope::Location
        );
        assert_eq!(second.backup_instances[0].resolved_name(), "disk-db01-1");
        assert_eq!(second.backup_instances[0].job.outcome, JobOutcome::Failed);
    }

    #[test]
    fn invalid_backup_vaults_are_rejected() {
        for (json, expected) in [
            (
                r#"{"arm": {"backup_vaults": [{}, {"name": "BV-CONTOSO"}]}}"#,
                "listed twice",
            ),
            (
                r#"{"arm": {"backup_vaults": [{"backup_instances": [{}]}]}}"#,
                "datasource_name",
            ),
            (
                r#"{"arm": {"backup_vaults": [{"backup_instances": [{"datasource_name": "d", "backup_rules": []}]}]}}"#,
                "at least one rule",
            ),
            (
                r#"{"arm": {"backup_vaults": [{"backup_instances": [{"datasource_name": "d", "backup_rules": [{"name": "R", "retention_tags": []}]}]}]}}"#,
                "at least one tag",
            ),
            (
                r#"{"arm": {"backup_vaults": [{"backup_instances": [{"datasource_name": "d"}, {"datasource_name": "d"}]}]}}"#,
                "listed twice",
            ),
            (
                r#"{"arm": {"backup_vaults": [{"operation_status_scope": "tenant"}]}}"#,
                "tenant",
            ),
            (
                r#"{"arm": {"backup_vaults": [{"backup_instances": [{"datasource_name": "d", "policy": "p"}]}]}}"#,
                "policy",
            ),
        ] {
            let error = Scenario::from_json(json).unwrap_err().to_string();
            assert!(error.contains(expected), "{json}: {error}");
        }
    }

    #[test]
    fn invalid_drill_fields_are_rejected() {
        let item = |fields: &str| {
            format!(
                r#"{{"arm": {{"vaults": [{{"protected_items": [{{"vm_name": "vm-x", {fields}}}]}}]}}}}"#
            )
        };
        for (json, expected) in [
            (
                item(r#""recovery_points": [{"age_hours": -1}]"#),
                "age_hours",
            ),
            (
                item(r#""recovery_points": [{"name": "rp-1"}]"#),
                "numeric string",
            ),
            (
                item(r#""recovery_points": [{"name": "1"}, {"name": "1", "age_hours": 3}]"#),
                "listed twice",
            ),
            (
                item(r#""source_disks": [{"lun": 0}]"#),
                "exactly one OS disk",
            ),
            (item(r#""source_disks": [{}, {"lun": 64}]"#), "at most 63"),
            (
                item(r#""source_disks": [{}, {"lun": 1}, {"lun": 1}]"#),
                "used twice",
            ),
            (item(r#""source_disks": [{"sku": "Gold"}]"#), "sku"),
            (item(r#""source_disks": [{"size_gb": 0}]"#), "size_gb"),
            (
                r#"{"arm": {"storage_accounts": [{"name": "St_Drill"}]}}"#.to_owned(),
                "lowercase letters and digits",
            ),
            (
                r#"{"arm": {"resource_groups": [{"name": "rg-a"}, {"name": "RG-A"}]}}"#.to_owned(),
                "listed twice",
            ),
            (
                r#"{"arm": {"failing_deletes": [""]}}"#.to_owned(),
                "empty pattern",
            ),
        ] {
            let error = Scenario::from_json(&json).unwrap_err().to_string();
            assert!(error.contains(expected), "{json}: {error}");
        }
    }
}
