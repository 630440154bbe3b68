//! Resource groups: `GET /subscriptions/{s}/resourceGroups/{rg}`, the lookup that every resource
//! in a group goes through first, and ARM's not-found errors for groups and their resources.

use hyper::StatusCode;
use serde_json::json;

use super::resource_path::GroupPath;
use super::resources::check_subscription;
use super::response::arm_error;
use crate::sim::http::SimResponse;
use crate::sim::scenario::ExistingResourceGroup;
use crate::sim::Simulator;

/// Builds ARM's error for a resource group that does not exist.
pub(crate) fn group_not_found(resource_group: &str) -> SimResponse {
    arm_error(
        StatusCode::NOT_FOUND,
        "ResourceGroupNotFound",
        format!("Resource group '{resource_group}' could not be found."),
    )
}

/// Builds ARM's error for a resource that its group does not contain. `resource_type` includes
/// the provider, such as `Microsoft.Compute/disks`.
pub(crate) fn resource_not_found(
    resource_type: &str,
    name: &str,
    resource_group: &str,
) -> SimResponse {
    arm_error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!(
            "The Resource '{resource_type}/{name}' under resource group '{resource_group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
        ),
    )
}

/// Finds an existing resource group by name, case-insensitively.
pub(crate) fn existing_group(simulator: &Simulator, name: &str) -> Option<ExistingResourceGroup> {
    simulator
        .scenario
        .arm
        .existing_resource_groups()
        .into_iter()
        .find(|group| group.name.eq_ignore_ascii_case(name))
}

/// Checks the subscription and finds the group a path names.
pub(crate) fn find_group(
    simulator: &Simulator,
    path: &GroupPath,
) -> Result<ExistingResourceGroup, SimResponse> {
    check_subscription(simulator, &path.subscription)?;
    existing_group(simulator, &path.resource_group)
        .ok_or_else(|| group_not_found(&path.resource_group))
}

/// Builds a resource group's ID, spelt as in the scenario.
pub(crate) fn group_id(simulator: &Simulator, group: &str) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{group}",
        simulator.scenario.ids.subscription
    )
}

/// Compares two Azure locations as ARM does: case-insensitively and ignoring spaces, so
/// `West Europe` equals `westeurope`.
pub(crate) fn same_location(left: &str, right: &str) -> bool {
    let normalize = |text: &str| -> String {
        text.chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    normalize(left) == normalize(right)
}

/// `GET /subscriptions/{s}/resourceGroups/{rg}`.
pub(crate) fn get(simulator: &Simulator, path: &GroupPath) -> Result<SimResponse, SimResponse> {
    let group = find_group(simulator, path)?;
    let body = json!({
        "id": group_id(simulator, &group.name),
        "name": group.name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": group.location,
        "properties": { "provisioningState": "Succeeded" },
    });
    Ok(SimResponse::json(StatusCode::OK, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_compare_like_arm() {
        assert!(same_location("West Europe", "westeurope"));
        assert!(same_location("WESTEUROPE", "westeurope"));
        assert!(!same_location("northeurope", "westeurope"));
    }
}
