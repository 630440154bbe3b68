//! ARM request paths: matching decoded segments against the routes the simulator serves. Literal
//! segments and provider names match case-insensitively, as ARM does (`Subscriptions`,
//! `microsoft.recoveryservices`, `BACKUPJOBS`). Backup vault routes are parsed in
//! `data_protection::path`, and the other routes outside Recovery Services in `resource_path`.

use super::data_protection::path::{self as data_protection_path, BackupVaultPath, OperationScope};
use super::resource_path::{self, ComputeOperationPath, GroupPath};

/// A Recovery Services vault as named in a request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VaultPath {
    pub(crate) subscription: String,
    pub(crate) resource_group: String,
    pub(crate) vault: String,
}

/// A protected item as named in a request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ItemPath {
    pub(crate) vault: VaultPath,
    pub(crate) fabric: String,
    pub(crate) container: String,
    pub(crate) item: String,
}

/// A resource or action the ARM listener serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    MetadataEndpoints,
    Subscriptions,
    Subscription(String),
    Tenants,
    Vault(VaultPath),
    ProtectedItems(VaultPath),
    ProtectedItem(ItemPath),
    TriggerBackup(ItemPath),
    ItemOperationStatus(ItemPath, String),
    ItemOperationResult(ItemPath, String),
    VaultOperationStatus(VaultPath, String),
    Jobs(VaultPath),
    Job(VaultPath, String),
    /// `{vault}/backupJobs/{job}/cancel`.
    CancelJob(VaultPath, String),
    /// `{vault}/backupJobs/{job}/operationResults/{operation}`.
    JobOperationResult(VaultPath, String, String),
    RecoveryPoints(ItemPath),
    RecoveryPoint(ItemPath, String),
    TriggerRestore(ItemPath, String),
    ResourceGroup(GroupPath),
    StorageAccount(GroupPath, String),
    VirtualMachine(GroupPath, String),
    Disks(GroupPath),
    Disk(GroupPath, String),
    ComputeOperation(ComputeOperationPath),
    /// `{scope}/providers/Microsoft.Resources/tags/default`, with the scope's segments.
    Tags(Vec<String>),
    /// `{scope}/providers/Microsoft.Authorization/permissions`, with the scope's segments.
    Permissions(Vec<String>),
    /// A Backup vault (`Microsoft.DataProtection/backupVaults/{vault}`).
    BackupVault(BackupVaultPath),
    BackupInstances(BackupVaultPath),
    BackupInstance(BackupVaultPath, String),
    /// `{backupVault}/backupInstances/{name}/backup`.
    AdhocBackup(BackupVaultPath, String),
    DataProtectionOperationStatus(OperationScope, String),
    DataProtectionOperationResult(OperationScope, String),
    BackupVaultJobs(BackupVaultPath),
    BackupVaultJob(BackupVaultPath, String),
}

/// Marks a segment that matches any value and is captured.
pub(super) const ANY: &str = "{}";

const VAULT_PREFIX: [&str; 8] = [
    "subscriptions",
    ANY,
    "resourceGroups",
    ANY,
    "providers",
    "Microsoft.RecoveryServices",
    "vaults",
    ANY,
];

const ITEM_PREFIX: [&str; 6] = [
    "backupFabrics",
    ANY,
    "protectionContainers",
    ANY,
    "protectedItems",
    ANY,
];

