//! Azure identifiers in the inputs: GUIDs, tenant domains, resource-group and vault names, and
//! the full ARM resource ID of a Recovery Services vault or a Backup vault.
//!
//! Naming rules are from Microsoft Learn, "Naming rules and restrictions for Azure resources".

use std::fmt;

/// The longest resource-group name ARM accepts.
const MAX_RESOURCE_GROUP_CHARS: usize = 90;

/// Recovery Services vault names are 2 to 50 characters long.
const MIN_VAULT_NAME_CHARS: usize = 2;
const MAX_VAULT_NAME_CHARS: usize = 50;

/// DNS limits (RFC 1035): a label is at most 63 octets and a name at most 253 characters in text.
const MAX_DNS_LABEL_CHARS: usize = 63;
const MAX_DNS_NAME_CHARS: usize = 253;

/// The two kinds of vault Azure Backup has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VaultKind {
    /// `Microsoft.RecoveryServices/vaults`: Azure VMs, among others.
    RecoveryServices,
    /// `Microsoft.DataProtection/backupVaults`: managed disks, blobs, PostgreSQL, AKS.
    Backup,
}

impl VaultKind {
    /// Returns the provider namespace and resource type of the vault.
    pub fn provider(self) -> (&'static str, &'static str) {
        match self {
            VaultKind::RecoveryServices => ("Microsoft.RecoveryServices", "vaults"),
            VaultKind::Backup => ("Microsoft.DataProtection", "backupVaults"),
        }
    }

    /// Returns the kind's name in messages, such as "Recovery Services vault".
    pub fn display_name(self) -> &'static str {
        match self {
            VaultKind::RecoveryServices => "Recovery Services vault",
            VaultKind::Backup => "Backup vault",
        }
    }
}

/// A vault, by subscription, resource group, name and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultId {
    /// Subscription ID, a lower-case GUID.
    pub subscription_id: String,
    /// Resource group as given; ARM compares it case-insensitively.
    pub resource_group: String,
    /// Vault name as given.
    pub name: String,
    pub kind: VaultKind,
}

/// The reason a vault resource ID was rejected: the string names the part that is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultIdError(pub String);

impl fmt::Display for VaultIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for VaultIdError {}

impl VaultId {
    /// Returns the canonical ARM resource ID, such as
    /// `/subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.RecoveryServices/vaults/{name}`.
    pub fn resource_id(&self) -> String {
        let (namespace, resource_type) = self.kind.provider();
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{namespace}/{resource_type}/{}",
            self.subscription_id, self.resource_group, self.name
        )
    }

    /// Parses the full resource ID of a Recovery Services vault or a Backup vault.
    ///
    /// Segment names (`subscriptions`, `resourceGroups`, `providers`, the provider namespace and
    /// the resource type) match case-insensitively. Anything else is rejected: a missing leading `/`,
    /// extra or empty segments (a trailing `/` included), `.` or `..` segments, `?`, `#` and control
    /// characters.
    /// The subscription must be a GUID, and the group and vault names must follow ARM's rules.
    pub fn parse(text: &str) -> Result<VaultId, VaultIdError> {
        let malformed = |reason: &str| Err(VaultIdError(reason.to_string()));

        if text.chars().any(char::is_control) {
            return malformed("the resource ID contains a control character");
        }
        if text.contains(['?', '#']) {
            return malformed(
                "the resource ID contains '?' or '#'; give the ID without a query or fragment",
            );
        }
        let Some(path) = text.strip_prefix('/') else {
            return malformed("the resource ID must start with '/subscriptions/'");
        };
        let segments: Vec<&str> = path.split('/').collect();
        // A segment of `.` or `..` would move the request to another path; `..` inside a name
        // (valid in resource-group names) is harmless.
        if segments
            .iter()
            .any(|segment| *segment == ".." || *segment == ".")
        {
            return malformed("the resource ID has a '.' or '..' segment");
        }
        if segments.iter().any(|segment| segment.is_empty()) {
            return malformed("the resource ID has an empty segment (a doubled or trailing '/')");
        }
        let [subscriptions, subscription, groups, group, providers, namespace, vaults, name] =
            segments[..]
        else {
            return malformed(
                "the resource ID must have exactly 8 segments: /subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.RecoveryServices/vaults/{name}, or Microsoft.DataProtection/backupVaults/{name} for a Backup vault",
            );
        };
        let kind = if namespace.eq_ignore_ascii_case("Microsoft.DataProtection") {
            VaultKind::Backup
        } else {
            VaultKind::RecoveryServices
        };
        let (expected_namespace, expected_type) = kind.provider();
        let fixed = [
            (subscriptions, "subscriptions"),
            (groups, "resourceGroups"),
            (providers, "providers"),
            (namespace, expected_namespace),
            (vaults, expected_type),
        ];
        for (segment, expected) in fixed {
            if !segment.eq_ignore_ascii_case(expected) {
                return Err(VaultIdError(format!(
                    "expected '{expected}' in the resource ID, found '{segment}'"
                )));
            }
        }

        let Some(subscription_id) = parse_guid(subscription) else {
            return Err(VaultIdError(format!(
                "the subscription '{subscription}' in the resource ID is not a GUID"
            )));
        };
        if let Err(reason) = check_resource_group_name(group) {
            return Err(VaultIdError(format!(
                "the resource group '{group}' in the resource ID is invalid: {reason}"
            )));
        }
        if let Err(reason) = check_vault_name(name) {
            return Err(VaultIdError(format!(
                "the vault name '{name}' in the resource ID is invalid: {reason}"
            )));
        }
        Ok(VaultId {
            subscription_id,
            resource_group: group.to_string(),
            name: name.to_string(),
            kind,
        })
    }
}

