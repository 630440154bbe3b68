//! Ad-hoc backup of a backup instance: `POST {backupVault}/backupInstances/{name}/backup` (202 with
//! `Azure-AsyncOperation`, `Location` and `Retry-After`), which creates the backup job at once, and
//! the operation it starts, read through `…/operationStatus/{id}` and `…/operationResults/{id}` in
//! the vault, resource-group or location scope.

use hyper::header::{HeaderName, LOCATION, RETRY_AFTER};
use hyper::StatusCode;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::path::{BackupVaultPath, OperationScope};
use super::{backup_vault_id, find_backup_vault, find_instance};
use super::{DataProtectionJob, DataProtectionOperation};
use crate::sim::arm::backup::operation_not_found;
use crate::sim::arm::resources::{arm_url, check_subscription};
use crate::sim::arm::response::{arm_error, parse_json_body};
use crate::sim::clock::configured_seconds;
use crate::sim::format;
use crate::sim::http::{SimRequest, SimResponse};
use crate::sim::scenario::{
    BackupInstanceScenario, BackupVaultScenario, OperationJobIdForm, OperationStatusScope,
};
use crate::sim::Simulator;

const AZURE_ASYNC_OPERATION: HeaderName = HeaderName::from_static("azure-asyncoperation");

/// The api-version that the service writes into its polling URLs, as in the service's
/// `TriggerBackup` example. Clients must follow the URLs as given.
const POLLING_API_VERSION: &str = "2025-09-01";

/// The `objectType` of an operation's result.
const OPERATION_RESULT_TYPE: &str = "OperationJobExtendedInfo";

/// Characters escaped in an operation ID inside a URL path: all but letters, digits and `-._~`, so
/// that base64's `=`, `+` and `/` reach the simulator as one segment.
const OPERATION_ID_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Error code for an invalid ad-hoc backup request.
// NOTE: [unverified] the specs' examples show no rejected ad-hoc backup, so the service's real
// code for an unknown rule or tag may differ.
const INVALID_PARAMETER: &str = "UserErrorInvalidRequestParameter";

/// `POST {backupVault}/backupInstances/{name}/backup`.
pub(crate) fn trigger(
    simulator: &Simulator,
    request: &SimRequest,
    path: &BackupVaultPath,
    instance_name: &str,
) -> Result<SimResponse, SimResponse> {
    let (vault_index, instance_index) = find_instance(simulator, path, instance_name)?;
    let vault = &simulator.scenario.arm.backup_vaults[vault_index];
    let instance = &vault.backup_instances[instance_index];
    let (rule_name, retention_tag) = parse_backup_request(&request.body, instance)?;

    let now = simulator.clock.now();
    let operation_id = new_operation_id();
    let job_id = uuid::Uuid::new_v4().to_string();
    let operation_duration = configured_seconds(simulator.scenario.arm.operation_duration_seconds);
    {
        let mut state = simulator.state();
        state
            .data_protection
            .operations
            .push(DataProtectionOperation {
                id: operation_id.clone(),
                vault: vault_index,
                instance: instance_index,
                job_id: job_id.clone(),
                started_at: now,
                completes_at: now + operation_duration,
            });
        state.data_protection.jobs.push(DataProtectionJob {
            id: job_id,
            vault: vault_index,
            instance: instance_index,
            started_at: now,
            activity_id: uuid::Uuid::new_v4().to_string(),
            plan: instance.job.clone(),
            rule_name,
            retention_tag,
        });
    }
    Ok(accepted_with_polling_headers(
        simulator,
        vault,
        instance,
        &operation_id,
    ))
}

