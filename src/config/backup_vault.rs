//! The inputs that only Backup vaults use (`vault-type`, `backup-rule`, `retention-tag`), and the
//! checks that keep inputs of one vault kind away from the other.

use super::inputs::RawInputs;
use super::resource::{VaultId, VaultKind};
use super::validate::Problems;
use super::Operation;

/// Maximum length of a rule or tag name. Azure documents no limit, and names in policies are short
/// (`BackupDaily`, `Default`), so a longer value is taken for a mistake.
const MAX_POLICY_NAME_CHARS: usize = 150;

/// The retention tag of an on-demand backup when `retention-tag` is empty: the default tag of
/// the policies that the Azure portal and CLI create.
pub const DEFAULT_RETENTION_TAG: &str = "Default";

const VAULT_TYPE_ACCEPTED: &str = "recovery-services or backup (any letter case)";
const RULE_ACCEPTED: &str =
    "the name of a backup rule in the instances' backup policy, such as BackupDaily or BackupHourly";
const TAG_ACCEPTED: &str = "the name of a retention tag of that rule, such as Default or Weekly";

/// The rule and retention tag of an on-demand backup in a Backup vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupRule {
    /// `backupRuleOptions.ruleName`.
    pub name: String,
    /// `backupRuleOptions.triggerOption.retentionTagOverride`.
    pub retention_tag: String,
}

/// Reads `vault-type`: `None` when it is empty, and also when it is invalid (then a problem is
/// recorded).
pub(super) fn read_vault_type(raw: &RawInputs, problems: &mut Problems) -> Option<VaultKind> {
    let given = raw.vault_type.as_deref()?;
    match given.to_ascii_lowercase().as_str() {
        "recovery-services" => Some(VaultKind::RecoveryServices),
        "backup" => Some(VaultKind::Backup),
        _ => {
            problems.add(
                "vault-type",
                given,
                VAULT_TYPE_ACCEPTED,
                "Use backup for a Backup vault (Microsoft.DataProtection/backupVaults); leave it \
                 empty for a Recovery Services vault.",
            );
            None
        }
    }
}

/// Reads `backup-rule` and `retention-tag` for `vault`, and rejects the inputs that do not apply
/// to its kind. Returns `Some(None)` for a Recovery Services vault, `Some(Some(rule))` for a
/// Backup vault backup, and `None` after recording a problem.
pub(super) fn read_backup_rule(
    raw: &RawInputs,
    operation: Option<Operation>,
    vault: Option<&VaultId>,
    problems: &mut Problems,
) -> Option<Option<BackupRule>> {
    let kind = vault.map(|vault| vault.kind);
    if kind != Some(VaultKind::Backup) {
        let mut valid = true;
        for (input, given) in [
            ("backup-rule", &raw.backup_rule),
            ("retention-tag", &raw.retention_tag),
        ] {
            if let (Some(given), Some(VaultKind::RecoveryServices)) = (given, kind) {
                valid = false;
                problems.add(
                    input,
                    given,
                    "nothing for a Recovery Services vault",
                    "It applies to Backup vaults only; remove it, or set vault-type: backup.",
                );
            }
        }
        return valid.then_some(None);
    }

    let mut valid = true;
    if let Some(given) = &raw.if_busy {
        valid = false;
        problems.add(
            "if-busy",
            given,
            "nothing for a Backup vault",
            "It applies to Recovery Services vaults only; remove it. A Backup vault's own answer \
             to a second backup is reported as it comes.",
        );
    }
    if let Some(given) = raw
        .cancel_on_abort
        .as_deref()
        .filter(|given| super::inputs::parse_bool_input(given) == Some(true))
    {
        valid = false;
        problems.add(
            "cancel-on-abort",
            given,
            "false for a Backup vault",
            "No cancel call of Backup vault jobs is documented, so they go on in Azure; remove \
             it.",
        );
    }
    if let Some(given) = &raw.retention_days {
        valid = false;
        problems.add(
            "retention-days",
            given,
            "nothing for a Backup vault",
            "A Backup vault keeps an on-demand point as long as its retention tag says; remove \
             retention-days and set retention-tag.",
        );
    }
    if operation == Some(Operation::RestoreDrill) {
        valid = false;
        problems.add(
            "operation",
            "restore-drill",
            "backup (or cleanup) for a Backup vault",
            "Restore drills support Recovery Services vaults only so far; run the drill against \
             a Recovery Services vault.",
        );
    }
    if operation != Some(Operation::Backup) {
        return valid.then_some(None);
    }

    let name = match raw.backup_rule.as_deref() {
        None => {
            problems.missing(
                "backup-rule",
                RULE_ACCEPTED,
                "A Backup vault needs the rule to back up by; find it in the backup policy of the \
                 instances (Backup policies in the vault, the rule's name).",
            );
            None
        }
        Some(given) => read_policy_name("backup-rule", given, RULE_ACCEPTED, problems),
    };
    let retention_tag = read_policy_name(
        "retention-tag",
        raw.retention_tag
            .as_deref()
            .unwrap_or(DEFAULT_RETENTION_TAG),
        TAG_ACCEPTED,
        problems,
    );
    match (valid, name, retention_tag) {
        (true, Some(name), Some(retention_tag)) => Some(Some(BackupRule {
            name,
            retention_tag,
        })),
        _ => None,
    }
}

/// Checks a rule or tag name: 1 to [`MAX_POLICY_NAME_CHARS`] characters, no control characters,
/// no `/`, `?` or `#`. The service checks that the name exists in the policy.
fn read_policy_name(
    input: &str,
    given: &str,
    accepted: &str,
    problems: &mut Problems,
) -> Option<String> {
    let bad_character = given
        .chars()
        .find(|c| c.is_control() || matches!(c, '/' | '?' | '#'));
    let problem = if given.chars().count() > MAX_POLICY_NAME_CHARS {
        Some(format!(
            "The name is longer than {MAX_POLICY_NAME_CHARS} characters."
        ))
    } else {
        bad_character.map(|c| format!("The character {c:?} is not allowed in a name."))
    };
    match problem {
        Some(problem) => {
            problems.add(input, given, accepted, problem);
            None
        }
        None => Some(given.to_string()),
    }
}
