//! Backup vault (`Microsoft.DataProtection/backupVaults`) calls: the backup instances and the
//! on-demand (ad-hoc) backup trigger. Jobs are read by `recovery_services::get_job`, because both
//! vault kinds serve them at `{vault}/backupJobs/{id}`.

use serde_json::{json, Value};

use reqwest::header::{HeaderMap, HeaderValue};

use super::recovery_services::{
    encode_segment, job_from_operation, operation_job_id, ProtectedItem, TriggerResult,
};
use crate::arm::{get_all_pages, poll_operation, ArmClient, ArmError};
use crate::config::{BackupRule, VaultId};

/// The api-version of every Data Protection call this tool builds: the newest stable version of
/// the Backup vault REST API specification, 2025-09-01. URLs the service hands back keep their own.
pub const DATA_PROTECTION_API_VERSION: &str = "2025-09-01";

/// Lists the vault's backup instances, following `nextLink` as given. Each becomes a
/// [`ProtectedItem`] whose `item` is the instance name, which the service generates (such as
/// `disk-app01-<guid>`), and whose `friendly_name` is the instance's friendly name.
pub(crate) async fn list_instances(
    arm: &ArmClient,
    vault: &VaultId,
) -> Result<Vec<ProtectedItem>, ArmError> {
    let path = format!("{}/backupInstances", vault.resource_id());
    let url = arm.url(&path, DATA_PROTECTION_API_VERSION, &[]);
    let mut instances = Vec::new();
    for value in get_all_pages(arm, &url).await? {
        match parse_instance(&value) {
            Some(instance) => instances.push(instance),
            None => tracing::debug!("Skipped a backup instance without id or name"),
        }
    }
    Ok(instances)
}

/// Reads an instance. The friendly name falls back to the data source's name, then to the
/// instance name, since the example replies do not always carry `friendlyName`.
fn parse_instance(value: &Value) -> Option<ProtectedItem> {
    let id = value.get("id")?.as_str()?;
    let name = value.get("name")?.as_str()?;
    let properties = value.get("properties");
    let data_source = properties.and_then(|properties| properties.get("dataSourceInfo"));
    let text = |object: Option<&Value>, key: &str| {
        object
            .and_then(|object| object.get(key))
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
            .map(str::to_string)
    };
    let friendly_name = text(properties, "friendlyName")
        .or_else(|| text(data_source, "resourceName"))
        .unwrap_or_else(|| name.to_string());
    Some(ProtectedItem {
        id: id.to_string(),
        friendly_name,
        container: String::new(),
        item: name.to_string(),
        source_resource_id: text(data_source, "resourceID"),
    })
}

/// Starts an on-demand backup of `instance` by `rule`, then follows the operation to the job id.
/// The POST is sent once; a lost reply is not repeated.
pub(crate) async fn trigger_backup(
    arm: &ArmClient,
    vault: &VaultId,
    instance: &ProtectedItem,
    rule: &BackupRule,
) -> Result<TriggerResult, ArmError> {
    let path = format!(
        "{}/backupInstances/{}/backup",
        vault.resource_id(),
        encode_segment(&instance.item)
    );
    let url = arm.url(&path, DATA_PROTECTION_API_VERSION, &[]);
    let body = json!({
        "backupRuleOptions": {
            "ruleName": rule.name,
            "triggerOption": {"retentionTagOverride": rule.retention_tag},
        }
    });
    let what = format!("the backup operation of {}", instance.friendly_name);
    let accepted = arm.post(&url, &body).await?;
    let mut outcome = poll_operation(arm, &accepted.headers, &what).await?;
    // A succeeded status may carry no job ID, as the service's GetOperationStatus example shows;
    // the operation result (`Location`) names it then.
    if outcome.succeeded() && operation_job_id(outcome.body.as_ref()).is_none() {
        if let Some(location) = accepted.headers.get("location").cloned() {
            let mut result_headers = HeaderMap::new();
            result_headers.insert("location", location);
            // The operation has ended, so its result is read at once.
            result_headers.insert("retry-after", HeaderValue::from_static("0"));
            outcome = poll_operation(arm, &result_headers, &what).await?;
        }
    }
    if outcome.succeeded() && operation_job_id(outcome.body.as_ref()).is_none() {
        return Err(ArmError::InvalidReply {
            path: what,
            detail: "the operation succeeded, but neither its status nor its result named a job \
                     (jobId)"
                .to_string(),
        });
    }
    job_from_operation(&outcome, &what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_names_fall_back() {
        let full = json!({
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.DataProtection/backupVaults/bv/backupInstances/disk1-0001",
            "name": "disk1-0001",
            "properties": {
                "friendlyName": "disk1",
                "dataSourceInfo": {"resourceName": "disk1-source", "resourceID": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/disk1"}
            }
        });
        let instance = parse_instance(&full).unwrap();
        assert_eq!(instance.friendly_name, "disk1");
        assert_eq!(instance.item, "disk1-0001");
        assert!(instance
            .source_resource_id
            .unwrap()
            .ends_with("/disks/disk1"));

        let mut no_friendly = full.clone();
        no_friendly["properties"]
            .as_object_mut()
            .unwrap()
            .remove("friendlyName");
        assert_eq!(
            parse_instance(&no_friendly).unwrap().friendly_name,
            "disk1-source"
        );

        let bare = json!({"id": "/x/backupInstances/b1", "name": "b1"});
        assert_eq!(parse_instance(&bare).unwrap().friendly_name, "b1");
        assert!(parse_instance(&json!({"name": "b1"})).is_none());
    }
}