impl fmt::Display for VaultId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.resource_id())
    }
}

/// Returns `text` in lower case if it is a GUID in the 8-4-4-4-12 hex form, without braces.
pub(crate) fn parse_guid(text: &str) -> Option<String> {
    // `Uuid::try_parse` also takes the 32-digit, braced and `urn:uuid:` forms; only the
    // hyphenated form is 36 characters long.
    if text.len() != 36 {
        return None;
    }
    uuid::Uuid::try_parse(text).ok()?;
    Some(text.to_ascii_lowercase())
}

/// Checks a DNS domain name such as `contoso.onmicrosoft.com`: at least two labels of letters,
/// digits and inner hyphens, and a top-level label that is not all digits (so no IPv4 address).
pub(crate) fn check_domain_name(text: &str) -> Result<(), String> {
    if text.len() > MAX_DNS_NAME_CHARS {
        return Err(format!("longer than {MAX_DNS_NAME_CHARS} characters"));
    }
    let labels: Vec<&str> = text.split('.').collect();
    if labels.len() < 2 {
        return Err(
            "a domain needs at least two labels, such as contoso.onmicrosoft.com".to_string(),
        );
    }
    for label in &labels {
        if label.is_empty() || label.len() > MAX_DNS_LABEL_CHARS {
            return Err(format!(
                "each label must be 1 to {MAX_DNS_LABEL_CHARS} characters long"
            ));
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err("labels may contain only letters, digits and hyphens".to_string());
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("a label must not start or end with a hyphen".to_string());
        }
    }
    if labels
        .last()
        .is_some_and(|label| label.chars().all(|c| c.is_ascii_digit()))
    {
        return Err("the last label must not be all digits".to_string());
    }
    Ok(())
}

/// Checks a resource-group name: 1 to 90 letters (Unicode letters included), digits, `.`, `_`,
/// `-`, `(` and `)`, not ending in `.`.
pub(crate) fn check_resource_group_name(name: &str) -> Result<(), String> {
    let length = name.chars().count();
    if length == 0 || length > MAX_RESOURCE_GROUP_CHARS {
        return Err(format!(
            "it must be 1 to {MAX_RESOURCE_GROUP_CHARS} characters long"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '(' | ')')))
    {
        return Err(format!("the character {bad:?} is not allowed"));
    }
    if name.ends_with('.') {
        return Err("it must not end with '.'".to_string());
    }
    Ok(())
}

