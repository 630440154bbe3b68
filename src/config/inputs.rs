//! Reading the action inputs (`INPUT_<NAME>`) and the runner's variables through a lookup
//! function, and trimming the inputs as the Actions toolkit does. Checking them is `validate`'s job.

use std::path::PathBuf;

use serde::Deserialize;

use super::validate::validate;
use super::{Config, InputError, InputProblem, RunnerEnv};
use crate::secret::SecretString;

/// Prefix of the variables the runner sets for inputs.
const INPUT_PREFIX: &str = "INPUT_";

/// Every input the action reads, as action.yml names it.
const INPUT_NAMES: [&str; 30] = [
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
    "recovery-point",
    "max-recovery-point-age",
    "target-resource-group",
    "staging-storage-account",
    "max-restore-duration",
    "cleanup",
    "validate-only",
    "report-path",
    "restored-resource-ids",
    "if-busy",
    "cancel-on-abort",
    "vault-type",
    "backup-rule",
    "retention-tag",
];

/// The boolean spellings the toolkit's `getBooleanInput` accepts (YAML 1.2 core schema).
const TRUE_SPELLINGS: [&str; 3] = ["true", "True", "TRUE"];
const FALSE_SPELLINGS: [&str; 3] = ["false", "False", "FALSE"];
pub(super) const BOOLEAN_ACCEPTED: &str = "true | True | TRUE | false | False | FALSE";

/// Removes leading and trailing whitespace as JavaScript's `String.prototype.trim` does, which is
/// what the Actions toolkit's `getInput` applies.
///
/// Unlike `str::trim`, this also removes U+FEFF (byte order mark) and leaves U+0085 (next line),
/// which JavaScript does not count as whitespace.
pub fn js_trim(text: &str) -> &str {
    text.trim_matches(is_js_whitespace)
}

/// ECMAScript `WhiteSpace` and `LineTerminator` outside the U+2000 to U+200A range: tab, LF,
/// vertical tab, form feed, CR, the other Unicode space separators (Zs), U+2028, U+2029 and U+FEFF.
const JS_WHITESPACE: [char; 14] = [
    '\u{0009}', '\u{000A}', '\u{000B}', '\u{000C}', '\u{000D}', '\u{0020}', '\u{00A0}', '\u{1680}',
    '\u{2028}', '\u{2029}', '\u{202F}', '\u{205F}', '\u{3000}', '\u{FEFF}',
];

fn is_js_whitespace(character: char) -> bool {
    ('\u{2000}'..='\u{200A}').contains(&character) || JS_WHITESPACE.contains(&character)
}

/// Parses a boolean input as the toolkit's `getBooleanInput` does: after [`js_trim`], exactly
/// `true`, `True` or `TRUE`, or `false`, `False` or `FALSE`. Anything else returns `None`.
pub fn parse_bool_input(text: &str) -> Option<bool> {
    let text = js_trim(text);
    if TRUE_SPELLINGS.contains(&text) {
        Some(true)
    } else if FALSE_SPELLINGS.contains(&text) {
        Some(false)
    } else {
        None
    }
}

/// Returns the variable that carries input `name`: `INPUT_` and the name upper-cased, with spaces
/// turned into `_` and hyphens kept, as the runner forms it.
fn input_variable(name: &str) -> String {
    format!(
        "{INPUT_PREFIX}{}",
        name.replace(' ', "_").to_ascii_uppercase()
    )
}