/// Matches a path, given as decoded segments, to a route.
pub(crate) fn parse_route(segments: &[String]) -> Option<Route> {
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();

    if matches_exactly(&segments, &["metadata", "endpoints"]).is_some() {
        return Some(Route::MetadataEndpoints);
    }
    if matches_exactly(&segments, &["subscriptions"]).is_some() {
        return Some(Route::Subscriptions);
    }
    if matches_exactly(&segments, &["tenants"]).is_some() {
        return Some(Route::Tenants);
    }
    if let Some(captured) = matches_exactly(&segments, &["subscriptions", ANY]) {
        return Some(Route::Subscription(captured[0].to_owned()));
    }
    if let Some(route) = data_protection_path::parse_data_protection_route(&segments) {
        return Some(route);
    }
    if let Some(route) = resource_path::parse_resource_route(&segments) {
        return Some(route);
    }

    let (vault_captures, rest) = match_prefix(&segments, &VAULT_PREFIX)?;
    let vault = VaultPath {
        subscription: vault_captures[0].to_owned(),
        resource_group: vault_captures[1].to_owned(),
        vault: vault_captures[2].to_owned(),
    };
    if rest.is_empty() {
        return Some(Route::Vault(vault));
    }
    if matches_exactly(rest, &["backupProtectedItems"]).is_some() {
        return Some(Route::ProtectedItems(vault));
    }
    if let Some(captured) = matches_exactly(rest, &["backupOperations", ANY]) {
        return Some(Route::VaultOperationStatus(vault, captured[0].to_owned()));
    }
    if matches_exactly(rest, &["backupJobs"]).is_some() {
        return Some(Route::Jobs(vault));
    }
    if let Some(captured) = matches_exactly(rest, &["backupJobs", ANY]) {
        return Some(Route::Job(vault, captured[0].to_owned()));
    }
    if let Some(captured) = matches_exactly(rest, &["backupJobs", ANY, "cancel"]) {
        return Some(Route::CancelJob(vault, captured[0].to_owned()));
    }
    if let Some(captured) = matches_exactly(rest, &["backupJobs", ANY, "operationResults", ANY]) {
        return Some(Route::JobOperationResult(
            vault,
            captured[0].to_owned(),
            captured[1].to_owned(),
        ));
    }

    let (item_captures, rest) = match_prefix(rest, &ITEM_PREFIX)?;
    let item = ItemPath {
        vault,
        fabric: item_captures[0].to_owned(),
        container: item_captures[1].to_owned(),
        item: item_captures[2].to_owned(),
    };
    if rest.is_empty() {
        return Some(Route::ProtectedItem(item));
    }
    if matches_exactly(rest, &["backup"]).is_some() {
        return Some(Route::TriggerBackup(item));
    }
    if let Some(captured) = matches_exactly(rest, &["operationsStatus", ANY]) {
        return Some(Route::ItemOperationStatus(item, captured[0].to_owned()));
    }
    if let Some(captured) = matches_exactly(rest, &["operationResults", ANY]) {
        return Some(Route::ItemOperationResult(item, captured[0].to_owned()));
    }
    if matches_exactly(rest, &["recoveryPoints"]).is_some() {
        return Some(Route::RecoveryPoints(item));
    }
    if let Some(captured) = matches_exactly(rest, &["recoveryPoints", ANY]) {
        return Some(Route::RecoveryPoint(item, captured[0].to_owned()));
    }
    if let Some(captured) = matches_exactly(rest, &["recoveryPoints", ANY, "restore"]) {
        return Some(Route::TriggerRestore(item, captured[0].to_owned()));
    }
    None
}

/// Matches the whole path against a pattern and returns the captured segments.
pub(super) fn matches_exactly<'a>(segments: &[&'a str], pattern: &[&str]) -> Option<Vec<&'a str>> {
    match match_prefix(segments, pattern)? {
        (captured, []) => Some(captured),
        _ => None,
    }
}

