//! Fuzzes the resource-ID parsers: `VaultId::parse`, `ResourceId::parse` and
//! `arm::protected_item_names`.

#![no_main]

use azure_backup_oidc::arm::protected_item_names;
use azure_backup_oidc::config::{ResourceId, VaultId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(vault) = VaultId::parse(text) {
        assert_eq!(
            vault.subscription_id,
            vault.subscription_id.to_ascii_lowercase()
        );
        assert_eq!(VaultId::parse(&vault.resource_id()), Ok(vault.clone()));
        // Every vault ID is also a valid top-level resource ID with the same parts.
        let resource = ResourceId::parse(text).expect("a vault ID that ResourceId rejects");
        assert!(resource.is_type("Microsoft.RecoveryServices", "vaults"));
        assert_eq!(resource.subscription_id, vault.subscription_id);
        assert_eq!(resource.resource_group, vault.resource_group);
        assert_eq!(resource.name, vault.name);
    }

    if let Ok(resource) = ResourceId::parse(text) {
        assert_eq!(ResourceId::parse(&resource.id()), Ok(resource.clone()));
        assert!(resource.id().eq_ignore_ascii_case(text), "{text:?}");
    }

    if let Some(names) = protected_item_names(text) {
        for name in [&names.container, &names.item] {
            assert!(!name.is_empty());
            assert!(!name.contains(['/', '?', '#']), "{name:?}");
            assert_ne!(name, "..");
        }
        let rebuilt = format!(
            "/x/protectionContainers/{}/protectedItems/{}",
            names.container, names.item
        );
        assert_eq!(protected_item_names(&rebuilt), Some(names));
    }
});
