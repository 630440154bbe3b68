//! Inputs of restore drills and of `operation: cleanup`: the recovery point, the RPO and RTO
//! gates, the isolated target, the clean-up policy, the report path and the IDs to delete.

use std::path::PathBuf;
use std::time::Duration;

use time::OffsetDateTime;

use super::duration::{parse_duration_up_to, MAX_DURATION};
use super::inputs::{parse_bool_input, RawInputs, BOOLEAN_ACCEPTED};
use super::resource::{check_resource_group_name, parse_guid, VaultId};
use super::validate::Problems;
use super::Operation;

/// The recovery point a drill restores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecoveryPointChoice {
    /// The newest point.
    Latest,
    /// The point with this name (the service's numeric ID).
    Name(String),
    /// The newest point taken at or before this time.
    AtOrBefore(OffsetDateTime),
}

/// When a drill deletes what it restored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CleanupPolicy {
    Always,
    OnSuccess,
    Never,
}

impl CleanupPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Always => "always",
            Self::OnSuccess => "on-success",
            Self::Never => "never",
        }
    }
}

/// An ARM resource ID of the form
/// `/subscriptions/{guid}/resourceGroups/{group}/providers/{namespace}/{type}/{name}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceId {
    pub subscription_id: String,
    pub resource_group: String,
    pub namespace: String,
    pub resource_type: String,
    pub name: String,
}

impl ResourceId {
    /// Parses a top-level resource ID strictly: segment keywords in any letter case, nothing
    /// extra, no empty segments, `..`, `?`, `#`, `%` or control characters.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text
            .chars()
            .any(|c| c.is_control() || matches!(c, '?' | '#' | '%' | '\\'))
        {
            return Err("it contains a control character or one of ? # % \\".to_string());
        }
        let segments: Vec<&str> = text.split('/').collect();
        let [empty, subscriptions, subscription, groups, group, providers, namespace, resource_type, name] =
            segments.as_slice()
        else {
            return Err(format!(
                "it has {} path segments; expected /subscriptions/{{id}}/resourceGroups/{{group}}/providers/{{namespace}}/{{type}}/{{name}}",
                segments.len().saturating_sub(1)
            ));
        };
        if !empty.is_empty()
            || !subscriptions.eq_ignore_ascii_case("subscriptions")
            || !groups.eq_ignore_ascii_case("resourceGroups")
            || !providers.eq_ignore_ascii_case("providers")
        {
            return Err(
                "it does not start /subscriptions/{id}/resourceGroups/{group}/providers/"
                    .to_string(),
            );
        }
        let subscription_id = parse_guid(subscription)
            .ok_or_else(|| format!("the subscription '{subscription}' is not a GUID"))?;
        check_resource_group_name(group)?;
        for segment in [namespace, resource_type, name] {
            if segment.is_empty() || *segment == ".." || *segment == "." {
                return Err("it has an empty or relative segment".to_string());
            }
        }
        Ok(Self {
            subscription_id,
            resource_group: group.to_string(),
            namespace: namespace.to_string(),
            resource_type: resource_type.to_string(),
            name: name.to_string(),
        })
    }

    /// Returns the canonical ID.
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{}/{}/{}",
            self.subscription_id,
            self.resource_group,
            self.namespace,
            self.resource_type,
            self.name
        )
    }

    /// Returns whether the resource is of `namespace/type`, compared ignoring case.
    pub fn is_type(&self, namespace: &str, resource_type: &str) -> bool {
        self.namespace.eq_ignore_ascii_case(namespace)
            && self.resource_type.eq_ignore_ascii_case(resource_type)
    }
}

/// Settings of `operation: restore-drill`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillSettings {
    pub recovery_point: RecoveryPointChoice,
    /// RPO gate: the chosen point must be at most this old (`max-recovery-point-age`).
    pub max_recovery_point_age: Option<Duration>,
    /// RTO gate: the restore job must finish within this (`max-restore-duration`).
    pub max_restore_duration: Option<Duration>,
    /// The isolated resource group the disks are restored into (`target-resource-group`).
    pub target_resource_group: String,
    /// The storage account Azure Backup stages VM disk restores in.
    pub staging_storage_account: ResourceId,
    pub cleanup: CleanupPolicy,
    /// Check everything up to the restore without restoring (`validate-only`).
    pub validate_only: bool,
}

/// The drill-related part of the configuration.
pub(super) struct DrillInputs {
    pub(super) drill: Option<DrillSettings>,
    pub(super) cleanup_resource_ids: Vec<String>,
    pub(super) report_path: Option<PathBuf>,
}

