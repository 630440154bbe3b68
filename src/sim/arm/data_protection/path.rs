//! Request paths of Backup vaults (`Microsoft.DataProtection`): the vault, its backup instances,
//! the ad-hoc backup action, backup jobs, and operation status and results in the vault,
//! resource-group and location scopes. Literals match case-insensitively (`Backupvaults` occurs
//! in the service's own job IDs).

use crate::sim::arm::path::{match_prefix, matches_exactly, Route, ANY};

/// A Backup vault as named in a request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BackupVaultPath {
    pub(crate) subscription: String,
    pub(crate) resource_group: String,
    pub(crate) vault: String,
}

/// The scope that an operation status or result URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OperationScope {
    /// `{vault}/operationStatus/{id}`, as in the service's trigger example.
    Vault(BackupVaultPath),
    /// `/subscriptions/{s}/providers/Microsoft.DataProtection/locations/{location}/…`.
    Location {
        subscription: String,
        location: String,
    },
    /// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.DataProtection/…`, which the
    /// service's examples also show. A trigger in the vault scope returns it for the operation
    /// result, as `…/backupInstances/{bi}/operationResults/{id}`.
    ResourceGroup {
        subscription: String,
        resource_group: String,
    },
}

const PROVIDER: &str = "Microsoft.DataProtection";

const BACKUP_VAULT_PREFIX: [&str; 8] = [
    "subscriptions",
    ANY,
    "resourceGroups",
    ANY,
    "providers",
    PROVIDER,
    "backupVaults",
    ANY,
];

/// Matches the routes of this module. Returns `None` for any other path.
pub(crate) fn parse_data_protection_route(segments: &[&str]) -> Option<Route> {
    if let Some(captured) = matches_exactly(
        segments,
        &[
            "subscriptions",
            ANY,
            "providers",
            PROVIDER,
            "locations",
            ANY,
            ANY,
            ANY,
        ],
    ) {
        let scope = OperationScope::Location {
            subscription: captured[0].to_owned(),
            location: captured[1].to_owned(),
        };
        return operation_route(scope, captured[2], captured[3]);
    }
    if let Some(captured) = matches_exactly(
        segments,
        &[
            "subscriptions",
            ANY,
            "resourceGroups",
            ANY,
            "providers",
            PROVIDER,
            ANY,
            ANY,
        ],
    ) {
        let scope = OperationScope::ResourceGroup {
            subscription: captured[0].to_owned(),
            resource_group: captured[1].to_owned(),
        };
        if let Some(route) = operation_route(scope, captured[2], captured[3]) {
            return Some(route);
        }
    }

    // The operation result URL of the service's TriggerBackup example names the instance under
    // the resource group, without the vault.
    if let Some(captured) = matches_exactly(
        segments,
        &[
            "subscriptions",
            ANY,
            "resourceGroups",
            ANY,
            "providers",
            PROVIDER,
            "backupInstances",
            ANY,
            "operationResults",
            ANY,
        ],
    ) {
        let scope = OperationScope::ResourceGroup {
            subscription: captured[0].to_owned(),
            resource_group: captured[1].to_owned(),
        };
        return operation_route(scope, "operationResults", captured[3]);
    }

    let (captured, rest) = match_prefix(segments, &BACKUP_VAULT_PREFIX)?;
    let vault = BackupVaultPath {
        subscription: captured[0].to_owned(),
        resource_group: captured[1].to_owned(),
        vault: captured[2].to_owned(),
    };
    if rest.is_empty() {
        return Some(Route::BackupVault(vault));
    }
    if matches_exactly(rest, &["backupInstances"]).is_some() {
        return Some(Route::BackupInstances(vault));
    }
    if let Some(captured) = matches_exactly(rest, &["backupInstances", ANY]) {
        return Some(Route::BackupInstance(vault, captured[0].to_owned()));
    }
    if let Some(captured) = matches_exactly(rest, &["backupInstances", ANY, "backup"]) {
        return Some(Route::AdhocBackup(vault, captured[0].to_owned()));
    }
    if matches_exactly(rest, &["backupJobs"]).is_some() {
        return Some(Route::BackupVaultJobs(vault));
    }
    if let Some(captured) = matches_exactly(rest, &["backupJobs", ANY]) {
        return Some(Route::BackupVaultJob(vault, captured[0].to_owned()));
    }
    if let [collection, operation] = rest {
        return operation_route(OperationScope::Vault(vault), collection, operation);
    }
    None
}

