//! Request paths and resource IDs outside Recovery Services: resource groups, storage accounts,
//! VMs, managed disks, Compute operations, and the tags and permissions of any scope. ARM accepts
//! `resourcegroups` as well as `resourceGroups`, so literals match case-insensitively.

use super::path::{match_prefix, matches_exactly, Route, ANY};

/// A resource group as named in a request path or resource ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupPath {
    pub(crate) subscription: String,
    pub(crate) resource_group: String,
}

/// `/subscriptions/{s}/providers/Microsoft.Compute/locations/{location}/operations/{id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ComputeOperationPath {
    pub(crate) subscription: String,
    pub(crate) location: String,
    pub(crate) operation: String,
}

/// A resource in a resource group, parsed from a resource ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupResourceId {
    pub(crate) group: GroupPath,
    /// Provider namespace, such as `Microsoft.Storage`.
    pub(crate) provider: String,
    /// Resource type inside the provider, such as `storageAccounts`.
    pub(crate) resource_type: String,
    pub(crate) name: String,
}

const GROUP_PREFIX: [&str; 4] = ["subscriptions", ANY, "resourceGroups", ANY];

const PERMISSIONS_SUFFIX: [&str; 3] = ["providers", "Microsoft.Authorization", "permissions"];

const TAGS_SUFFIX: [&str; 4] = ["providers", "Microsoft.Resources", "tags", "default"];

/// Matches the routes of this module. Returns `None` for any other path, including the Recovery
/// Services paths that `path::parse_route` handles.
pub(crate) fn parse_resource_route(segments: &[&str]) -> Option<Route> {
    // A scope is at least `subscriptions/{id}`.
    let scope_of = |suffix: &[&str]| -> Option<Vec<String>> {
        let scope_length = segments.len().checked_sub(suffix.len())?;
        let (scope, tail) = segments.split_at(scope_length);
        let tail_matches = tail
            .iter()
            .zip(suffix)
            .all(|(segment, expected)| segment.eq_ignore_ascii_case(expected));
        let scope_valid = scope.len() >= 2 && scope[0].eq_ignore_ascii_case("subscriptions");
        (tail_matches && scope_valid)
            .then(|| scope.iter().map(|segment| (*segment).to_owned()).collect())
    };
    if let Some(scope) = scope_of(&PERMISSIONS_SUFFIX) {
        return Some(Route::Permissions(scope));
    }
    if let Some(scope) = scope_of(&TAGS_SUFFIX) {
        return Some(Route::Tags(scope));
    }

    if let Some(captured) = matches_exactly(
        segments,
        &[
            "subscriptions",
            ANY,
            "providers",
            "Microsoft.Compute",
            "locations",
            ANY,
            "operations",
            ANY,
        ],
    ) {
        return Some(Route::ComputeOperation(ComputeOperationPath {
            subscription: captured[0].to_owned(),
            location: captured[1].to_owned(),
            operation: captured[2].to_owned(),
        }));
    }

    let (captured, rest) = match_prefix(segments, &GROUP_PREFIX)?;
    let group = GroupPath {
        subscription: captured[0].to_owned(),
        resource_group: captured[1].to_owned(),
    };
    if rest.is_empty() {
        return Some(Route::ResourceGroup(group));
    }
    let named = |pattern: &[&str]| matches_exactly(rest, pattern).map(|c| c[0].to_owned());
    if let Some(name) = named(&["providers", "Microsoft.Storage", "storageAccounts", ANY]) {
        return Some(Route::StorageAccount(group, name));
    }
    if let Some(name) = named(&["providers", "Microsoft.Compute", "virtualMachines", ANY]) {
        return Some(Route::VirtualMachine(group, name));
    }
    if matches_exactly(rest, &["providers", "Microsoft.Compute", "disks"]).is_some() {
        return Some(Route::Disks(group));
    }
    if let Some(name) = named(&["providers", "Microsoft.Compute", "disks", ANY]) {
        return Some(Route::Disk(group, name));
    }
    None
}

/// Splits a resource ID such as `/subscriptions/{s}/resourceGroups/{rg}` into decoded segments.
pub(crate) fn id_segments(id: &str) -> Vec<String> {
    crate::sim::http::decode_path_segments(id)
}

/// Parses `/subscriptions/{s}/resourceGroups/{rg}` (no trailing segments).
pub(crate) fn parse_group_id(id: &str) -> Option<GroupPath> {
    let segments = id_segments(id);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let captured = matches_exactly(&segments, &GROUP_PREFIX)?;
    Some(GroupPath {
        subscription: captured[0].to_owned(),
        resource_group: captured[1].to_owned(),
    })
}