/// The inputs as strings. envy lower-cases the variable names after the prefix, so
/// `INPUT_CLIENT-ID` fills `client-id`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RawInputs {
    #[serde(rename = "client-id")]
    pub(super) client_id: Option<String>,
    #[serde(rename = "tenant-id")]
    pub(super) tenant_id: Option<String>,
    #[serde(rename = "subscription-id")]
    pub(super) subscription_id: Option<String>,
    #[serde(rename = "resource-group")]
    pub(super) resource_group: Option<String>,
    pub(super) vault: Option<String>,
    pub(super) environment: Option<String>,
    pub(super) audience: Option<String>,
    #[serde(rename = "authority-host")]
    pub(super) authority_host: Option<String>,
    #[serde(rename = "resource-manager-endpoint")]
    pub(super) resource_manager_endpoint: Option<String>,
    #[serde(rename = "ca-certificates")]
    pub(super) ca_certificates: Option<String>,
    pub(super) operation: Option<String>,
    pub(super) items: Option<String>,
    #[serde(rename = "retention-days")]
    pub(super) retention_days: Option<String>,
    pub(super) wait: Option<String>,
    pub(super) timeout: Option<String>,
    #[serde(rename = "poll-interval")]
    pub(super) poll_interval: Option<String>,
    #[serde(rename = "recovery-point")]
    pub(super) recovery_point: Option<String>,
    #[serde(rename = "max-recovery-point-age")]
    pub(super) max_recovery_point_age: Option<String>,
    #[serde(rename = "target-resource-group")]
    pub(super) target_resource_group: Option<String>,
    #[serde(rename = "staging-storage-account")]
    pub(super) staging_storage_account: Option<String>,
    #[serde(rename = "max-restore-duration")]
    pub(super) max_restore_duration: Option<String>,
    pub(super) cleanup: Option<String>,
    #[serde(rename = "validate-only")]
    pub(super) validate_only: Option<String>,
    #[serde(rename = "report-path")]
    pub(super) report_path: Option<String>,
    #[serde(rename = "restored-resource-ids")]
    pub(super) restored_resource_ids: Option<String>,
    #[serde(rename = "if-busy")]
    pub(super) if_busy: Option<String>,
    #[serde(rename = "cancel-on-abort")]
    pub(super) cancel_on_abort: Option<String>,
    #[serde(rename = "vault-type")]
    pub(super) vault_type: Option<String>,
    #[serde(rename = "backup-rule")]
    pub(super) backup_rule: Option<String>,
    #[serde(rename = "retention-tag")]
    pub(super) retention_tag: Option<String>,
}

impl RawInputs {
    /// Trims every value with [`js_trim`] and turns empty ones into `None`: the toolkit treats an
    /// empty input as not supplied.
    fn trimmed(self) -> RawInputs {
        let supplied = |value: Option<String>| -> Option<String> {
            let value = value?;
            let trimmed = js_trim(&value);
            (!trimmed.is_empty()).then(|| trimmed.to_string())
        };
        RawInputs {
            client_id: supplied(self.client_id),
            tenant_id: supplied(self.tenant_id),
            subscription_id: supplied(self.subscription_id),
            resource_group: supplied(self.resource_group),
            vault: supplied(self.vault),
            environment: supplied(self.environment),
            audience: supplied(self.audience),
            authority_host: supplied(self.authority_host),
            resource_manager_endpoint: supplied(self.resource_manager_endpoint),
            ca_certificates: supplied(self.ca_certificates),
            operation: supplied(self.operation),
            items: supplied(self.items),
            retention_days: supplied(self.retention_days),
            wait: supplied(self.wait),
            timeout: supplied(self.timeout),
            poll_interval: supplied(self.poll_interval),
            recovery_point: supplied(self.recovery_point),
            max_recovery_point_age: supplied(self.max_recovery_point_age),
            target_resource_group: supplied(self.target_resource_group),
            staging_storage_account: supplied(self.staging_storage_account),
            max_restore_duration: supplied(self.max_restore_duration),
            cleanup: supplied(self.cleanup),
            validate_only: supplied(self.validate_only),
            report_path: supplied(self.report_path),
            restored_resource_ids: supplied(self.restored_resource_ids),
            if_busy: supplied(self.if_busy),
            cancel_on_abort: supplied(self.cancel_on_abort),
            vault_type: supplied(self.vault_type),
            backup_rule: supplied(self.backup_rule),
            retention_tag: supplied(self.retention_tag),
        }
    }
}

/// Reads the known inputs through `lookup` with envy, then trims them.
fn read_raw_inputs(lookup: &dyn Fn(&str) -> Option<String>) -> Result<RawInputs, InputError> {
    let variables = INPUT_NAMES.iter().filter_map(|name| {
        let variable = input_variable(name);
        lookup(&variable).map(|value| (variable, value))
    });
    match envy::prefixed(INPUT_PREFIX).from_iter::<_, RawInputs>(variables) {
        Ok(raw) => Ok(raw.trimmed()),
        // Every field is an optional string, so envy has nothing to reject; this arm only keeps
        // an unexpected failure visible instead of panicking.
        Err(error) => Err(InputError {
            problems: vec![InputProblem {
                input: "inputs".to_string(),
                given: String::new(),
                accepted: "the INPUT_* variables the runner sets".to_string(),
                fix: format!("Reading the inputs failed: {error}."),
            }],
        }),
    }
}