/// Builds the route for `operationStatus/{id}` or `operationResults/{id}` in `scope`.
fn operation_route(scope: OperationScope, collection: &str, operation: &str) -> Option<Route> {
    if collection.eq_ignore_ascii_case("operationStatus") {
        Some(Route::DataProtectionOperationStatus(
            scope,
            operation.to_owned(),
        ))
    } else if collection.eq_ignore_ascii_case("operationResults") {
        Some(Route::DataProtectionOperationResult(
            scope,
            operation.to_owned(),
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::http::decode_path_segments;

    const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000003";
    const VAULT: &str = "/subscriptions/00000000-0000-0000-0000-000000000003/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv-contoso";
    /// An operation ID in the service's base64 form, with `=` escaped as a client may send it.
    const ESCAPED_OPERATION: &str = "ZTA4YjQ0ZGY7ZjU4ODUzMDc%3D";
    const OPERATION: &str = "ZTA4YjQ0ZGY7ZjU4ODUzMDc=";

    fn route(path: &str) -> Option<Route> {
        let segments = decode_path_segments(path);
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        parse_data_protection_route(&segments)
    }

    fn vault() -> BackupVaultPath {
        BackupVaultPath {
            subscription: SUBSCRIPTION.to_owned(),
            resource_group: "rg-backup".to_owned(),
            vault: "bv-contoso".to_owned(),
        }
    }

    #[test]
    fn route_vault_instances_and_jobs() {
        assert_eq!(route(VAULT), Some(Route::BackupVault(vault())));
        assert_eq!(
            route(&format!("{VAULT}/backupInstances")),
            Some(Route::BackupInstances(vault()))
        );
        assert_eq!(
            route(&format!("{VAULT}/BackupInstances/disk-1")),
            Some(Route::BackupInstance(vault(), "disk-1".to_owned()))
        );
        assert_eq!(
            route(&format!("{VAULT}/backupInstances/disk-1/backup")),
            Some(Route::AdhocBackup(vault(), "disk-1".to_owned()))
        );
        assert_eq!(
            route(&format!("{VAULT}/backupJobs")),
            Some(Route::BackupVaultJobs(vault()))
        );
        assert_eq!(
            route(&format!("{VAULT}/backupJobs/job-1")),
            Some(Route::BackupVaultJob(vault(), "job-1".to_owned()))
        );
        assert_eq!(route(&format!("{VAULT}/backupPolicies/p/x")), None);
    }

    #[test]
    fn route_literals_match_any_case() {
        let path = "/Subscriptions/00000000-0000-0000-0000-000000000003/RESOURCEGROUPS/rg-backup/providers/microsoft.dataprotection/Backupvaults/bv-contoso/BACKUPJOBS/job-1";
        assert_eq!(
            route(path),
            Some(Route::BackupVaultJob(vault(), "job-1".to_owned()))
        );
    }

    #[test]
    fn route_operations_in_every_scope() {
        assert_eq!(
            route(&format!("{VAULT}/operationStatus/{ESCAPED_OPERATION}")),
            Some(Route::DataProtectionOperationStatus(
                OperationScope::Vault(vault()),
                OPERATION.to_owned()
            ))
        );
        assert_eq!(
            route(&format!(
                "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.DataProtection/locations/westeurope/operationResults/{OPERATION}"
            )),
            Some(Route::DataProtectionOperationResult(
                OperationScope::Location {
                    subscription: SUBSCRIPTION.to_owned(),
                    location: "westeurope".to_owned(),
                },
                OPERATION.to_owned()
            ))
        );
        assert_eq!(
            route(&format!(
                "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/operationStatus/{OPERATION}"
            )),
            Some(Route::DataProtectionOperationStatus(
                OperationScope::ResourceGroup {
                    subscription: SUBSCRIPTION.to_owned(),
                    resource_group: "rg-backup".to_owned(),
                },
                OPERATION.to_owned()
            ))
        );
        assert_eq!(
            route(&format!(
                "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.DataProtection/locations/westeurope/operations/{OPERATION}"
            )),
            None
        );
    }
}
