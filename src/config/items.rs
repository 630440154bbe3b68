//! The `items` input: protected item names separated by newlines or commas.

/// Maximum length of an item name. Azure VM names are at most 64 characters, and managed disk
/// names at most 80 (Microsoft Learn, "Naming rules and restrictions for Azure resources"). A
/// Backup vault instance name joins the data source name and a GUID, so 200 leaves room for those
/// while still catching a pasted paragraph of text.
pub(super) const MAX_ITEM_NAME_CHARS: usize = 200;

/// Characters that cannot appear in an item name: `/` (a pasted resource ID), `?` and `#`, and
/// `;`, which separates the parts of Recovery Services container and item names. Names are only
/// matched against the vault's list, and requests use the listed names, escaped; `\` stays
/// allowed because PostgreSQL backup instances are named `server\database`.
const FORBIDDEN_ITEM_CHARACTERS: [char; 4] = ['/', '?', '#', ';'];

/// Splits the `items` input at newlines and commas, trims each entry as the Actions toolkit trims
/// inputs, drops empty entries and removes later duplicates (compared case-insensitively, as Azure
/// compares resource names). The first spelling of each name is kept, in input order.
///
/// Unlike the toolkit's `getMultilineInput`, which keeps a line of only spaces as `""`, an entry
/// of only whitespace is dropped here.
pub(super) fn split_items(text: &str) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    for entry in text.split(['\n', ',']) {
        let entry = super::js_trim(entry);
        if entry.is_empty() {
            continue;
        }
        let lower = entry.to_lowercase();
        if items.iter().any(|item| item.to_lowercase() == lower) {
            continue;
        }
        items.push(entry.to_string());
    }
    items
}

/// Checks one item name: 1 to [`MAX_ITEM_NAME_CHARS`] characters, none of
/// [`FORBIDDEN_ITEM_CHARACTERS`], no control character and no `..`.
pub(super) fn check_item_name(name: &str) -> Result<(), String> {
    let length = name.chars().count();
    if length == 0 || length > MAX_ITEM_NAME_CHARS {
        return Err(format!(
            "an item name must be 1 to {MAX_ITEM_NAME_CHARS} characters long, this one has {length}"
        ));
    }
    if let Some(bad) = name.chars().find(|c| FORBIDDEN_ITEM_CHARACTERS.contains(c)) {
        return Err(format!("an item name must not contain '{bad}'"));
    }
    if name.chars().any(char::is_control) {
        return Err("an item name must not contain control characters".to_string());
    }
    if name.contains("..") {
        return Err("an item name must not contain '..'".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_lines_like_multiline_input() {
        assert_eq!(split_items("a\n  \nb\r\n c "), ["a", "b", "c"]);
    }

    #[test]
    fn split_commas_and_lines() {
        assert_eq!(split_items("vm1, vm2,\nvm3\n\n,,"), ["vm1", "vm2", "vm3"]);
        assert_eq!(split_items("\u{feff}vm1\u{a0}"), ["vm1"]);
        assert!(split_items(" \n , ").is_empty());
    }

    #[test]
    fn split_removes_duplicates_ignoring_case() {
        assert_eq!(split_items("VM1\nvm2\nvm1\nVm2,vm3"), ["VM1", "vm2", "vm3"]);
    }

    #[test]
    fn item_name_rules() {
        for good in [
            "vm1",
            "my-vm.prod_01",
            "a",
            &"x".repeat(200),
            "vm (test)",
            "vm.1",
            "pgserver\\db2",
        ] {
            assert!(check_item_name(good).is_ok(), "{good:?} was rejected");
        }
        for bad in [
            "",
            "a/b",
            "a?b",
            "a#b",
            "a;b",
            "a\u{7}b",
            "a\tb",
            "a..b",
            "..",
            &"x".repeat(201),
        ] {
            assert!(check_item_name(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