/// Reads the runner's own variables. Unset and empty values are `None`. Nothing here is
/// required: the OIDC variables are checked where the token is requested, so that a missing
/// `id-token: write` permission is reported as a sign-in failure, not as an invalid input.
fn read_runner_env(lookup: &dyn Fn(&str) -> Option<String>) -> RunnerEnv {
    let value = |name: &str| lookup(name).filter(|value| !value.is_empty());
    RunnerEnv {
        in_actions: lookup("GITHUB_ACTIONS").as_deref() == Some("true"),
        debug: lookup("RUNNER_DEBUG").as_deref() == Some("1"),
        id_token_request_url: value("ACTIONS_ID_TOKEN_REQUEST_URL"),
        id_token_request_token: value("ACTIONS_ID_TOKEN_REQUEST_TOKEN").map(SecretString::new),
        output_file: value("GITHUB_OUTPUT").map(PathBuf::from),
        summary_file: value("GITHUB_STEP_SUMMARY").map(PathBuf::from),
        server_url: value("GITHUB_SERVER_URL"),
        repository: value("GITHUB_REPOSITORY"),
        run_id: value("GITHUB_RUN_ID"),
        run_attempt: value("GITHUB_RUN_ATTEMPT"),
        temp_dir: value("RUNNER_TEMP").map(PathBuf::from),
    }
}

/// Reads every input and runner variable through `lookup` and validates all of them.
pub(super) fn read(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Config, InputError> {
    let raw = read_raw_inputs(lookup)?;
    let runner = read_runner_env(lookup);
    validate(raw, runner, lookup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn js_trim_removes_bom_and_nbsp() {
        assert_eq!(js_trim("\u{feff}x\u{a0}"), "x");
        assert_eq!("\u{feff}x\u{a0}".trim(), "\u{feff}x");
    }

    #[test]
    fn js_trim_whitespace_set() {
        let whitespace = "\t\n\u{b}\u{c}\r \u{a0}\u{1680}\u{2000}\u{200a}\u{2028}\u{2029}\u{202f}\u{205f}\u{3000}\u{feff}";
        assert_eq!(js_trim(&format!("{whitespace}a b{whitespace}")), "a b");
        assert_eq!(js_trim("\u{85}x\u{85}"), "\u{85}x\u{85}");
        assert_eq!(js_trim("\u{200b}x\u{180e}"), "\u{200b}x\u{180e}");
    }

    #[test]
    fn bool_spellings() {
        assert_eq!(parse_bool_input(" True "), Some(true));
        for text in ["true", "True", "TRUE"] {
            assert_eq!(parse_bool_input(text), Some(true), "{text}");
        }
        for text in ["false", "False", "FALSE", "\u{feff}false"] {
            assert_eq!(parse_bool_input(text), Some(false), "{text}");
        }
        for text in ["yes", "tRUE", "1", "0", "on", "", "t"] {
            assert_eq!(parse_bool_input(text), None, "{text}");
        }
    }

    #[test]
    fn input_variable_names() {
        assert_eq!(input_variable("token"), "INPUT_TOKEN");
        assert_eq!(input_variable("my-input"), "INPUT_MY-INPUT");
        assert_eq!(input_variable("My Input"), "INPUT_MY_INPUT");
        assert_eq!(input_variable("some.dotted_name"), "INPUT_SOME.DOTTED_NAME");
    }

    #[test]
    fn every_input_name_reaches_its_field() {
        let pairs: Vec<(String, String)> = INPUT_NAMES
            .iter()
            .map(|name| (input_variable(name), format!("value of {name}")))
            .collect();
        let lookup = move |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        let raw = read_raw_inputs(&lookup).unwrap();
        let fields = [
            ("client-id", raw.client_id),
            ("tenant-id", raw.tenant_id),
            ("subscription-id", raw.subscription_id),
            ("resource-group", raw.resource_group),
            ("vault", raw.vault),
            ("environment", raw.environment),
            ("audience", raw.audience),
            ("authority-host", raw.authority_host),
            ("resource-manager-endpoint", raw.resource_manager_endpoint),
            ("ca-certificates", raw.ca_certificates),
            ("operation", raw.operation),
            ("items", raw.items),
            ("retention-days", raw.retention_days),
            ("wait", raw.wait),
            ("timeout", raw.timeout),
            ("poll-interval", raw.poll_interval),
            ("recovery-point", raw.recovery_point),
            ("max-recovery-point-age", raw.max_recovery_point_age),
            ("target-resource-group", raw.target_resource_group),
            ("staging-storage-account", raw.staging_storage_account),
            ("max-restore-duration", raw.max_restore_duration),
            ("cleanup", raw.cleanup),
            ("validate-only", raw.validate_only),
            ("report-path", raw.report_path),
            ("restored-resource-ids", raw.restored_resource_ids),
            ("if-busy", raw.if_busy),
            ("cancel-on-abort", raw.cancel_on_abort),
            ("vault-type", raw.vault_type),
            ("backup-rule", raw.backup_rule),
            ("retention-tag", raw.retention_tag),
        ];
        assert_eq!(fields.len(), INPUT_NAMES.len());
        for (name, value) in fields {
            assert_eq!(value, Some(format!("value of {name}")), "{name}");
        }
    }
}
