//! Resolving the subscription, resource group, vault and protected item named in a path against
//! the scenario, with ARM's not-found errors, and the resource IDs and names built from them.

use hyper::StatusCode;

use super::path::{ItemPath, VaultPath};
use super::resource_groups::{existing_group, group_not_found};
use super::response::arm_error;
use crate::sim::http::SimResponse;
use crate::sim::scenario::{ProtectedItemScenario, VaultScenario};
use crate::sim::Simulator;

/// The fabric name of every Azure workload.
const AZURE_FABRIC: &str = "Azure";

/// Checks the subscription against the scenario (case-insensitively).
pub(crate) fn check_subscription(
    simulator: &Simulator,
    subscription: &str,
) -> Result<(), SimResponse> {
    if subscription.eq_ignore_ascii_case(&simulator.scenario.ids.subscription) {
        Ok(())
    } else {
        Err(arm_error(
            StatusCode::NOT_FOUND,
            "SubscriptionNotFound",
            format!("The subscription '{subscription}' could not be found."),
        ))
    }
}

/// Finds the vault a path names and returns its index in the scenario.
pub(crate) fn find_vault(simulator: &Simulator, path: &VaultPath) -> Result<usize, SimResponse> {
    check_subscription(simulator, &path.subscription)?;
    if existing_group(simulator, &path.resource_group).is_none() {
        return Err(group_not_found(&path.resource_group));
    }
    simulator
        .scenario
        .arm
        .vaults
        .iter()
        .position(|vault| {
            vault.resource_group.eq_ignore_ascii_case(&path.resource_group)
                && vault.name.eq_ignore_ascii_case(&path.vault)
        })
        .ok_or_else(|| {
            arm_error(
                StatusCode::NOT_FOUND,
                "ResourceNotFound",
                format!(
                    "The Resource 'Microsoft.RecoveryServices/vaults/{}' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
                    path.vault, path.resource_group
                ),
            )
        })
}

/// Finds the protected item a path names. Returns the vault and item indexes.
pub(crate) fn find_item(
    simulator: &Simulator,
    path: &ItemPath,
) -> Result<(usize, usize), SimResponse> {
    let vault_index = find_vault(simulator, &path.vault)?;
    let vault = &simulator.scenario.arm.vaults[vault_index];
    let item_index = vault.protected_items.iter().position(|item| {
        path.fabric.eq_ignore_ascii_case(AZURE_FABRIC)
            && container_name(item).eq_ignore_ascii_case(&path.container)
            && protected_item_name(item).eq_ignore_ascii_case(&path.item)
    });
    item_index
        .map(|item_index| (vault_index, item_index))
        .ok_or_else(item_not_found)
}

/// Builds the Recovery Services error for an item the vault does not protect.
pub(crate) fn item_not_found() -> SimResponse {
    arm_error(
        StatusCode::NOT_FOUND,
        "BMSUserErrorDataSourceObjectNotFound",
        "Item not found.\r\nSelected item might have been deleted. Please check if item is registered to the vault.",
    )
}

/// `IaasVMContainer;iaasvmcontainerv2;{vmResourceGroup};{vmName}`.
pub(crate) fn container_name(item: &ProtectedItemScenario) -> String {
    format!(
        "IaasVMContainer;iaasvmcontainerv2;{};{}",
        item.vm_resource_group, item.vm_name
    )
}

/// `VM;iaasvmcontainerv2;{vmResourceGroup};{vmName}`.
pub(crate) fn protected_item_name(item: &ProtectedItemScenario) -> String {
    format!(
        "VM;iaasvmcontainerv2;{};{}",
        item.vm_resource_group, item.vm_name
    )
}

/// Builds the vault's resource ID, spelt as in the scenario.
pub(crate) fn vault_id(simulator: &Simulator, vault: &VaultScenario) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.RecoveryServices/vaults/{}",
        simulator.scenario.ids.subscription, vault.resource_group, vault.name
    )
}

/// Builds the protected item's resource ID, with `;` unescaped as ARM writes it.
pub(crate) fn item_id(
    simulator: &Simulator,
    vault: &VaultScenario,
    item: &ProtectedItemScenario,
) -> String {
    format!(
        "{}/backupFabrics/{AZURE_FABRIC}/protectionContainers/{}/protectedItems/{}",
        vault_id(simulator, vault),
        container_name(item),
        protected_item_name(item)
    )
}

/// Characters escaped in each path segment of a URL that the simulator sends, such as a polling
/// header: those a URL path cannot carry literally, and `%` so that a name containing it reads
/// back unchanged once the path is decoded. The client has a set of its own on purpose, so that
/// one mistake cannot pass unseen in both.
const URL_PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'?')
    .add(b'<')
    .add(b'>')
    .add(b'\\')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Builds the URL of the resource `id` on the simulated ARM endpoint, escaping each path segment.
pub(crate) fn arm_url(simulator: &Simulator, id: &str) -> String {
    let segments: Vec<String> = id
        .split('/')
        .map(|segment| percent_encoding::utf8_percent_encode(segment, URL_PATH_SEGMENT).to_string())
        .collect();
    format!("{}{}", simulator.urls.arm_base, segments.join("/"))
}

/// Builds the resource ID of the VM behind a protected item.
pub(crate) fn virtual_machine_id(simulator: &Simulator, item: &ProtectedItemScenario) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Compute/virtualMachines/{}",
        simulator.scenario.ids.subscription, item.vm_resource_group, item.vm_name
    )
}

/// `GET {vault}`: the Recovery Services vault resource.
pub(crate) fn vault(simulator: &Simulator, path: &VaultPath) -> Result<SimResponse, SimResponse> {
    let vault_index = find_vault(simulator, path)?;
    let vault = &simulator.scenario.arm.vaults[vault_index];
    let body = serde_json::json!({
        "id": vault_id(simulator, vault),
        "name": vault.name,
        "type": "Microsoft.RecoveryServices/vaults",
        "location": vault.location,
        "tags": {},
        "sku": { "name": "RS0", "tier": "Standard" },
        "properties": {
            "provisioningState": "Succeeded",
            "privateEndpointStateForBackup": "None",
            "privateEndpointStateForSiteRecovery": "None",
            "publicNetworkAccess": "Enabled"
        }
    });
    Ok(SimResponse::json(StatusCode::OK, &body))
}