const RECOVERY_POINT_ACCEPTED: &str =
    "latest, a recovery point name (its numeric ID), or an RFC 3339 \
    time such as 2026-12-01T02:00:00Z (the newest point at or before it)";
const RESTORE_GATE_ACCEPTED: &str = "a duration from 1s to 120h, such as 2h or 90m";
const AGE_GATE_ACCEPTED: &str = "a duration from 1s to 9600h (400 days), such as 26h for a daily \
    policy or 170h for a weekly one";

/// Maximum `max-recovery-point-age`: 400 days. Unlike the other durations it bounds no wait, so it
/// must fit a weekly policy (about 170h) or a monthly on-demand backup. A value over a year and a
/// month is taken for a mistake.
pub const MAX_RECOVERY_POINT_AGE: Duration = Duration::from_secs(400 * 24 * 3600);
const CLEANUP_ACCEPTED: &str = "always, on-success or never";
const STORAGE_ACCEPTED: &str = "a storage account name (3 to 24 lower-case letters and digits) in \
    the vault's resource group, or a storage account resource ID";
const RESOURCE_IDS_ACCEPTED: &str = "a JSON array of managed disk resource IDs, as the \
    restored-resource-ids output of a restore drill writes it";

/// The resource type a drill creates and `operation: cleanup` may delete.
pub const DELETABLE_TYPE: (&str, &str) = ("Microsoft.Compute", "disks");

/// Reads the drill and clean-up inputs that `operation` needs; the others are ignored.
pub(super) fn read(
    raw: &RawInputs,
    operation: Option<Operation>,
    vault: Option<&VaultId>,
    problems: &mut Problems,
) -> Option<DrillInputs> {
    let report_path = raw.report_path.as_deref().map(PathBuf::from);
    if let (Some(path), Some(Operation::RestoreDrill | Operation::Cleanup)) =
        (&report_path, operation)
    {
        if let Err(reason) = check_report_path(path) {
            problems.add(
                "report-path",
                &path.display().to_string(),
                "the path of a writable file in an existing folder",
                format!("The report could not be written there ({reason}); point report-path at a file under $RUNNER_TEMP or the workspace."),
            );
            return None;
        }
    }
    match operation {
        Some(Operation::RestoreDrill) => {
            let drill = read_drill(raw, vault, problems)?;
            Some(DrillInputs {
                drill: Some(drill),
                cleanup_resource_ids: Vec::new(),
                report_path,
            })
        }
        Some(Operation::Cleanup) => {
            let ids = read_resource_ids(raw.restored_resource_ids.as_deref(), problems)?;
            Some(DrillInputs {
                drill: None,
                cleanup_resource_ids: ids,
                report_path,
            })
        }
        Some(Operation::Backup) => Some(DrillInputs {
            drill: None,
            cleanup_resource_ids: Vec::new(),
            report_path,
        }),
        None => None,
    }
}