/// Matches the start of the path against a pattern. Returns the captured segments and the rest.
pub(super) fn match_prefix<'a, 's>(
    segments: &'s [&'a str],
    pattern: &[&str],
) -> Option<(Vec<&'a str>, &'s [&'a str])> {
    if segments.len() < pattern.len() {
        return None;
    }
    let mut captured = Vec::new();
    for (segment, expected) in segments.iter().zip(pattern) {
        if *expected == ANY {
            captured.push(*segment);
        } else if !segment.eq_ignore_ascii_case(expected) {
            return None;
        }
    }
    Some((captured, &segments[pattern.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::http::decode_path_segments;

    const VAULT: &str =
        "/subscriptions/00000000-0000-0000-0000-000000000003/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv-contoso";

    fn route(path: &str) -> Option<Route> {
        parse_route(&decode_path_segments(path))
    }

    fn expected_item() -> ItemPath {
        ItemPath {
            vault: VaultPath {
                subscription: "00000000-0000-0000-0000-000000000003".to_owned(),
                resource_group: "rg-backup".to_owned(),
                vault: "rsv-contoso".to_owned(),
            },
            fabric: "Azure".to_owned(),
            container: "IaasVMContainer;iaasvmcontainerv2;rg-app;vm-app01".to_owned(),
            item: "VM;iaasvmcontainerv2;rg-app;vm-app01".to_owned(),
        }
    }

    #[test]
    fn route_with_raw_semicolons() {
        let path = format!(
            "{VAULT}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;vm-app01/protectedItems/VM;iaasvmcontainerv2;rg-app;vm-app01/backup"
        );
        assert_eq!(route(&path), Some(Route::TriggerBackup(expected_item())));
    }

    #[test]
    fn route_with_encoded_semicolons() {
        let path = format!(
            "{VAULT}/backupFabrics/Azure/protectionContainers/IaasVMContainer%3Biaasvmcontainerv2%3Brg-app%3Bvm-app01/protectedItems/VM%3biaasvmcontainerv2%3brg-app%3bvm-app01"
        );
        assert_eq!(route(&path), Some(Route::ProtectedItem(expected_item())));
    }

    #[test]
    fn route_literals_match_any_case() {
        let path = "/Subscriptions/00000000-0000-0000-0000-000000000003/RESOURCEGROUPS/rg-backup/providers/microsoft.recoveryservices/Vaults/rsv-contoso/BackupFabrics/Azure/ProtectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;vm-app01/ProtectedItems/VM;iaasvmcontainerv2;rg-app;vm-app01/OperationsStatus/op-1";
        assert_eq!(
            route(path),
            Some(Route::ItemOperationStatus(
                expected_item(),
                "op-1".to_owned()
            ))
        );
    }

    #[test]
    fn route_vault_level_resources() {
        let vault = expected_item().vault;
        assert_eq!(route(VAULT), Some(Route::Vault(vault.clone())));
        assert_eq!(
            route(&format!("{VAULT}/backupProtectedItems")),
            Some(Route::ProtectedItems(vault.clone()))
        );
        assert_eq!(
            route(&format!("{VAULT}/backupJobs/")),
            Some(Route::Jobs(vault.clone()))
        );
        assert_eq!(
            route(&format!("{VAULT}/backupJobs/job-1")),
            Some(Route::Job(vault.clone(), "job-1".to_owned()))
        );
        assert_eq!(
            route(&format!("{VAULT}/backupOperations/op-2")),
            Some(Route::VaultOperationStatus(vault, "op-2".to_owned()))
        );
    }

    #[test]
    fn route_job_cancel_and_its_result() {
        let vault = expected_item().vault;
        assert_eq!(
            route(&format!("{VAULT}/backupJobs/job-1/cancel")),
            Some(Route::CancelJob(vault.clone(), "job-1".to_owned()))
        );
        assert_eq!(
            route(&format!("{VAULT}/BackupJobs/job-1/OperationResults/op-3")),
            Some(Route::JobOperationResult(
                vault,
                "job-1".to_owned(),
                "op-3".to_owned()
            ))
        );
    }

    #[test]
    fn route_top_level_resources() {
        assert_eq!(route("/metadata/endpoints"), Some(Route::MetadataEndpoints));
        assert_eq!(route("/subscriptions"), Some(Route::Subscriptions));
        assert_eq!(
            route("/subscriptions/abc"),
            Some(Route::Subscription("abc".to_owned()))
        );
        assert_eq!(route("/tenants"), Some(Route::Tenants));
    }

    #[test]
    fn route_recovery_points_and_restore() {
        let item = format!(
            "{VAULT}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-app;vm-app01/protectedItems/VM;iaasvmcontainerv2;rg-app;vm-app01"
        );
        assert_eq!(
            route(&format!("{item}/recoveryPoints")),
            Some(Route::RecoveryPoints(expected_item()))
        );
        assert_eq!(
            route(&format!("{item}/RecoveryPoints/22244821112382")),
            Some(Route::RecoveryPoint(
                expected_item(),
                "22244821112382".to_owned()
            ))
        );
        assert_eq!(
            route(&format!("{item}/recoveryPoints/22244821112382/restore")),
            Some(Route::TriggerRestore(
                expected_item(),
                "22244821112382".to_owned()
            ))
        );
        assert_eq!(
            route(&format!(
                "{item}/recoveryPoints/22244821112382/provisionInstantItemRecovery"
            )),
            None
        );
    }

    #[test]
    fn route_unknown_paths() {
        assert_eq!(route("/"), None);
        assert_eq!(route(&format!("{VAULT}/backupPolicies")), None);
        assert_eq!(
            route("/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/bv/backupPolicies"),
            None
        );
    }
}