/// Checks a vault name: 2 to 50 ASCII letters, digits and hyphens, starting with a letter, the
/// rule for Recovery Services vaults.
// NOTE: Backup vault names get the same check, because no source for a rule of their own was found.
pub(crate) fn check_vault_name(name: &str) -> Result<(), String> {
    let length = name.chars().count();
    if !(MIN_VAULT_NAME_CHARS..=MAX_VAULT_NAME_CHARS).contains(&length) {
        return Err(format!(
            "it must be {MIN_VAULT_NAME_CHARS} to {MAX_VAULT_NAME_CHARS} characters long"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err("it must start with a letter".to_string());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(format!("the character {bad:?} is not allowed"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "00000000-0000-0000-0000-0000000000aa";

    fn vault_id_text(group: &str, name: &str) -> String {
        format!("/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.RecoveryServices/vaults/{name}")
    }

    #[test]
    fn vault_id_parses_canonical_form() {
        let id = VaultId::parse(&vault_id_text("rg-backup", "rsv-prod")).unwrap();
        assert_eq!(
            id,
            VaultId {
                subscription_id: SUB.to_string(),
                resource_group: "rg-backup".to_string(),
                name: "rsv-prod".to_string(),
                kind: VaultKind::RecoveryServices,
            }
        );
        assert_eq!(id.resource_id(), vault_id_text("rg-backup", "rsv-prod"));
    }

    #[test]
    fn vault_id_segments_case_insensitive() {
        let text = format!(
            "/SUBSCRIPTIONS/{}/resourcegroups/RG/PROVIDERS/microsoft.recoveryservices/Vaults/Rsv1",
            SUB.to_uppercase()
        );
        let id = VaultId::parse(&text).unwrap();
        assert_eq!(id.subscription_id, SUB);
        assert_eq!(id.resource_group, "RG");
        assert_eq!(id.name, "Rsv1");
        assert_eq!(id.resource_id(), vault_id_text("RG", "Rsv1"));
    }

    #[test]
    fn vault_id_rejects_malformed() {
        let good = vault_id_text("rg", "rsv1");
        let cases = [
            good.trim_start_matches('/').to_string(),
            format!("{good}/"),
            format!("{good}/extra"),
            format!("{good}?api-version=1"),
            format!("{good}#x"),
            good.replace("/rg/", "//"),
            good.replace("/rg/", "/../"),
            good.replace("rsv1", "rsv\u{7}1"),
            good.replace("rsv1", "rsv 1"),
            good.replace("rsv1", "1rsv"),
            good.replace(SUB, "not-a-guid"),
            good.replace(SUB, &format!("{{{SUB}}}")),
            good.replace("Microsoft.RecoveryServices", "Microsoft.Compute"),
            good.replace("vaults", "virtualMachines"),
            good.replace("resourceGroups", "groups"),
            good.replace("/rg/", "/rg./"),
            format!("/subscriptions/{SUB}/resourceGroups/rg"),
            String::new(),
        ];
        for text in cases {
            let result = VaultId::parse(&text);
            assert!(result.is_err(), "{text:?} gave {result:?}");
        }
    }

    #[test]
    fn vault_id_backup_vault() {
        let text = format!(
            "/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/bv1"
        );
        let id = VaultId::parse(&text).unwrap();
        assert_eq!(id.kind, VaultKind::Backup);
        assert_eq!(id.resource_id(), text);
        assert_eq!(
            VaultId::parse(&text.to_lowercase()).unwrap().kind,
            VaultKind::Backup
        );

        for wrong in [
            text.replace("backupVaults", "vaults"),
            text.replace("Microsoft.DataProtection", "Microsoft.DataProtectio"),
        ] {
            assert!(VaultId::parse(&wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn guid_forms() {
        assert_eq!(parse_guid(&SUB.to_uppercase()), Some(SUB.to_string()));
        assert_eq!(parse_guid("00000000000000000000000000000000"), None);
        assert_eq!(parse_guid(&format!("{{{SUB}}}")), None);
        assert_eq!(parse_guid("0000000-00000-0000-0000-0000000000aa"), None);
        assert_eq!(parse_guid("g0000000-0000-0000-0000-0000000000aa"), None);
        assert_eq!(parse_guid(""), None);
    }

    #[test]
    fn domain_names() {
        assert!(check_domain_name("contoso.onmicrosoft.com").is_ok());
        assert!(check_domain_name("a-b.example").is_ok());
        for bad in [
            "contoso", "-a.com", "a-.com", "a..com", "a.com.", "10.0.0.1", "a_b.com", "ä.com",
        ] {
            assert!(check_domain_name(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(check_domain_name(&format!("{}.com", "a".repeat(64))).is_err());
        assert!(check_domain_name(&format!("{}.com", "a".repeat(63))).is_ok());
        let long = format!("{}.com", vec!["a".repeat(60); 5].join("."));
        assert!(check_domain_name(&long).is_err());
    }

    #[test]
    fn resource_group_names() {
        for good in ["rg", "RG-1_(prod).x", "ä", &"a".repeat(90)] {
            assert!(
                check_resource_group_name(good).is_ok(),
                "{good:?} was rejected"
            );
        }
        for bad in ["", "rg.", "rg/x", "rg x", "rg#", &"a".repeat(91)] {
            assert!(
                check_resource_group_name(bad).is_err(),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn vault_names() {
        for good in ["ab", "rsv-prod-01", &format!("a{}", "b".repeat(49))] {
            assert!(check_vault_name(good).is_ok(), "{good:?} was rejected");
        }
        for bad in [
            "a",
            "1abc",
            "-abc",
            "ab_c",
            "ab.c",
            "äb",
            &format!("a{}", "b".repeat(50)),
        ] {
            assert!(check_vault_name(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