/// Checks that the report file can be written, by opening it for appending. A file this check
/// creates is removed again, so validation leaves nothing behind.
fn check_report_path(path: &std::path::Path) -> Result<(), String> {
    if path.is_dir() {
        return Err("it is a folder".to_string());
    }
    let existed = path.exists();
    if existed
        && !path
            .metadata()
            .map(|metadata| metadata.is_file())
            .unwrap_or(false)
    {
        return Err("it is not a regular file".to_string());
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|error| error.to_string())?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

fn read_drill(
    raw: &RawInputs,
    vault: Option<&VaultId>,
    problems: &mut Problems,
) -> Option<DrillSettings> {
    let recovery_point = read_recovery_point(raw.recovery_point.as_deref(), problems);
    let max_recovery_point_age = read_gate(
        Gate {
            input: "max-recovery-point-age",
            max: MAX_RECOVERY_POINT_AGE,
            accepted: AGE_GATE_ACCEPTED,
        },
        raw.max_recovery_point_age.as_deref(),
        problems,
    );
    let max_restore_duration = read_gate(
        Gate {
            input: "max-restore-duration",
            max: MAX_DURATION,
            accepted: RESTORE_GATE_ACCEPTED,
        },
        raw.max_restore_duration.as_deref(),
        problems,
    );

    let target_resource_group = match raw.target_resource_group.as_deref() {
        None => {
            problems.missing(
                "target-resource-group",
                "an existing resource group name used only for drills",
                "Create an empty resource group for restore drills and name it here.",
            );
            None
        }
        Some(given) => match check_resource_group_name(given) {
            Ok(()) => Some(given.to_string()),
            Err(reason) => {
                problems.add(
                    "target-resource-group",
                    given,
                    "a resource group name: 1 to 90 letters, digits, '.', '_', '-', '(' and ')'",
                    format!("The name is not valid: {reason}."),
                );
                None
            }
        },
    };
    if let (Some(target), Some(vault)) = (&target_resource_group, vault) {
        if target.eq_ignore_ascii_case(&vault.resource_group) {
            problems.add(
                "target-resource-group",
                target,
                "a resource group other than the vault's",
                "Restore into a resource group of its own, so a drill can never touch the vault's \
                 or production resources.",
            );
        }
    }

    let staging_storage_account =
        read_storage_account(raw.staging_storage_account.as_deref(), vault, problems);
    let cleanup = match raw.cleanup.as_deref() {
        None | Some("always") => Some(CleanupPolicy::Always),
        Some("on-success") => Some(CleanupPolicy::OnSuccess),
        Some("never") => Some(CleanupPolicy::Never),
        Some(other) => {
            problems.add(
                "cleanup",
                other,
                CLEANUP_ACCEPTED,
                "Use one of the accepted values, in lower case.",
            );
            None
        }
    };
    let validate_only = match raw.validate_only.as_deref() {
        None => Some(false),
        Some(given) => {
            let value = parse_bool_input(given);
            if value.is_none() {
                problems.add(
                    "validate-only",
                    given,
                    BOOLEAN_ACCEPTED,
                    "Use true or false.",
                );
            }
            value
        }
    };

    Some(DrillSettings {
        recovery_point: recovery_point?,
        max_recovery_point_age: max_recovery_point_age?,
        max_restore_duration: max_restore_duration?,
        target_resource_group: target_resource_group?,
        staging_storage_account: staging_storage_account?,
        cleanup: cleanup?,
        validate_only: validate_only?,
    })
}

fn read_recovery_point(
    given: Option<&str>,
    problems: &mut Problems,
) -> Option<RecoveryPointChoice> {
    let Some(given) = given else {
        return Some(RecoveryPointChoice::Latest);
    };
    if given.eq_ignore_ascii_case("latest") {
        return Some(RecoveryPointChoice::Latest);
    }
    if !given.is_empty() && given.len() <= 64 && given.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Some(RecoveryPointChoice::Name(given.to_string()));
    }
    match OffsetDateTime::parse(given, &time::format_description::well_known::Rfc3339) {
        Ok(when) => Some(RecoveryPointChoice::AtOrBefore(when)),
        Err(_) => {
            problems.add(
                "recovery-point",
                given,
                RECOVERY_POINT_ACCEPTED,
                "Give a time with its offset (Z for UTC), or a point name from the vault's recovery points.",
            );
            None
        }
    }
}

/// Reads an optional gate duration; `Some(None)` when not given.
/// A gate input: its name, its maximum and the accepted values.
struct Gate {
    input: &'static str,
    max: Duration,
    accepted: &'static str,
}

fn read_gate(gate: Gate, given: Option<&str>, problems: &mut Problems) -> Option<Option<Duration>> {
    let Some(given) = given else {
        return Some(None);
    };
    match parse_duration_up_to(given, gate.max) {
        Ok(duration) => Some(Some(duration)),
        Err(error) => {
            problems.add(
                gate.input,
                given,
                gate.accepted,
                format!("The duration is invalid: {error}."),
            );
            None
        }
    }
}

fn read_storage_account(
    given: Option<&str>,
    vault: Option<&VaultId>,
    problems: &mut Problems,
) -> Option<ResourceId> {
    let Some(given) = given else {
        problems.missing(
            "staging-storage-account",
            STORAGE_ACCEPTED,
            "Azure Backup stages restored VM disks in a storage account in the vault's region; name one.",
        );
        return None;
    };
    if given.contains('/') {
        return match ResourceId::parse(given) {
            Ok(id) if id.is_type("Microsoft.Storage", "storageAccounts") => Some(id),
            Ok(_) => {
                problems.add(
                    "staging-storage-account",
                    given,
                    STORAGE_ACCEPTED,
                    "The ID is not a Microsoft.Storage/storageAccounts resource.",
                );
                None
            }
            Err(reason) => {
                problems.add(
                    "staging-storage-account",
                    given,
                    STORAGE_ACCEPTED,
                    format!("The resource ID is invalid: {reason}."),
                );
                None
            }
        };
    }
    let valid_name = (3..=24).contains(&given.len())
        && given
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !valid_name {
        problems.add(
            "staging-storage-account",
            given,
            STORAGE_ACCEPTED,
            "Storage account names use only lower-case letters and digits.",
        );
        return None;
    }
    let vault = vault?;
    Some(ResourceId {
        subscription_id: vault.subscription_id.clone(),
        resource_group: vault.resource_group.clone(),
        namespace: "Microsoft.Storage".to_string(),
        resource_type: "storageAccounts".to_string(),
        name: given.to_string(),
    })
}

