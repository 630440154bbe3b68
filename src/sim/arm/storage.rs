//! Storage accounts, which restores use for staging:
//! `GET …/providers/Microsoft.Storage/storageAccounts/{name}` and the lookup that validates a
//! restore request's `storageAccountId`.

use hyper::StatusCode;
use serde_json::{json, Value};

use super::resource_groups::{find_group, resource_not_found};
use super::resource_path::GroupPath;
use crate::sim::http::SimResponse;
use crate::sim::scenario::StorageAccountScenario;
use crate::sim::Simulator;

pub(crate) const STORAGE_ACCOUNT_TYPE: &str = "Microsoft.Storage/storageAccounts";

/// Finds a storage account by resource group and name, both case-insensitively.
pub(crate) fn find_account<'a>(
    simulator: &'a Simulator,
    resource_group: &str,
    name: &str,
) -> Option<&'a StorageAccountScenario> {
    simulator
        .scenario
        .arm
        .storage_accounts
        .iter()
        .find(|account| {
            account.resource_group.eq_ignore_ascii_case(resource_group)
                && account.name.eq_ignore_ascii_case(name)
        })
}

/// Returns the account's location, or the scenario's default location.
pub(crate) fn account_location<'a>(
    simulator: &'a Simulator,
    account: &'a StorageAccountScenario,
) -> &'a str {
    account
        .location
        .as_deref()
        .unwrap_or(simulator.scenario.arm.default_location())
}

/// Builds the storage account's resource ID, spelt as in the scenario.
pub(crate) fn account_id(simulator: &Simulator, account: &StorageAccountScenario) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/{STORAGE_ACCOUNT_TYPE}/{}",
        simulator.scenario.ids.subscription, account.resource_group, account.name
    )
}

/// Builds a minimal storage account resource: the fields a client checks before a restore.
fn account_resource(simulator: &Simulator, account: &StorageAccountScenario) -> Value {
    let tier = if account.sku.starts_with("Premium") {
        "Premium"
    } else {
        "Standard"
    };
    json!({
        "id": account_id(simulator, account),
        "name": account.name,
        "type": STORAGE_ACCOUNT_TYPE,
        "location": account_location(simulator, account),
        "kind": "StorageV2",
        "sku": { "name": account.sku, "tier": tier },
        "tags": {},
        "properties": {
            "provisioningState": "Succeeded",
            "primaryLocation": account_location(simulator, account),
            "statusOfPrimary": "available",
            "accessTier": "Hot",
        },
    })
}

/// `GET …/providers/Microsoft.Storage/storageAccounts/{name}`.
pub(crate) fn get(
    simulator: &Simulator,
    path: &GroupPath,
    name: &str,
) -> Result<SimResponse, SimResponse> {
    let group = find_group(simulator, path)?;
    let account = find_account(simulator, &group.name, name)
        .ok_or_else(|| resource_not_found(STORAGE_ACCOUNT_TYPE, name, &path.resource_group))?;
    Ok(SimResponse::json(
        StatusCode::OK,
        &account_resource(simulator, account),
    ))
}
