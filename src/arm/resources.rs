//! Generic ARM resources a restore drill touches: resource groups, managed disks, tags,
//! deletions as long-running operations, and the caller's permissions.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::client::ArmClient;
use super::error::ArmError;
use super::lro::poll_operation;
use super::paging::get_all_pages;

/// api-version for resource groups and the tags resource (Microsoft.Resources).
pub const RESOURCES_API_VERSION: &str = "2021-04-01";
/// api-version for managed disks and virtual machines (Microsoft.Compute).
pub const COMPUTE_API_VERSION: &str = "2024-03-02";
/// api-version for storage accounts (Microsoft.Storage).
pub const STORAGE_API_VERSION: &str = "2023-05-01";
/// api-version for the caller's permissions (Microsoft.Authorization).
pub const AUTHORIZATION_API_VERSION: &str = "2022-04-01";

/// GETs a resource; `None` when ARM returns 404.
pub async fn get_resource(
    arm: &ArmClient,
    id: &str,
    api_version: &str,
) -> Result<Option<Value>, ArmError> {
    match arm.get(&arm.url(id, api_version, &[])).await {
        Ok(response) => response.json().map(Some),
        Err(error) if error.status() == Some(404) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Returns whether the resource group exists.
pub async fn resource_group_exists(
    arm: &ArmClient,
    subscription_id: &str,
    resource_group: &str,
) -> Result<bool, ArmError> {
    let id = format!("/subscriptions/{subscription_id}/resourcegroups/{resource_group}");
    Ok(get_resource(arm, &id, RESOURCES_API_VERSION)
        .await?
        .is_some())
}

/// Lists the managed disks in a resource group, following `nextLink`.
pub async fn list_disks(
    arm: &ArmClient,
    subscription_id: &str,
    resource_group: &str,
) -> Result<Vec<Value>, ArmError> {
    let path = format!(
        "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.Compute/disks"
    );
    get_all_pages(arm, &arm.url(&path, COMPUTE_API_VERSION, &[])).await
}

/// Merges `tags` into a resource's tags through the tags resource, leaving other tags alone.
pub async fn merge_tags(
    arm: &ArmClient,
    id: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), ArmError> {
    let url = arm.url(
        &format!("{id}/providers/Microsoft.Resources/tags/default"),
        RESOURCES_API_VERSION,
        &[],
    );
    let body = json!({"operation": "Merge", "properties": {"tags": tags}});
    arm.patch(&url, &body).await.map(|_| ())
}

/// Deletes a resource and follows the deletion to its end. A resource that is already gone
/// counts as deleted.
pub async fn delete_resource(arm: &ArmClient, id: &str, api_version: &str) -> Result<(), ArmError> {
    let response = match arm.delete(&arm.url(id, api_version, &[])).await {
        Ok(response) => response,
        Err(error) if error.status() == Some(404) => return Ok(()),
        Err(error) => return Err(error),
    };
    if response.status != 202 && response.status != 201 {
        return Ok(());
    }
    let what = format!("the deletion of {id}");
    let outcome = poll_operation(arm, &response.headers, &what).await?;
    if outcome.succeeded() {
        return Ok(());
    }
    let (code, message) = outcome.error();
    Err(ArmError::Service {
        method: "DELETE",
        path: id.to_string(),
        status: 200,
        code: if code.is_empty() {
            outcome.status.clone()
        } else {
            code
        },
        message: if message.is_empty() {
            format!("the deletion ended {}", outcome.status)
        } else {
            message
        },
        request_id: None,
    })
}

/// The caller's permissions at one scope, as `Microsoft.Authorization/permissions` lists them.
#[derive(Debug, Clone, Default)]
pub struct Permissions {
    grants: Vec<(Vec<String>, Vec<String>)>,
}

impl Permissions {
    /// Returns whether any grant allows `action`: an `actions` pattern matches and no
    /// `notActions` pattern of the same grant does. Patterns use `*` as a wildcard and compare
    /// ignoring case, as ARM does.
    pub fn allows(&self, action: &str) -> bool {
        self.grants.iter().any(|(actions, not_actions)| {
            actions
                .iter()
                .any(|pattern| wildcard_match(pattern, action))
                && !not_actions
                    .iter()
                    .any(|pattern| wildcard_match(pattern, action))
        })
    }
}

/// Reads the caller's permissions at `scope` (a resource or resource group ID).
pub async fn permissions(arm: &ArmClient, scope: &str) -> Result<Permissions, ArmError> {
    let url = arm.url(
        &format!("{scope}/providers/Microsoft.Authorization/permissions"),
        AUTHORIZATION_API_VERSION,
        &[],
    );
    let body: Value = arm.get(&url).await?.json()?;
    let strings = |value: &Value, key: &str| -> Vec<String> {
        value
            .get(key)
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let grants = body
        .get("value")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|grant| (strings(grant, "actions"), strings(grant, "notActions")))
                .collect()
        })
        .unwrap_or_default();
    Ok(Permissions { grants })
}

fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let text = text.to_ascii_lowercase();
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text.as_str();
    for (index, part) in parts.iter().enumerate() {
        if index == 0 {
            let Some(stripped) = rest.strip_prefix(part) else {
                return false;
            };
            rest = stripped;
        } else if index == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(found) = rest.find(part) {
            rest = &rest[found + part.len()..];
        } else {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_arm() {
        assert!(wildcard_match("*", "Microsoft.Compute/disks/write"));
        assert!(wildcard_match(
            "Microsoft.Compute/*",
            "microsoft.compute/disks/write"
        ));
        assert!(wildcard_match("*/read", "Microsoft.Compute/disks/read"));
        assert!(!wildcard_match("*/read", "Microsoft.Compute/disks/write"));
        assert!(wildcard_match("Microsoft.RecoveryServices/Vaults/backupFabrics/*/restore/action",
            "Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints/restore/action"));
    }

    #[test]
    fn not_actions_subtract() {
        let permissions = Permissions {
            grants: vec![(
                vec!["*".into()],
                vec!["Microsoft.Compute/disks/delete".into()],
            )],
        };
        assert!(permissions.allows("Microsoft.Compute/disks/write"));
        assert!(!permissions.allows("Microsoft.Compute/disks/delete"));
    }
}