/// Builds an operation ID in the service's form: base64 of two GUIDs joined by `;`, which ends in
/// `==`.
fn new_operation_id() -> String {
    let text = format!("{};{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    base64_encode(text.as_bytes())
}

/// Encodes bytes as standard base64 with padding (RFC 4648, section 4).
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let group = chunk.iter().enumerate().fold(0u32, |group, (index, byte)| {
            group | (u32::from(*byte) << (16 - 8 * index))
        });
        for position in 0..4 {
            if position <= chunk.len() {
                let index = (group >> (18 - 6 * position)) & 0x3f;
                text.push(char::from(ALPHABET[index as usize]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

/// Builds the path (without host) of the scope that the vault's polling URLs use.
fn polling_scope_id(simulator: &Simulator, vault: &BackupVaultScenario) -> String {
    match vault.operation_status_scope {
        OperationStatusScope::Vault => backup_vault_id(simulator, vault),
        OperationStatusScope::Location => format!(
            "/subscriptions/{}/providers/Microsoft.DataProtection/locations/{}",
            simulator.scenario.ids.subscription, vault.location
        ),
    }
}

/// Builds a 202 with the three polling headers of a running operation on `instance`. In the vault
/// scope the `Location` has the service's `TriggerBackup` example form, which names the instance
/// under the resource group without the vault:
/// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.DataProtection/backupInstances/{bi}/operationResults/{id}`.
fn accepted_with_polling_headers(
    simulator: &Simulator,
    vault: &BackupVaultScenario,
    instance: &BackupInstanceScenario,
    operation_id: &str,
) -> SimResponse {
    let scope_url = arm_url(simulator, &polling_scope_id(simulator, vault));
    let escaped_id =
        percent_encoding::utf8_percent_encode(operation_id, OPERATION_ID_SEGMENT).to_string();
    let result_url = match vault.operation_status_scope {
        OperationStatusScope::Vault => arm_url(
            simulator,
            &format!(
                "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.DataProtection/backupInstances/{}",
                simulator.scenario.ids.subscription,
                vault.resource_group,
                instance.resolved_name()
            ),
        ),
        OperationStatusScope::Location => scope_url.clone(),
    };
    let retry_after = simulator.scenario.arm.operation_retry_after_seconds;
    SimResponse::empty(StatusCode::ACCEPTED)
        .with_header(
            AZURE_ASYNC_OPERATION,
            format!("{scope_url}/operationStatus/{escaped_id}?api-version={POLLING_API_VERSION}"),
        )
        .with_header(
            LOCATION,
            format!("{result_url}/operationResults/{escaped_id}?api-version={POLLING_API_VERSION}"),
        )
        .with_header(RETRY_AFTER, retry_after.to_string())
}

/// Validates `{"backupRuleOptions":{"ruleName":"…","triggerOption":{"retentionTagOverride":"…"}}}`
/// against the instance's rules. Returns the rule and tag as the scenario spells them.
fn parse_backup_request(
    body: &[u8],
    instance: &BackupInstanceScenario,
) -> Result<(String, String), SimResponse> {
    let invalid = |message: String| arm_error(StatusCode::BAD_REQUEST, INVALID_PARAMETER, message);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid("The request body is missing.".to_owned()));
    }
    let body = parse_json_body(body)?;

    let options = body
        .get("backupRuleOptions")
        .filter(|options| options.is_object())
        .ok_or_else(|| invalid("The body must have a 'backupRuleOptions' object.".to_owned()))?;
    let rule_name = options
        .get("ruleName")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("backupRuleOptions.ruleName must be a string.".to_owned()))?;
    let trigger_option = options
        .get("triggerOption")
        .filter(|option| option.is_object())
        .ok_or_else(|| invalid("backupRuleOptions.triggerOption must be an object.".to_owned()))?;

    let rule_names: Vec<&str> = instance
        .backup_rules
        .iter()
        .map(|rule| rule.name.as_str())
        .collect();
    let rule = instance
        .backup_rules
        .iter()
        .find(|rule| rule.name.eq_ignore_ascii_case(rule_name))
        .ok_or_else(|| {
            invalid(format!(
                "The backup rule '{rule_name}' is not in the policy '{}'. Valid rule names: {}.",
                instance.policy_name,
                rule_names.join(", ")
            ))
        })?;

    // NOTE: [unverified] whether the service requires retentionTagOverride is not documented, so
    // a request without it gets the rule's first tag.
    let retention_tag = match trigger_option.get("retentionTagOverride") {
        None | Some(Value::Null) => rule.retention_tags[0].clone(),
        Some(Value::String(tag)) => rule
            .retention_tags
            .iter()
            .find(|known| known.eq_ignore_ascii_case(tag))
            .cloned()
            .ok_or_else(|| {
                invalid(format!(
                    "The retention tag '{tag}' is not in the backup rule '{}'. Valid tags: {}.",
                    rule.name,
                    rule.retention_tags.join(", ")
                ))
            })?,
        Some(other) => {
            return Err(invalid(format!(
            "backupRuleOptions.triggerOption.retentionTagOverride must be a string, got {other}."
        )))
        }
    };
    Ok((rule.name.clone(), retention_tag))
}

/// Finds an operation that belongs to the scope a path names. Operation IDs are base64 text, so
/// they compare case-sensitively.
fn find_operation(
    simulator: &Simulator,
    scope: &OperationScope,
    operation_id: &str,
) -> Result<DataProtectionOperation, SimResponse> {
    let vaults = &simulator.scenario.arm.backup_vaults;
    let scope_vault = match scope {
        OperationScope::Vault(path) => Some(find_backup_vault(simulator, path)?),
        OperationScope::Location { subscription, .. }
        | OperationScope::ResourceGroup { subscription, .. } => {
            check_subscription(simulator, subscription)?;
            None
        }
    };
    let in_scope = |vault_index: usize| {
        let vault = &vaults[vault_index];
        match scope {
            OperationScope::Vault(_) => scope_vault == Some(vault_index),
            OperationScope::Location { location, .. } => {
                normalized_location(&vault.location) == normalized_location(location)
            }
            OperationScope::ResourceGroup { resource_group, .. } => {
                vault.resource_group.eq_ignore_ascii_case(resource_group)
            }
        }
    };
    simulator
        .state()
        .data_protection
        .operations
        .iter()
        .find(|operation| operation.id == operation_id && in_scope(operation.vault))
        .cloned()
        .ok_or_else(|| operation_not_found(operation_id))
}

/// Lowercases a location and drops its spaces, so that `West Europe` matches `westeurope`.
fn normalized_location(location: &str) -> String {
    location
        .chars()
        .filter(|character| !character.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Returns the `jobId` of a finished operation in the vault's configured form.
fn operation_job_id(simulator: &Simulator, operation: &DataProtectionOperation) -> String {
    let vault = &simulator.scenario.arm.backup_vaults[operation.vault];
    match vault.operation_job_id_form {
        OperationJobIdForm::Guid => operation.job_id.clone(),
        OperationJobIdForm::ArmId => format!(
            "{}/backupJobs/{}",
            backup_vault_id(simulator, vault),
            operation.job_id
        ),
    }
}

/// Builds the path (without host) of a scope as the request named it, spelt from the scenario
/// where the scenario has the name.
fn scope_id(
    simulator: &Simulator,
    scope: &OperationScope,
    operation: &DataProtectionOperation,
) -> String {
    let vault = &simulator.scenario.arm.backup_vaults[operation.vault];
    let subscription = &simulator.scenario.ids.subscription;
    match scope {
        OperationScope::Vault(_) => backup_vault_id(simulator, vault),
        OperationScope::Location { location, .. } => format!(
            "/subscriptions/{subscription}/providers/Microsoft.DataProtection/locations/{location}"
        ),
        OperationScope::ResourceGroup { .. } => format!(
            "/subscriptions/{subscription}/resourceGroups/{}/providers/Microsoft.DataProtection",
            vault.resource_group
        ),
    }
}

/// Builds the `OperationResource` body: `properties` with the job ID appears once the operation
/// has succeeded.
fn operation_status_body(
    simulator: &Simulator,
    scope: &OperationScope,
    operation: &DataProtectionOperation,
    now: OffsetDateTime,
) -> Value {
    let mut body = json!({
        "id": format!("{}/operationStatus/{}", scope_id(simulator, scope, operation), operation.id),
        "name": operation.id,
        "status": "InProgress",
        "startTime": format::dotnet_utc(operation.started_at),
    });
    if now >= operation.completes_at {
        body["status"] = json!("Succeeded");
        body["endTime"] = json!(format::dotnet_utc(operation.completes_at));
        let vault = &simulator.scenario.arm.backup_vaults[operation.vault];
        if vault.operation_status_has_job_id {
            body["properties"] = json!({
                "objectType": OPERATION_RESULT_TYPE,
                "jobId": operation_job_id(simulator, operation),
            });
        }
    }
    body
}

/// `GET …/operationStatus/{id}` in any scope.
pub(crate) fn operation_status(
    simulator: &Simulator,
    scope: &OperationScope,
    operation_id: &str,
) -> Result<SimResponse, SimResponse> {
    let operation = find_operation(simulator, scope, operation_id)?;
    let now = simulator.clock.now();
    Ok(SimResponse::json(
        StatusCode::OK,
        &operation_status_body(simulator, scope, &operation, now),
    ))
}

/// `GET …/operationResults/{id}` in any scope: 202 with the polling headers while the operation
/// runs, then 200 with the job ID.
pub(crate) fn operation_result(
    simulator: &Simulator,
    scope: &OperationScope,
    operation_id: &str,
) -> Result<SimResponse, SimResponse> {
    let operation = find_operation(simulator, scope, operation_id)?;
    if simulator.clock.now() < operation.completes_at {
        let vault = &simulator.scenario.arm.backup_vaults[operation.vault];
        let instance = &vault.backup_instances[operation.instance];
        return Ok(accepted_with_polling_headers(
            simulator,
            vault,
            instance,
            &operation.id,
        ));
    }
    let body = json!({
        "jobId": operation_job_id(simulator, &operation),
        "objectType": OPERATION_RESULT_TYPE,
    });
    Ok(SimResponse::json(StatusCode::OK, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<(String, String), String> {
        let instance = BackupInstanceScenario {
            datasource_name: "disk-app01".to_owned(),
            backup_rules: vec![crate::sim::scenario::BackupRuleScenario {
                name: "BackupWeekly".to_owned(),
                retention_tags: vec!["Default".to_owned(), "Yearly".to_owned()],
            }],
            ..BackupInstanceScenario::default()
        };
        parse_backup_request(body.as_bytes(), &instance).map_err(|response| {
            let body: Value = serde_json::from_slice(&response.body).unwrap();
            format!("{} {}", response.status.as_u16(), body["error"]["message"])
        })
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(input.as_bytes()), expected, "{input}");
        }
        assert!(new_operation_id().ends_with("=="));
    }

    #[test]
    fn backup_request_matches_rules_case_insensitively() {
        assert_eq!(
            parse(
                r#"{"backupRuleOptions":{"ruleName":"backupweekly","triggerOption":{"retentionTagOverride":"yearly"}}}"#
            ),
            Ok(("BackupWeekly".to_owned(), "Yearly".to_owned()))
        );
        assert_eq!(
            parse(r#"{"backupRuleOptions":{"ruleName":"BackupWeekly","triggerOption":{}}}"#),
            Ok(("BackupWeekly".to_owned(), "Default".to_owned()))
        );
    }

    #[test]
    fn backup_request_rejects_invalid_bodies() {
        for body in [
            "",
            "not json",
            "{}",
            r#"{"backupRuleOptions":{"triggerOption":{}}}"#,
            r#"{"backupRuleOptions":{"ruleName":"BackupWeekly"}}"#,
            r#"{"backupRuleOptions":{"ruleName":"BackupWeekly","triggerOption":{"retentionTagOverride":5}}}"#,
        ] {
            let error = parse(body).unwrap_err();
            assert!(error.starts_with("400 "), "{body}: {error}");
        }
        let wrong_rule = parse(
            r#"{"backupRuleOptions":{"ruleName":"BackupHourly","triggerOption":{"retentionTagOverride":"Default"}}}"#,
        )
        .unwrap_err();
        assert!(wrong_rule.contains("'BackupHourly'"), "{wrong_rule}");
        assert!(wrong_rule.contains("BackupWeekly"), "{wrong_rule}");
        let wrong_tag = parse(
            r#"{"backupRuleOptions":{"ruleName":"BackupWeekly","triggerOption":{"retentionTagOverride":"Monthly"}}}"#,
        )
        .unwrap_err();
        assert!(wrong_tag.contains("'Monthly'"), "{wrong_tag}");
        assert!(wrong_tag.contains("Default, Yearly"), "{wrong_tag}");
    }
}