/// Parses `/subscriptions/{s}/resourceGroups/{rg}/providers/{namespace}/{type}/{name}`, a
/// top-level resource in a resource group.
pub(crate) fn parse_group_resource_id(segments: &[&str]) -> Option<GroupResourceId> {
    let (captured, rest) = match_prefix(segments, &GROUP_PREFIX)?;
    let [providers, provider, resource_type, name] = rest else {
        return None;
    };
    if !providers.eq_ignore_ascii_case("providers") {
        return None;
    }
    Some(GroupResourceId {
        group: GroupPath {
            subscription: captured[0].to_owned(),
            resource_group: captured[1].to_owned(),
        },
        provider: (*provider).to_owned(),
        resource_type: (*resource_type).to_owned(),
        name: (*name).to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::http::decode_path_segments;

    const GROUP: &str =
        "/subscriptions/00000000-0000-0000-0000-000000000003/resourceGroups/rg-drill";

    fn route(path: &str) -> Option<Route> {
        let segments = decode_path_segments(path);
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        parse_resource_route(&segments)
    }

    fn group() -> GroupPath {
        GroupPath {
            subscription: "00000000-0000-0000-0000-000000000003".to_owned(),
            resource_group: "rg-drill".to_owned(),
        }
    }

    #[test]
    fn route_group_resources() {
        assert_eq!(route(GROUP), Some(Route::ResourceGroup(group())));
        assert_eq!(
            route(&GROUP.replace("resourceGroups", "resourcegroups")),
            Some(Route::ResourceGroup(group()))
        );
        assert_eq!(
            route(&format!(
                "{GROUP}/providers/Microsoft.Storage/storageAccounts/stdrill"
            )),
            Some(Route::StorageAccount(group(), "stdrill".to_owned()))
        );
        assert_eq!(
            route(&format!(
                "{GROUP}/providers/microsoft.compute/virtualMachines/vm-1"
            )),
            Some(Route::VirtualMachine(group(), "vm-1".to_owned()))
        );
        assert_eq!(
            route(&format!("{GROUP}/providers/Microsoft.Compute/disks")),
            Some(Route::Disks(group()))
        );
        assert_eq!(
            route(&format!("{GROUP}/providers/Microsoft.Compute/disks/d1")),
            Some(Route::Disk(group(), "d1".to_owned()))
        );
        assert_eq!(
            route(&format!("{GROUP}/providers/Microsoft.Compute/snapshots/s1")),
            None
        );
    }

    #[test]
    fn route_compute_operation() {
        assert_eq!(
            route("/subscriptions/s1/providers/Microsoft.Compute/locations/westeurope/operations/op-1"),
            Some(Route::ComputeOperation(ComputeOperationPath {
                subscription: "s1".to_owned(),
                location: "westeurope".to_owned(),
                operation: "op-1".to_owned(),
            }))
        );
    }

    #[test]
    fn route_scope_suffixes() {
        let disk = format!("{GROUP}/providers/Microsoft.Compute/disks/d1");
        let disk_segments = decode_path_segments(&disk);
        assert_eq!(
            route(&format!(
                "{disk}/providers/Microsoft.Resources/tags/default"
            )),
            Some(Route::Tags(disk_segments))
        );
        let vault = "/subscriptions/s1/resourceGroups/rg-backup/providers/Microsoft.RecoveryServices/vaults/rsv";
        assert_eq!(
            route(&format!(
                "{vault}/providers/microsoft.authorization/permissions"
            )),
            Some(Route::Permissions(decode_path_segments(vault)))
        );
        assert_eq!(
            route("/subscriptions/s1/providers/Microsoft.Authorization/permissions"),
            Some(Route::Permissions(vec![
                "subscriptions".to_owned(),
                "s1".to_owned()
            ]))
        );
        assert_eq!(
            route("/providers/Microsoft.Authorization/permissions"),
            None
        );
    }

    #[test]
    fn group_and_resource_ids() {
        assert_eq!(parse_group_id(GROUP), Some(group()));
        assert_eq!(parse_group_id(&format!("{GROUP}/")), Some(group()));
        assert_eq!(parse_group_id(&format!("{GROUP}/providers")), None);
        assert_eq!(parse_group_id("rg-drill"), None);

        let id = format!("{GROUP}/providers/Microsoft.Storage/storageAccounts/stdrill");
        let segments = id_segments(&id);
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let parsed = parse_group_resource_id(&segments).unwrap();
        assert_eq!(parsed.group, group());
        assert_eq!(parsed.provider, "Microsoft.Storage");
        assert_eq!(parsed.resource_type, "storageAccounts");
        assert_eq!(parsed.name, "stdrill");
        assert!(parse_group_resource_id(&segments[..6]).is_none());
    }
}
