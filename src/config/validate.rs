//! Checking every input and building the [`Config`], with one [`InputProblem`] per invalid input
//! so that a user can fix them all in one go.

use std::path::PathBuf;
use std::time::Duration;

use super::certificates::check_ca_bundle;
use super::cloud::{parse_https_endpoint, Cloud, CloudProfile, MAX_AUDIENCE_CHARS};
use super::duration::{format_duration, parse_duration};
use super::inputs::{parse_bool_input, RawInputs, BOOLEAN_ACCEPTED};
use super::items::{check_item_name, split_items, MAX_ITEM_NAME_CHARS};
use super::resource::{
    check_domain_name, check_resource_group_name, check_vault_name, parse_guid, VaultId, VaultKind,
};
use super::{Config, IfBusy, InputError, InputProblem, Operation, RunnerEnv};

/// Days an on-demand recovery point is kept when `retention-days` is not given.
const DEFAULT_RETENTION_DAYS: u32 = 30;

/// Retention bounds. 9999 days (about 27 years) is this action's own upper bound.
/// NOTE: the service's own maximum for an on-demand recovery point was not checked, so Azure may
/// still reject a value below 9999.
const MIN_RETENTION_DAYS: u32 = 1;
const MAX_RETENTION_DAYS: u32 = 9999;

/// Default `timeout`: 5 h 30 min, which leaves 30 minutes of a GitHub-hosted job's 6 hours for
/// the steps around this one.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 3600 + 30 * 60);

/// Default `poll-interval`.
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(30);

/// Collects problems while each input is checked.
#[derive(Default)]
pub(super) struct Problems(Vec<InputProblem>);

impl Problems {
    pub(super) fn add(&mut self, input: &str, given: &str, accepted: &str, fix: impl Into<String>) {
        self.0.push(InputProblem {
            input: input.to_string(),
            given: given.to_string(),
            accepted: accepted.to_string(),
            fix: fix.into(),
        });
    }

