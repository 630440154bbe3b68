//! Parsing of protected-item resource IDs into the container and item names ARM paths need.

/// The names inside `…/protectionContainers/{container}/protectedItems/{item}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedItemNames {
    pub container: String,
    pub item: String,
}

/// Reads the container and item names from a protected item's `id`, so no name is ever built
/// by hand (Microsoft documents the formats as subject to change). Segment names are compared
/// case-insensitively, as ARM does.
pub fn protected_item_names(id: &str) -> Option<ProtectedItemNames> {
    let segments: Vec<&str> = id.split('/').collect();
    let container_at = segments
        .iter()
        .position(|segment| segment.eq_ignore_ascii_case("protectionContainers"))?;
    let item_at = container_at + 2;
    let container = segments.get(container_at + 1)?;
    let item_keyword = segments.get(item_at)?;
    let item = segments.get(item_at + 1)?;
    let valid = |name: &str| !name.is_empty() && !name.contains(['?', '#']) && name != "..";
    if !item_keyword.eq_ignore_ascii_case("protectedItems")
        || segments.len() != item_at + 2
        || !valid(container)
        || !valid(item)
    {
        return None;
    }
    Some(ProtectedItemNames {
        container: container.to_string(),
        item: item.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_id() {
        let id = "/Subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/\
                  backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg;vm1/\
                  protectedItems/VM;iaasvmcontainerv2;rg;vm1";
        let names = protected_item_names(id).unwrap();
        assert_eq!(names.container, "IaasVMContainer;iaasvmcontainerv2;rg;vm1");
        assert_eq!(names.item, "VM;iaasvmcontainerv2;rg;vm1");
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for id in [
            "",
            "/subscriptions/s/protectionContainers/c",
            "/x/protectionContainers/c/protectedItems/",
            "/x/protectionContainers/c/protectedItems/i/extra",
            "/x/protectionContainers/c/other/i",
        ] {
            assert_eq!(protected_item_names(id), None, "{id}");
        }
    }
}