fn read_resource_ids(given: Option<&str>, problems: &mut Problems) -> Option<Vec<String>> {
    let fix = "Pass the restored-resource-ids output of the drill step, such as \
               ${{ steps.drill.outputs.restored-resource-ids }}.";
    let Some(given) = given else {
        problems.missing("restored-resource-ids", RESOURCE_IDS_ACCEPTED, fix);
        return None;
    };
    let Ok(list) = serde_json::from_str::<Vec<String>>(given) else {
        problems.add(
            "restored-resource-ids",
            given,
            RESOURCE_IDS_ACCEPTED,
            format!("The value is not a JSON array of strings. {fix}"),
        );
        return None;
    };
    let mut ids: Vec<String> = Vec::new();
    let mut valid = 0;
    for text in &list {
        match ResourceId::parse(text) {
            Ok(id) if id.is_type(DELETABLE_TYPE.0, DELETABLE_TYPE.1) => {
                valid += 1;
                // ARM compares resource IDs without regard to case, so a repeat is read and
                // deleted once.
                let id = id.id();
                if !ids.iter().any(|seen| seen.eq_ignore_ascii_case(&id)) {
                    ids.push(id);
                }
            }
            Ok(_) => problems.add(
                "restored-resource-ids",
                text,
                RESOURCE_IDS_ACCEPTED,
                "Clean-up deletes only managed disks (Microsoft.Compute/disks), the resources a drill restores.",
            ),
            Err(reason) => problems.add("restored-resource-ids", text, RESOURCE_IDS_ACCEPTED, format!("The resource ID is invalid: {reason}.")),
        }
    }
    (valid == list.len()).then_some(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_id_parses_strictly() {
        let id = ResourceId::parse(
            "/Subscriptions/00000000-0000-0000-0000-000000000003/resourcegroups/rg-drill/providers/Microsoft.Compute/disks/d1",
        )
        .unwrap();
        assert_eq!(id.resource_group, "rg-drill");
        assert!(id.is_type("microsoft.compute", "DISKS"));
        assert_eq!(
            id.id(),
            "/subscriptions/00000000-0000-0000-0000-000000000003/resourceGroups/rg-drill/providers/Microsoft.Compute/disks/d1"
        );
        for bad in [
            "",
            "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/disks/d1",
            "/subscriptions/00000000-0000-0000-0000-000000000003/resourceGroups/rg/providers/Microsoft.Compute/disks/..",
            "/subscriptions/00000000-0000-0000-0000-000000000003/resourceGroups/rg/providers/Microsoft.Compute/disks/d1/extra",
            "/subscriptions/00000000-0000-0000-0000-000000000003/resourceGroups/rg/providers/Microsoft.Compute/disks/d1?x",
            "/subscriptions/00000000-0000-0000-0000-000000000003/resourceGroups/rg/providers/Microsoft.Compute/disks/d%2F1",
        ] {
            assert!(ResourceId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn recovery_point_forms() {
        let mut problems = Problems::default();
        assert_eq!(
            read_recovery_point(None, &mut problems),
            Some(RecoveryPointChoice::Latest)
        );
        assert_eq!(
            read_recovery_point(Some("LATEST"), &mut problems),
            Some(RecoveryPointChoice::Latest)
        );
        assert_eq!(
            read_recovery_point(Some("26083826328862"), &mut problems),
            Some(RecoveryPointChoice::Name("26083826328862".into()))
        );
        assert_eq!(
            read_recovery_point(Some("2026-12-01T03:00:00+01:00"), &mut problems),
            Some(RecoveryPointChoice::AtOrBefore(
                time::macros::datetime!(2026-12-01 02:00:00 UTC)
            ))
        );
        assert!(problems.is_empty());
        assert_eq!(
            read_recovery_point(Some("yesterday 5pm"), &mut problems),
            None
        );
        assert!(!problems.is_empty());
    }
}