    /// Records that a required input was not supplied.
    pub(super) fn missing(&mut self, input: &str, accepted: &str, fix: &str) {
        self.add(input, "", accepted, format!("The input is required. {fix}"));
    }

    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

const GUID_ACCEPTED: &str = "a GUID such as 00000000-0000-0000-0000-000000000000";
const TENANT_ACCEPTED: &str =
    "a directory (tenant) ID GUID, or a domain of the tenant such as contoso.onmicrosoft.com";
const RESOURCE_GROUP_ACCEPTED: &str =
    "1 to 90 letters, digits, '.', '_', '-', '(' and ')', not ending in '.'";
const VAULT_ACCEPTED: &str = "a vault name (2 to 50 letters, digits and hyphens, starting with \
    a letter) or its resource ID \
    /subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.RecoveryServices/vaults/{name} \
    (Microsoft.DataProtection/backupVaults/{name} for a Backup vault)";
const ENVIRONMENT_ACCEPTED: &str =
    "AzureCloud, AzureUSGovernment or AzureChinaCloud (any letter case)";
const ENDPOINT_ACCEPTED: &str = "an https:// URL without a query, fragment, user name or password";
const CA_ACCEPTED: &str = "the path of a readable PEM file with at least one certificate";
const OPERATION_ACCEPTED: &str = "backup, restore-drill or cleanup";
const RETENTION_ACCEPTED: &str = "a whole number of days from 1 to 9999";
const TIMEOUT_ACCEPTED: &str = "a duration from 1s to 120h (5 days, the longest a job may run on \
    a self-hosted runner), such as 5h30m, 90m or 45s";
const POLL_INTERVAL_ACCEPTED: &str = "a duration from 1s up to the timeout, such as 30s or 1m";

/// Checks every input and builds the [`Config`], or returns every problem found. `lookup` is
/// used only for `SSL_CERT_FILE`, the fallback of `ca-certificates`.
pub(super) fn validate(
    raw: RawInputs,
    runner: RunnerEnv,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, InputError> {
    let mut problems = Problems::default();

    let client_id = read_client_id(raw.client_id.as_deref(), &mut problems);
    let tenant_id = read_tenant_id(raw.tenant_id.as_deref(), &mut problems);
    let vault = read_vault(&raw, &mut problems);
    let cloud = read_cloud_profile(&raw, &mut problems);
    let ca_certificates =
        read_ca_certificates(raw.ca_certificates.as_deref(), lookup, &mut problems);
    let operation = read_operation(raw.operation.as_deref(), &mut problems);
    let items = match (operation, raw.items.as_deref()) {
        // Clean-up works from resource IDs; it needs no item.
        (Some(Operation::Cleanup), None) => Some(Vec::new()),
        (operation, given) => {
            let items = read_items(given, &mut problems);
            if let (Some(Operation::RestoreDrill), Some(list)) = (operation, &items) {
                if list.len() != 1 {
                    problems.add(
                        "items",
                        given.unwrap_or_default(),
                        "exactly one protected VM name for restore-drill",
                        "Run one drill step per VM, for example with a matrix.",
                    );
                }
            }
            items
        }
    };
    let drill_inputs = super::drill::read(&raw, operation, vault.as_ref(), &mut problems);
    let backup_rule =
        super::backup_vault::read_backup_rule(&raw, operation, vault.as_ref(), &mut problems);
    let if_busy = read_if_busy(raw.if_busy.as_deref(), &mut problems);
    let cancel_on_abort = read_flag(
        "cancel-on-abort",
        raw.cancel_on_abort.as_deref(),
        false,
        &mut problems,
    );
    let retention_days = read_retention_days(raw.retention_days.as_deref(), &mut problems);
    let wait = read_wait(raw.wait.as_deref(), &mut problems);
    let (timeout, poll_interval) = read_timing(
        raw.timeout.as_deref(),
        raw.poll_interval.as_deref(),
        &mut problems,
    );

    let (
        Some(client_id),
        Some(tenant_id),
        Some(vault),
        Some(cloud),
        Some(ca_certificates),
        Some(operation),
        Some(items),
        Some(retention_days),
        Some(wait),
        Some(timeout),
        Some(poll_interval),
        Some(drill_inputs),
        Some(if_busy),
        Some(cancel_on_abort),
        Some(backup_rule),
    ) = (
        client_id,
        tenant_id,
        vault,
        cloud,
        ca_certificates,
        operation,
        items,
        retention_days,
        wait,
        timeout,
        poll_interval,
        drill_inputs,
        if_busy,
        cancel_on_abort,
        backup_rule,
    )
    else {
        debug_assert!(
            !problems.0.is_empty(),
            "an input was rejected without a problem"
        );
        return Err(InputError {
            problems: problems.0,
        });
    };
    if !problems.0.is_empty() {
        return Err(InputError {
            problems: problems.0,
        });
    }

    Ok(Config {
        client_id,
        tenant_id,
        cloud,
        ca_certificates,
        operation,
        vault,
        items,
        retention_days,
        wait,
        timeout,
        poll_interval,
        if_busy,
        cancel_on_abort,
        backup_rule,
        drill: drill_inputs.drill,
        cleanup_resource_ids: drill_inputs.cleanup_resource_ids,
        report_path: drill_inputs.report_path,
        runner,
    })
}

fn read_if_busy(given: Option<&str>, problems: &mut Problems) -> Option<IfBusy> {
    match given {
        None | Some("attach") => Some(IfBusy::Attach),
        Some("wait") => Some(IfBusy::Wait),
        Some("fail") => Some(IfBusy::Fail),
        Some(other) => {
            problems.add(
                "if-busy",
                other,
                "attach, wait or fail",
                "Use one of the accepted values, in lower case.",
            );
            None
        }
    }
}

/// Reads an optional boolean input with `default` when it is not given.
fn read_flag(
    input: &str,
    given: Option<&str>,
    default: bool,
    problems: &mut Problems,
) -> Option<bool> {
    let Some(given) = given else {
        return Some(default);
    };
    let value = parse_bool_input(given);
    if value.is_none() {
        problems.add(input, given, BOOLEAN_ACCEPTED, "Use true or false.");
    }
    value
}

fn read_client_id(given: Option<&str>, problems: &mut Problems) -> Option<String> {
    let accepted =
        format!("the Application (client) ID of the Entra app registration, {GUID_ACCEPTED}");
    let Some(given) = given else {
        problems.missing(
            "client-id",
            &accepted,
            "Set it to the Application (client) ID on the app registration's Overview page.",
        );
        return None;
    };
    let guid = parse_guid(given);
    if guid.is_none() {
        problems.add(
            "client-id",
            given,
            &accepted,
            "Copy the Application (client) ID from the app registration's Overview page in the \
             Microsoft Entra admin center.",
        );
    }
    guid
}

fn read_tenant_id(given: Option<&str>, problems: &mut Problems) -> Option<String> {
    let fix = "Copy the Directory (tenant) ID from the app registration's Overview page.";
    let Some(given) = given else {
        problems.missing("tenant-id", TENANT_ACCEPTED, fix);
        return None;
    };
    if let Some(guid) = parse_guid(given) {
        return Some(guid);
    }
    match check_domain_name(given) {
        Ok(()) => Some(given.to_ascii_lowercase()),
        Err(reason) => {
            problems.add(
                "tenant-id",
                given,
                TENANT_ACCEPTED,
                format!("It is neither a GUID nor a valid domain ({reason}). {fix}"),
            );
            None
        }
    }
}

/// Resolves `vault`, `subscription-id` and `resource-group` into one [`VaultId`].
fn read_vault(raw: &RawInputs, problems: &mut Problems) -> Option<VaultId> {
    let subscription_id = match raw.subscription_id.as_deref() {
        Some(given) => {
            let guid = parse_guid(given);
            if guid.is_none() {
                problems.add(
                    "subscription-id",
                    given,
                    &format!("a subscription ID, {GUID_ACCEPTED}"),
                    "Copy the Subscription ID from the vault's Overview page in the Azure portal.",
                );
            }
            guid
        }
        None => None,
    };
    let resource_group = match raw.resource_group.as_deref() {
        Some(given) => match check_resource_group_name(given) {
            Ok(()) => Some(given.to_string()),
            Err(reason) => {
                problems.add(
                    "resource-group",
                    given,
                    RESOURCE_GROUP_ACCEPTED,
                    format!("The name is not a valid resource group name: {reason}."),
                );
                None
            }
        },
        None => None,
    };

    let kind = super::backup_vault::read_vault_type(raw, problems);
    if raw.vault_type.is_some() && kind.is_none() {
        // The vault's kind is unknown, so checks that depend on it would only add noise.
        return None;
    }
    let Some(vault) = raw.vault.as_deref() else {
        problems.missing(
            "vault",
            VAULT_ACCEPTED,
            "Set it to the vault's name or resource ID.",
        );
        return None;
    };
    if vault.contains('/') {
        let id = read_vault_id(vault, subscription_id, resource_group, raw, problems)?;
        match kind {
            Some(kind) if kind != id.kind => {
                problems.add(
                    "vault-type",
                    raw.vault_type.as_deref().unwrap_or_default(),
                    &format!(
                        "the kind of the `vault` resource ID, a {}",
                        id.kind.display_name()
                    ),
                    "It disagrees with the `vault` resource ID; remove vault-type or make the \
                     two match.",
                );
                None
            }
            _ => Some(id),
        }
    } else {
        let kind = kind.unwrap_or(VaultKind::RecoveryServices);
        read_vault_name(vault, kind, subscription_id, resource_group, raw, problems)
    }
}

/// Handles `vault` given as a resource ID: `subscription-id` and `resource-group` are optional
/// and must agree with it when given.
fn read_vault_id(
    vault: &str,
    subscription_id: Option<String>,
    resource_group: Option<String>,
    raw: &RawInputs,
    problems: &mut Problems,
) -> Option<VaultId> {
    let id = match VaultId::parse(vault) {
        Ok(id) => id,
        Err(error) => {
            problems.add(
                "vault",
                vault,
                VAULT_ACCEPTED,
                format!(
                    "The resource ID is invalid: {error}. Copy the vault's Resource ID from its \
                     Properties page, or give the vault name with `subscription-id` and \
                     `resource-group`."
                ),
            );
            return None;
        }
    };

    let mut agrees = true;
    if let Some(subscription_id) = subscription_id {
        if subscription_id != id.subscription_id {
            agrees = false;
            problems.add(
                "subscription-id",
                raw.subscription_id.as_deref().unwrap_or_default(),
                &format!("the subscription in `vault`, {}", id.subscription_id),
                "It disagrees with the subscription in the `vault` resource ID; remove \
                 `subscription-id` or make the two match.",
            );
        }
    }
    if let Some(resource_group) = resource_group {
        if resource_group.to_lowercase() != id.resource_group.to_lowercase() {
            agrees = false;
            problems.add(
                "resource-group",
                &resource_group,
                &format!("the resource group in `vault`, {}", id.resource_group),
                "It disagrees with the resource group in the `vault` resource ID; remove \
                 `resource-group` or make the two match.",
            );
        }
    }
    agrees.then_some(id)
}

/// Handles `vault` given as a name: `subscription-id` and `resource-group` are then required.
fn read_vault_name(
    vault: &str,
    kind: VaultKind,
    subscription_id: Option<String>,
    resource_group: Option<String>,
    raw: &RawInputs,
    problems: &mut Problems,
) -> Option<VaultId> {
    let name_is_valid = match check_vault_name(vault) {
        Ok(()) => true,
        Err(reason) => {
            problems.add(
                "vault",
                vault,
                VAULT_ACCEPTED,
                format!(
                    "The name is not a valid {} name: {reason}.",
                    kind.display_name()
                ),
            );
            false
        }
    };
    if raw.subscription_id.is_none() {
        problems.missing(
            "subscription-id",
            &format!("a subscription ID, {GUID_ACCEPTED}"),
            "It is required when `vault` is a name; set it, or give `vault` as a full resource ID.",
        );
    }
    if raw.resource_group.is_none() {
        problems.missing(
            "resource-group",
            RESOURCE_GROUP_ACCEPTED,
            "It is required when `vault` is a name; set it to the vault's resource group, or give \
             `vault` as a full resource ID.",
        );
    }

    match (name_is_valid, subscription_id, resource_group) {
        (true, Some(subscription_id), Some(resource_group)) => Some(VaultId {
            subscription_id,
            resource_group,
            name: vault.to_string(),
            kind,
        }),
        _ => None,
    }
}

/// Builds the cloud profile from `environment`, `audience`, `authority-host` and
/// `resource-manager-endpoint`.
fn read_cloud_profile(raw: &RawInputs, problems: &mut Problems) -> Option<CloudProfile> {
    let mut valid = true;

    let cloud = match raw.environment.as_deref() {
        None => Cloud::AzureCloud,
        Some(given) => Cloud::from_name(given).unwrap_or_else(|| {
            valid = false;
            problems.add(
                "environment",
                given,
                ENVIRONMENT_ACCEPTED,
                "Use one of the accepted cloud names, or leave it empty for AzureCloud.",
            );
            Cloud::AzureCloud
        }),
    };
    let mut profile = CloudProfile::for_cloud(cloud);

    if let Some(given) = raw.audience.as_deref() {
        let accepted = format!(
            "up to {MAX_AUDIENCE_CHARS} characters without control characters; the default for \
             {} is {}",
            cloud.name(),
            cloud.default_audience()
        );
        if given.chars().count() > MAX_AUDIENCE_CHARS || given.chars().any(char::is_control) {
            valid = false;
            problems.add(
                "audience",
                given,
                &accepted,
                "Set it to the audience of the federated credential on the app registration, or \
                 leave it empty for the default.",
            );
        } else {
            profile = profile.with_audience(given);
        }
    }

    if let Some(given) = raw.authority_host.as_deref() {
        match parse_https_endpoint(given) {
            Ok(url) => profile = profile.with_authority_host(url),
            Err(reason) => {
                valid = false;
                problems.add(
                    "authority-host",
                    given,
                    ENDPOINT_ACCEPTED,
                    format!(
                        "The URL is invalid: {reason}. Leave it empty to use {}.",
                        profile.authority_host
                    ),
                );
            }
        }
    }

    if let Some(given) = raw.resource_manager_endpoint.as_deref() {
        match parse_https_endpoint(given) {
            Ok(url) => profile = profile.with_resource_manager_endpoint(url),
            Err(reason) => {
                valid = false;
                problems.add(
                    "resource-manager-endpoint",
                    given,
                    ENDPOINT_ACCEPTED,
                    format!(
                        "The URL is invalid: {reason}. Leave it empty to use {}.",
                        profile.resource_manager_endpoint
                    ),
                );
            }
        }
    }

    valid.then_some(profile)
}

/// Reads `ca-certificates`, or `SSL_CERT_FILE` when the input is empty. The outer `Option` is
/// `None` when the file is invalid.
fn read_ca_certificates(
    given: Option<&str>,
    lookup: &dyn Fn(&str) -> Option<String>,
    problems: &mut Problems,
) -> Option<Option<PathBuf>> {
    let from_variable = given.is_none();
    let path = match given {
        Some(path) => path.to_string(),
        None => match lookup("SSL_CERT_FILE").filter(|path| !path.is_empty()) {
            Some(path) => path,
            None => return Some(None),
        },
    };

    match check_ca_bundle(path.as_ref()) {
        Ok(()) => Some(Some(PathBuf::from(path))),
        Err(reason) => {
            let fix = if from_variable {
                format!(
                    "The path came from the SSL_CERT_FILE variable because `ca-certificates` is \
                     empty, and {reason}. Point SSL_CERT_FILE at a PEM bundle, or unset it."
                )
            } else {
                format!("{reason}. Give the path of a PEM bundle, relative to the working directory or absolute.")
            };
            problems.add("ca-certificates", &path, CA_ACCEPTED, upper_first(&fix));
            None
        }
    }
}

fn read_operation(given: Option<&str>, problems: &mut Problems) -> Option<Operation> {
    let Some(given) = given else {
        return Some(Operation::Backup);
    };
    match given {
        "backup" => Some(Operation::Backup),
        "restore-drill" => Some(Operation::RestoreDrill),
        "cleanup" => Some(Operation::Cleanup),
        _ => {
            problems.add(
                "operation",
                given,
                OPERATION_ACCEPTED,
                "Use one of the accepted operations, written in lower case.",
            );
            None
        }
    }
}

fn read_items(given: Option<&str>, problems: &mut Problems) -> Option<Vec<String>> {
    let accepted = format!(
        "one or more protected item names (such as VM names), separated by commas or new \
         lines; each 1 to {MAX_ITEM_NAME_CHARS} characters without / ? # ; .. or control \
         characters"
    );
    let fix_missing = "List the protected items to back up, such as the VM names shown under \
                       Backup items in the vault.";
    let Some(given) = given else {
        problems.missing("items", &accepted, fix_missing);
        return None;
    };
    let items = split_items(given);
    if items.is_empty() {
        problems.add(
            "items",
            given,
            &accepted,
            format!("The input holds no item names. {fix_missing}"),
        );
        return None;
    }

    let mut valid = true;
    for item in &items {
        if let Err(reason) = check_item_name(item) {
            valid = false;
            problems.add(
                "items",
                item,
                &accepted,
                format!(
                    "{}. Give the item's name, not its path or resource ID.",
                    upper_first(&reason)
                ),
            );
        }
    }
    valid.then_some(items)
}

fn read_retention_days(given: Option<&str>, problems: &mut Problems) -> Option<u32> {
    let Some(given) = given else {
        return Some(DEFAULT_RETENTION_DAYS);
    };
    // Only ASCII digits: `str::parse` would also take a leading '+'.
    let days = given
        .bytes()
        .all(|byte| byte.is_ascii_digit())
        .then(|| given.parse::<u32>().ok())
        .flatten()
        .filter(|days| (MIN_RETENTION_DAYS..=MAX_RETENTION_DAYS).contains(days));
    if days.is_none() {
        problems.add(
            "retention-days",
            given,
            RETENTION_ACCEPTED,
            format!("Give a whole number of days, or leave it empty for {DEFAULT_RETENTION_DAYS}."),
        );
    }
    days
}

fn read_wait(given: Option<&str>, problems: &mut Problems) -> Option<bool> {
    let Some(given) = given else {
        return Some(true);
    };
    let wait = parse_bool_input(given);
    if wait.is_none() {
        problems.add(
            "wait",
            given,
            BOOLEAN_ACCEPTED,
            "Input does not meet YAML 1.2 \"Core Schema\" specification: wait. Use one of the \
             accepted spellings, or leave it empty for true.",
        );
    }
    wait
}

/// Reads `timeout` and `poll-interval`; the interval must not exceed the timeout.
fn read_timing(
    timeout: Option<&str>,
    poll_interval: Option<&str>,
    problems: &mut Problems,
) -> (Option<Duration>, Option<Duration>) {
    let timeout = match timeout {
        None => Some(DEFAULT_TIMEOUT),
        Some(given) => parse_duration(given)
            .map_err(|error| {
                problems.add(
                    "timeout",
                    given,
                    TIMEOUT_ACCEPTED,
                    format!(
                        "{}. Leave it empty for {}.",
                        upper_first(&error.to_string()),
                        format_duration(DEFAULT_TIMEOUT)
                    ),
                );
            })
            .ok(),
    };
    let poll_interval = match poll_interval {
        None => Some(DEFAULT_POLL_INTERVAL),
        Some(given) => parse_duration(given)
            .map_err(|error| {
                problems.add(
                    "poll-interval",
                    given,
                    POLL_INTERVAL_ACCEPTED,
                    format!(
                        "{}. Leave it empty for {}.",
                        upper_first(&error.to_string()),
                        format_duration(DEFAULT_POLL_INTERVAL)
                    ),
                );
            })
            .ok(),
    };

    if let (Some(timeout), Some(interval)) = (timeout, poll_interval) {
        if interval > timeout {
            problems.add(
                "poll-interval",
                &format_duration(interval),
                POLL_INTERVAL_ACCEPTED,
                format!(
                    "The poll interval is longer than the timeout ({}); shorten it or raise `timeout`.",
                    format_duration(timeout)
                ),
            );
            return (Some(timeout), None);
        }
    }
    (timeout, poll_interval)
}

/// Returns `text` with its first letter in upper case, to start a sentence with a reason.
fn upper_first(text: &str) -> String {
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretString;
    use std::collections::HashMap;

    const CLIENT: &str = "11111111-1111-1111-1111-111111111111";
    const TENANT: &str = "22222222-2222-2222-2222-222222222222";
    const SUB: &str = "33333333-3333-3333-3333-333333333333";

    /// Builds a lookup over `pairs`, standing in for the process environment.
    fn lookup_from(pairs: &[(String, String)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().cloned().collect();
        move |name| map.get(name).cloned()
    }

    fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    /// Returns the smallest valid set of inputs, with `vault` given as a name.
    fn minimal() -> Vec<(String, String)> {
        owned(&[
            ("INPUT_CLIENT-ID", CLIENT),
            ("INPUT_TENANT-ID", TENANT),
            ("INPUT_SUBSCRIPTION-ID", SUB),
            ("INPUT_RESOURCE-GROUP", "rg-backup"),
            ("INPUT_VAULT", "rsv-prod"),
            ("INPUT_ITEMS", "vm1"),
        ])
    }

    /// Returns `minimal()` with `overrides` replacing or adding entries.
    fn with(overrides: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut pairs = minimal();
        for (key, value) in owned(overrides) {
            pairs.retain(|(existing, _)| *existing != key);
            pairs.push((key, value));
        }
        pairs
    }

    fn read_pairs(pairs: &[(String, String)]) -> Result<Config, InputError> {
        super::super::inputs::read(&lookup_from(pairs))
    }

    fn problem_inputs(pairs: &[(String, String)]) -> Vec<String> {
        let error = read_pairs(pairs).expect_err("expected invalid inputs");
        error
            .problems
            .into_iter()
            .map(|problem| problem.input)
            .collect()
    }

    fn only_problem(pairs: &[(String, String)]) -> InputProblem {
        let error = read_pairs(pairs).expect_err("expected invalid inputs");
        assert_eq!(error.problems.len(), 1, "{error}");
        error.problems.into_iter().next().unwrap()
    }

    fn vault_id(group: &str, name: &str) -> String {
        format!("/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.RecoveryServices/vaults/{name}")
    }

    /// A temporary file removed when dropped.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(content: &[u8]) -> Self {
            let path =
                std::env::temp_dir().join(format!("config-test-{}.pem", uuid::Uuid::new_v4()));
            std::fs::write(&path, content).unwrap();
            Self(path)
        }

        fn path(&self) -> &str {
            self.0.to_str().unwrap()
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn minimal_inputs_and_defaults() {
        let config = read_pairs(&minimal()).unwrap();
        assert_eq!(config.client_id, CLIENT);
        assert_eq!(config.tenant_id, TENANT);
        assert_eq!(
            config.vault,
            VaultId {
                subscription_id: SUB.to_string(),
                resource_group: "rg-backup".to_string(),
                name: "rsv-prod".to_string(),
                kind: VaultKind::RecoveryServices,
            }
        );
        assert_eq!(config.items, ["vm1"]);
        assert_eq!(config.operation, Operation::Backup);
        assert_eq!(config.retention_days, 30);
        assert!(config.wait);
        assert_eq!(config.timeout, Duration::from_secs(19_800));
        assert_eq!(config.poll_interval, Duration::from_secs(30));
        assert_eq!(config.cloud, CloudProfile::for_cloud(Cloud::AzureCloud));
        assert_eq!(config.ca_certificates, None);
    }

    #[test]
    fn missing_required_inputs_all_reported() {
        let inputs = problem_inputs(&[]);
        assert_eq!(inputs, ["client-id", "tenant-id", "vault", "items"]);
        let error = read_pairs(&[]).unwrap_err();
        assert!(error.problems[0].fix.starts_with("The input is required."));
    }

    #[test]
    fn empty_and_whitespace_mean_not_supplied() {
        let inputs = problem_inputs(&with(&[
            ("INPUT_CLIENT-ID", " \u{feff} "),
            ("INPUT_ITEMS", ""),
        ]));
        assert_eq!(inputs, ["client-id", "items"]);
    }

    #[test]
    fn every_invalid_input_reported_at_once() {
        let inputs = problem_inputs(&owned(&[
            ("INPUT_CLIENT-ID", "not-a-guid"),
            ("INPUT_TENANT-ID", "contoso"),
            ("INPUT_SUBSCRIPTION-ID", "x"),
            ("INPUT_RESOURCE-GROUP", "rg."),
            ("INPUT_VAULT", "1vault"),
            ("INPUT_ENVIRONMENT", "AzureGermanCloud"),
            ("INPUT_AUDIENCE", "a\u{7}b"),
            ("INPUT_AUTHORITY-HOST", "http://login.example"),
            ("INPUT_RESOURCE-MANAGER-ENDPOINT", "https://x.example/?q"),
            ("INPUT_CA-CERTIFICATES", "/nonexistent/bundle.pem"),
            ("INPUT_OPERATION", "restore"),
            ("INPUT_ITEMS", "a/b"),
            ("INPUT_RETENTION-DAYS", "0"),
            ("INPUT_WAIT", "yes"),
            ("INPUT_TIMEOUT", "30"),
            ("INPUT_POLL-INTERVAL", "0s"),
        ]));
        assert_eq!(
            inputs,
            [
                "client-id",
                "tenant-id",
                "subscription-id",
                "resource-group",
                "vault",
                "environment",
                "audience",
                "authority-host",
                "resource-manager-endpoint",
                "ca-certificates",
                "operation",
                "items",
                "retention-days",
                "wait",
                "timeout",
                "poll-interval",
            ]
        );
    }

    #[test]
    fn guids_trimmed_and_lowercased() {
        let upper_client = CLIENT.to_uppercase().replace('1', "A");
        let value = format!("\u{feff}{upper_client}\u{a0}");
        let pairs = with(&[("INPUT_CLIENT-ID", &value)]);
        let config = read_pairs(&pairs).unwrap();
        assert_eq!(config.client_id, upper_client.to_lowercase());
    }

    #[test]
    fn tenant_id_guid_or_domain() {
        let config = read_pairs(&with(&[("INPUT_TENANT-ID", "Contoso.onmicrosoft.com")])).unwrap();
        assert_eq!(config.tenant_id, "contoso.onmicrosoft.com");
        for bad in [
            "contoso",
            "22222222-2222-2222-2222-22222222222g",
            "{22222222-2222-2222-2222-222222222222}",
            "a b.com",
        ] {
            let problem = only_problem(&with(&[("INPUT_TENANT-ID", bad)]));
            assert_eq!(problem.input, "tenant-id");
            assert_eq!(problem.given, bad);
        }
    }

    #[test]
    fn vault_id_without_subscription_or_group() {
        let id = vault_id("RG1", "rsv1");
        let pairs = owned(&[
            ("INPUT_CLIENT-ID", CLIENT),
            ("INPUT_TENANT-ID", TENANT),
            ("INPUT_VAULT", &id),
            ("INPUT_ITEMS", "vm1"),
        ]);
        let config = read_pairs(&pairs).unwrap();
        assert_eq!(config.vault.resource_id(), id);

        let mut agreeing = pairs.clone();
        agreeing.extend(owned(&[
            ("INPUT_SUBSCRIPTION-ID", SUB),
            ("INPUT_RESOURCE-GROUP", "rg1"),
        ]));
        assert!(read_pairs(&agreeing).is_ok());
    }

    #[test]
    fn vault_id_disagreements() {
        let pairs = with(&[
            ("INPUT_VAULT", &vault_id("rg1", "rsv1")),
            (
                "INPUT_SUBSCRIPTION-ID",
                "44444444-4444-4444-4444-444444444444",
            ),
            ("INPUT_RESOURCE-GROUP", "rg2"),
        ]);
        let error = read_pairs(&pairs).unwrap_err();
        let inputs: Vec<&str> = error.problems.iter().map(|p| p.input.as_str()).collect();
        assert_eq!(inputs, ["subscription-id", "resource-group"]);
        assert!(error.problems[0].fix.contains("disagrees"));
        assert!(error.problems[0].accepted.contains(SUB));
    }

    #[test]
    fn vault_id_subscription_compared_ignoring_case() {
        let pairs = with(&[
            ("INPUT_VAULT", &vault_id("rg1", "rsv1")),
            ("INPUT_SUBSCRIPTION-ID", &SUB.to_uppercase()),
            ("INPUT_RESOURCE-GROUP", "RG1"),
        ]);
        assert!(read_pairs(&pairs).is_ok());
    }

    #[test]
    fn vault_backup_vault_id_needs_a_rule() {
        let id = format!(
            "/subscriptions/{SUB}/resourceGroups/rg-backup/providers/Microsoft.DataProtection/backupVaults/bv1"
        );
        let problem = only_problem(&with(&[("INPUT_VAULT", &id)]));
        assert_eq!(problem.input, "backup-rule");

        let config = read_pairs(&with(&[
            ("INPUT_VAULT", &id),
            ("INPUT_BACKUP-RULE", "BackupDaily"),
        ]))
        .unwrap();
        assert_eq!(config.vault.kind, VaultKind::Backup);
        assert_eq!(config.vault.resource_id(), id);
        assert_eq!(
            config.backup_rule,
            Some(super::super::BackupRule {
                name: "BackupDaily".to_string(),
                retention_tag: "Default".to_string(),
            })
        );
    }

    #[test]
    fn vault_type_names_a_backup_vault() {
        let config = read_pairs(&with(&[
            ("INPUT_VAULT", "bv1"),
            ("INPUT_VAULT-TYPE", "backup"),
            ("INPUT_BACKUP-RULE", "BackupHourly"),
            ("INPUT_RETENTION-TAG", "Weekly"),
        ]))
        .unwrap();
        assert_eq!(config.vault.kind, VaultKind::Backup);
        assert!(config
            .vault
            .resource_id()
            .ends_with("/providers/Microsoft.DataProtection/backupVaults/bv1"));
        assert_eq!(config.backup_rule.unwrap().retention_tag, "Weekly");

        let problem = only_problem(&with(&[
            ("INPUT_VAULT", &vault_id("rg-backup", "rsv1")),
            ("INPUT_VAULT-TYPE", "backup"),
            ("INPUT_BACKUP-RULE", "BackupDaily"),
        ]));
        assert_eq!(problem.input, "vault-type");

        let problem = only_problem(&with(&[
            ("INPUT_VAULT", "bv1"),
            ("INPUT_VAULT-TYPE", "backup"),
            ("INPUT_BACKUP-RULE", "Backup/Daily"),
        ]));
        assert_eq!(problem.input, "backup-rule");

        let config = read_pairs(&with(&[
            ("INPUT_VAULT", "bv1"),
            ("INPUT_VAULT-TYPE", "Backup"),
            ("INPUT_BACKUP-RULE", "BackupDaily"),
        ]))
        .unwrap();
        assert_eq!(config.vault.kind, VaultKind::Backup, "any letter case");

        // An unknown kind is the only problem: the kind's own inputs are not judged.
        let problem = only_problem(&with(&[
            ("INPUT_VAULT", "bv1"),
            ("INPUT_VAULT-TYPE", "data-protection"),
            ("INPUT_BACKUP-RULE", "BackupDaily"),
        ]));
        assert_eq!(problem.input, "vault-type");
    }

    #[test]
    fn vault_malformed_id() {
        let id = format!("{}/extra", vault_id("rg1", "rsv1"));
        let problem = only_problem(&with(&[("INPUT_VAULT", &id)]));
        assert_eq!(problem.input, "vault");
        assert_eq!(problem.given, id);
        assert!(
            problem.fix.starts_with("The resource ID is invalid"),
            "{}",
            problem.fix
        );
    }

    #[test]
    fn vault_name_requires_subscription_and_group() {
        let pairs = owned(&[
            ("INPUT_CLIENT-ID", CLIENT),
            ("INPUT_TENANT-ID", TENANT),
            ("INPUT_VAULT", "rsv1"),
            ("INPUT_ITEMS", "vm1"),
        ]);
        assert_eq!(
            problem_inputs(&pairs),
            ["subscription-id", "resource-group"]
        );
    }

    #[test]
    fn resource_group_rules() {
        for good in ["rg", "My_RG-(1).x", &"r".repeat(90)] {
            assert!(
                read_pairs(&with(&[("INPUT_RESOURCE-GROUP", good)])).is_ok(),
                "{good}"
            );
        }
        for bad in ["rg.", "rg/x", "rg x", &"r".repeat(91)] {
            let problem = only_problem(&with(&[("INPUT_RESOURCE-GROUP", bad)]));
            assert_eq!(problem.input, "resource-group");
        }
    }

    #[test]
    fn environment_selects_cloud() {
        let config = read_pairs(&with(&[("INPUT_ENVIRONMENT", "azureusgovernment")])).unwrap();
        assert_eq!(config.cloud.cloud, Cloud::AzureUSGovernment);
        assert_eq!(config.cloud.audience, "api://AzureADTokenExchangeUSGov");
        assert_eq!(
            config.cloud.scope,
            "https://management.usgovcloudapi.net/.default"
        );

        let problem = only_problem(&with(&[("INPUT_ENVIRONMENT", "AzureStack")]));
        assert_eq!(problem.input, "environment");
        assert!(problem.accepted.contains("AzureChinaCloud"));
    }

    #[test]
    fn cloud_overrides() {
        let config = read_pairs(&with(&[
            ("INPUT_ENVIRONMENT", "AzureChinaCloud"),
            ("INPUT_AUDIENCE", "api://custom"),
            ("INPUT_AUTHORITY-HOST", "https://127.0.0.1:9443"),
            ("INPUT_RESOURCE-MANAGER-ENDPOINT", "https://127.0.0.1:8443/"),
        ]))
        .unwrap();
        assert_eq!(config.cloud.cloud, Cloud::AzureChinaCloud);
        assert_eq!(config.cloud.audience, "api://custom");
        assert_eq!(
            config.cloud.authority_host.as_str(),
            "https://127.0.0.1:9443/"
        );
        assert_eq!(config.cloud.scope, "https://127.0.0.1:8443/.default");
        assert_eq!(config.cloud.arm_url("/x"), "https://127.0.0.1:8443/x");
    }

    #[test]
    fn endpoint_override_rejects_http() {
        let problem = only_problem(&with(&[(
            "INPUT_RESOURCE-MANAGER-ENDPOINT",
            "http://127.0.0.1:8080",
        )]));
        assert_eq!(problem.input, "resource-manager-endpoint");
        assert!(
            problem.fix.contains("only https:// is allowed"),
            "{}",
            problem.fix
        );
    }

    #[test]
    fn audience_too_long() {
        let long = "a".repeat(601);
        assert_eq!(
            only_problem(&with(&[("INPUT_AUDIENCE", &long)])).input,
            "audience"
        );
        let limit = "a".repeat(600);
        assert!(read_pairs(&with(&[("INPUT_AUDIENCE", &limit)])).is_ok());
    }

    #[test]
    fn ca_certificates_input() {
        let bundle =
            TempFile::new(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
        let path = bundle.path();
        let config = read_pairs(&with(&[("INPUT_CA-CERTIFICATES", path)])).unwrap();
        assert_eq!(config.ca_certificates, Some(PathBuf::from(path)));

        let not_pem = TempFile::new(b"hello\n");
        let problem = only_problem(&with(&[("INPUT_CA-CERTIFICATES", not_pem.path())]));
        assert_eq!(problem.input, "ca-certificates");
        assert!(problem.fix.contains("BEGIN CERTIFICATE"), "{}", problem.fix);

        let problem = only_problem(&with(&[("INPUT_CA-CERTIFICATES", "/nonexistent/ca.pem")]));
        assert!(problem.fix.contains("not found"), "{}", problem.fix);

        let directory = std::env::temp_dir();
        let problem = only_problem(&with(&[(
            "INPUT_CA-CERTIFICATES",
            directory.to_str().unwrap(),
        )]));
        assert!(problem.fix.contains("directory"), "{}", problem.fix);
    }

    #[test]
    fn ca_certificates_from_ssl_cert_file() {
        let bundle = TempFile::new(b"x\n-----BEGIN CERTIFICATE-----\n");
        let path = bundle.path();
        let config = read_pairs(&with(&[("SSL_CERT_FILE", path)])).unwrap();
        assert_eq!(config.ca_certificates, Some(PathBuf::from(path)));

        let problem = only_problem(&with(&[("SSL_CERT_FILE", "/nonexistent/ca.pem")]));
        assert_eq!(problem.input, "ca-certificates");
        assert!(problem.fix.contains("SSL_CERT_FILE"), "{}", problem.fix);

        let other = TempFile::new(b"-----BEGIN CERTIFICATE-----\n");
        let other_path = other.path();
        let config = read_pairs(&with(&[
            ("SSL_CERT_FILE", "/nonexistent/ca.pem"),
            ("INPUT_CA-CERTIFICATES", other_path),
        ]))
        .unwrap();
        assert_eq!(config.ca_certificates, Some(PathBuf::from(other_path)));
    }

    #[test]
    fn operation_known_names_only() {
        let config = read_pairs(&with(&[("INPUT_OPERATION", "backup")])).unwrap();
        assert_eq!(config.operation, Operation::Backup);
        for bad in ["Backup", "restore", "BACKUP"] {
            let problem = only_problem(&with(&[("INPUT_OPERATION", bad)]));
            assert_eq!(problem.input, "operation");
            assert_eq!(problem.accepted, OPERATION_ACCEPTED);
        }
    }

    #[test]
    fn restore_drill_needs_target_and_one_item() {
        let error = read_pairs(&with(&[
            ("INPUT_OPERATION", "restore-drill"),
            ("INPUT_ITEMS", "vm1,vm2"),
        ]))
        .unwrap_err();
        let inputs: Vec<&str> = error.problems.iter().map(|p| p.input.as_str()).collect();
        assert!(inputs.contains(&"items"), "{inputs:?}");
        assert!(inputs.contains(&"target-resource-group"), "{inputs:?}");
        assert!(inputs.contains(&"staging-storage-account"), "{inputs:?}");
    }

    #[test]
    fn restore_drill_settings_are_read() {
        let config = read_pairs(&with(&[
            ("INPUT_OPERATION", "restore-drill"),
            ("INPUT_TARGET-RESOURCE-GROUP", "rg-drill"),
            ("INPUT_STAGING-STORAGE-ACCOUNT", "stdrill01"),
            ("INPUT_MAX-RECOVERY-POINT-AGE", "26h"),
            ("INPUT_CLEANUP", "on-success"),
        ]))
        .unwrap();
        let drill = config.drill.expect("drill settings");
        assert_eq!(drill.target_resource_group, "rg-drill");
        assert_eq!(drill.staging_storage_account.name, "stdrill01");
        assert_eq!(
            drill.max_recovery_point_age,
            Some(Duration::from_secs(26 * 3600))
        );
        assert_eq!(drill.cleanup, crate::config::CleanupPolicy::OnSuccess);
        assert!(!drill.validate_only);
    }

    #[test]
    fn recovery_point_age_has_its_own_maximum() {
        let drill = |age: &str| {
            with(&[
                ("INPUT_OPERATION", "restore-drill"),
                ("INPUT_TARGET-RESOURCE-GROUP", "rg-drill"),
                ("INPUT_STAGING-STORAGE-ACCOUNT", "stdrill01"),
                ("INPUT_MAX-RECOVERY-POINT-AGE", age),
            ])
        };
        let config = read_pairs(&drill("170h")).unwrap();
        assert_eq!(
            config.drill.unwrap().max_recovery_point_age,
            Some(Duration::from_secs(170 * 3600))
        );
        assert!(read_pairs(&drill("9600h")).is_ok());

        let problem = only_problem(&drill("9601h"));
        assert_eq!(problem.input, "max-recovery-point-age");
        assert!(problem.accepted.contains("9600h"), "{}", problem.accepted);
        assert!(problem.fix.contains("9600h"), "{}", problem.fix);

        let problem = only_problem(&with(&[("INPUT_TIMEOUT", "170h")]));
        assert_eq!(problem.input, "timeout");
    }

    #[test]
    fn cleanup_needs_disk_ids_only() {
        let id = "/subscriptions/00000000-0000-0000-0000-000000000003/resourceGroups/rg-drill/providers/Microsoft.Compute/disks/d1";
        let config = read_pairs(&with(&[
            ("INPUT_OPERATION", "cleanup"),
            ("INPUT_RESTORED-RESOURCE-IDS", &format!("[\"{id}\"]")),
        ]))
        .unwrap();
        assert_eq!(config.cleanup_resource_ids, [id]);

        let upper = id.to_ascii_uppercase().replace("DISKS/D1", "disks/d1");
        let config = read_pairs(&with(&[
            ("INPUT_OPERATION", "cleanup"),
            (
                "INPUT_RESTORED-RESOURCE-IDS",
                &format!("[\"{id}\", \"{upper}\"]"),
            ),
        ]))
        .unwrap();
        assert_eq!(
            config.cleanup_resource_ids,
            [id],
            "a repeated ID is kept once"
        );

        let vm = id.replace("disks/d1", "virtualMachines/vm1");
        let problem = only_problem(&with(&[
            ("INPUT_OPERATION", "cleanup"),
            ("INPUT_RESTORED-RESOURCE-IDS", &format!("[\"{vm}\"]")),
        ]));
        assert_eq!(problem.input, "restored-resource-ids");
    }

    #[test]
    fn items_split_and_deduplicated() {
        let config = read_pairs(&with(&[("INPUT_ITEMS", "a\n  \nb\r\n c , A,\n")])).unwrap();
        assert_eq!(config.items, ["a", "b", "c"]);
    }

    #[test]
    fn items_invalid_each_reported() {
        let error = read_pairs(&with(&[("INPUT_ITEMS", "ok, a/b, c..d")])).unwrap_err();
        let given: Vec<&str> = error.problems.iter().map(|p| p.given.as_str()).collect();
        assert_eq!(given, ["a/b", "c..d"]);
        assert!(error.problems.iter().all(|p| p.input == "items"));

        let problem = only_problem(&with(&[("INPUT_ITEMS", " , \n ,")]));
        assert_eq!(problem.input, "items");
    }

    #[test]
    fn retention_days_bounds() {
        for (text, days) in [("1", 1), ("9999", 9999), ("0030", 30)] {
            let config = read_pairs(&with(&[("INPUT_RETENTION-DAYS", text)])).unwrap();
            assert_eq!(config.retention_days, days, "{text}");
        }
        for bad in ["0", "10000", "+5", "-1", "1.5", "ten", "99999999999"] {
            let problem = only_problem(&with(&[("INPUT_RETENTION-DAYS", bad)]));
            assert_eq!(problem.input, "retention-days");
            assert_eq!(problem.given, bad);
        }
    }

    #[test]
    fn wait_boolean_input() {
        assert!(
            !read_pairs(&with(&[("INPUT_WAIT", " FALSE ")]))
                .unwrap()
                .wait
        );
        assert!(read_pairs(&with(&[("INPUT_WAIT", "True")])).unwrap().wait);
        let problem = only_problem(&with(&[("INPUT_WAIT", "yes")]));
        assert_eq!(problem.input, "wait");
        assert_eq!(
            problem.accepted,
            "true | True | TRUE | false | False | FALSE"
        );
    }

    #[test]
    fn timeout_and_poll_interval() {
        let config = read_pairs(&with(&[
            ("INPUT_TIMEOUT", "1h30m"),
            ("INPUT_POLL-INTERVAL", "1s"),
        ]))
        .unwrap();
        assert_eq!(config.timeout, Duration::from_secs(5400));
        assert_eq!(config.poll_interval, Duration::from_secs(1));

        let problem = only_problem(&with(&[("INPUT_TIMEOUT", "90")]));
        assert_eq!(problem.input, "timeout");
        assert!(problem.fix.contains("unit"), "{}", problem.fix);

        let problem = only_problem(&with(&[("INPUT_TIMEOUT", "121h")]));
        assert!(problem.fix.contains("120h"), "{}", problem.fix);

        let problem = only_problem(&with(&[
            ("INPUT_TIMEOUT", "1m"),
            ("INPUT_POLL-INTERVAL", "2m"),
        ]));
        assert_eq!(problem.input, "poll-interval");
        assert!(
            problem.fix.contains("longer than the timeout"),
            "{}",
            problem.fix
        );

        assert!(read_pairs(&with(&[
            ("INPUT_TIMEOUT", "1m"),
            ("INPUT_POLL-INTERVAL", "60s")
        ]))
        .is_ok());
    }

    #[test]
    fn runner_variables() {
        let config = read_pairs(&with(&[
            ("GITHUB_ACTIONS", "true"),
            ("RUNNER_DEBUG", "1"),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                "https://127.0.0.1/idtoken?api-version=2.0",
            ),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token"),
            ("GITHUB_OUTPUT", "/tmp/out"),
            ("GITHUB_STEP_SUMMARY", "/tmp/summary"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "octo/repo"),
            ("GITHUB_RUN_ID", "42"),
        ]))
        .unwrap();

        let runner = &config.runner;
        assert!(runner.in_actions);
        assert!(runner.debug);
        assert_eq!(
            runner.id_token_request_url.as_deref(),
            Some("https://127.0.0.1/idtoken?api-version=2.0")
        );
        assert_eq!(
            runner
                .id_token_request_token
                .as_ref()
                .map(SecretString::expose),
            Some("request-token")
        );

        assert_eq!(runner.output_file, Some(PathBuf::from("/tmp/out")));
        assert_eq!(runner.summary_file, Some(PathBuf::from("/tmp/summary")));
        assert_eq!(runner.server_url.as_deref(), Some("https://github.com"));
        assert_eq!(runner.repository.as_deref(), Some("octo/repo"));
        assert_eq!(runner.run_id.as_deref(), Some("42"));
        assert!(!format!("{config:?}").contains("request-token"));
    }

    #[test]
    fn runner_variables_absent_or_empty() {
        let config = read_pairs(&with(&[
            ("GITHUB_ACTIONS", "1"),
            ("RUNNER_DEBUG", "true"),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", ""),
            ("GITHUB_OUTPUT", ""),
        ]))
        .unwrap();
        let runner = &config.runner;
        assert!(!runner.in_actions);
        assert!(!runner.debug);
        assert!(runner.id_token_request_url.is_none());
        assert!(runner.id_token_request_token.is_none());
        assert!(runner.output_file.is_none());
    }

    #[test]
    fn input_error_display_lists_each_problem() {
        let error = read_pairs(&with(&[
            ("INPUT_WAIT", "yes"),
            ("INPUT_OPERATION", "restore"),
        ]))
        .unwrap_err();
        let text = error.to_string();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(
            text.contains("Invalid input 'operation': got 'restore'"),
            "{text}"
        );
        assert!(text.contains("Invalid input 'wait': got 'yes'"), "{text}");
    }
}
