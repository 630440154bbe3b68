//! `GET {scope}/providers/Microsoft.Authorization/permissions`: the caller's effective permissions
//! at a subscription, resource group or resource. Every scope returns the scenario's
//! `arm.permissions`; the simulator does not enforce them on other requests.

use hyper::StatusCode;
use serde_json::json;

use super::resource_groups::{existing_group, group_not_found};
use super::resources::check_subscription;
use crate::sim::http::SimResponse;
use crate::sim::Simulator;

/// Returns the permissions at `scope` (its path segments, starting with `subscriptions/{id}`).
/// The subscription and any resource group in the scope must exist.
// NOTE: resources inside an existing group are not checked, so a scope naming a missing resource
// still returns the scenario's permissions.
pub(crate) fn get(simulator: &Simulator, scope: &[String]) -> Result<SimResponse, SimResponse> {
    check_subscription(simulator, &scope[1])?;
    if let [_, _, group_segment, group, ..] = scope {
        if group_segment.eq_ignore_ascii_case("resourceGroups")
            && existing_group(simulator, group).is_none()
        {
            return Err(group_not_found(group));
        }
    }
    let permissions = &simulator.scenario.arm.permissions;
    let body = json!({
        "value": [{
            "actions": permissions.actions,
            "notActions": permissions.not_actions,
            "dataActions": [],
            "notDataActions": [],
        }]
    });
    Ok(SimResponse::json(StatusCode::OK, &body))
}
