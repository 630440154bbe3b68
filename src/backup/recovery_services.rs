//! Recovery Services vault calls: the vault, its protected VMs, the backup trigger and jobs.

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::jobs::JobSnapshot;
use crate::arm::{
    get_all_pages, poll_operation, protected_item_names, ArmClient, ArmError, OperationOutcome,
};
use crate::config::{VaultId, VaultKind};

/// The api-version of every Recovery Services backup call this tool builds. Current Azure CLI and
/// Python SDK releases send it too; URLs the service hands back keep their own version.
pub const RECOVERY_SERVICES_API_VERSION: &str = "2026-08-01";

/// The filter that lists Azure VMs protected in a vault, as Microsoft's example writes it.
const VM_ITEMS_FILTER: &str = "backupManagementType eq 'AzureIaasVM' and itemType eq 'VM'";

/// A protected VM as the vault lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedItem {
    pub id: String,
    pub friendly_name: String,
    pub container: String,
    pub item: String,
    /// The protected VM's resource ID (`sourceResourceId`, else `virtualMachineId`).
    pub source_resource_id: Option<String>,
}

impl ProtectedItem {
    /// Returns the item's path below the vault, for recovery point and trigger URLs.
    pub fn path(&self, vault: &VaultId) -> String {
        format!(
            "{}/backupFabrics/Azure/protectionContainers/{}/protectedItems/{}",
            vault.resource_id(),
            encode_segment(&self.container),
            encode_segment(&self.item)
        )
    }
}

/// Reads the vault, so a wrong name fails before anything else, and returns its resource body.
pub(crate) async fn get_vault(arm: &ArmClient, vault: &VaultId) -> Result<Value, ArmError> {
    let url = arm.url(&vault.resource_id(), RECOVERY_SERVICES_API_VERSION, &[]);
    arm.get(&url).await?.json()
}

/// Lists the vault's protected Azure VMs, following `nextLink` as given.
pub(crate) async fn list_vm_items(
    arm: &ArmClient,
    vault: &VaultId,
) -> Result<Vec<ProtectedItem>, ArmError> {
    let path = format!("{}/backupProtectedItems", vault.resource_id());
    let url = arm.url(
        &path,
        RECOVERY_SERVICES_API_VERSION,
        &[("$filter", VM_ITEMS_FILTER)],
    );
    let mut items = Vec::new();
    for value in get_all_pages(arm, &url).await? {
        match parse_item(&value) {
            Some(item) => items.push(item),
            None => tracing::debug!("Skipped a protected item without id or friendlyName"),
        }
    }
    Ok(items)
}

fn parse_item(value: &Value) -> Option<ProtectedItem> {
    let id = value.get("id")?.as_str()?;
    let properties = value.get("properties")?;
    let friendly_name = properties.get("friendlyName")?.as_str()?;
    let names = protected_item_names(id)?;
    let source_resource_id = ["sourceResourceId", "virtualMachineId"]
        .iter()
        .find_map(|key| properties.get(*key).and_then(Value::as_str))
        .map(str::to_string);
    Some(ProtectedItem {
        id: id.to_string(),
        friendly_name: friendly_name.to_string(),
        container: names.container,
        item: names.item,
        source_resource_id,
    })
}

/// The result of a backup trigger: the job it started, or the error of the start.
pub(crate) enum TriggerResult {
    Started { job_id: String },
    OperationFailed { code: String, message: String },
}

/// Starts an on-demand backup whose recovery point expires at `expiry`, then follows the
/// operation to the job id. The POST is sent once; a lost reply is not repeated automatically.
pub(super) async fn trigger_backup(
    arm: &ArmClient,
    vault: &VaultId,
    item: &ProtectedItem,
    expiry: OffsetDateTime,
) -> Result<TriggerResult, ArmError> {
    let url = arm.url(
        &format!("{}/backup", item.path(vault)),
        RECOVERY_SERVICES_API_VERSION,
        &[],
    );
    let body = json!({
        "properties": {
            "objectType": "IaasVMBackupRequest",
            "recoveryPointExpiryTimeInUTC": format_expiry(expiry),
        }
    });
    let what = format!("the backup operation of {}", item.friendly_name);
    start_job(arm, &url, &body, &what).await
}

/// POSTs a request that starts a job (backup or restore) once, follows its operation, and
/// returns the job id from the operation's result.
pub(crate) async fn start_job(
    arm: &ArmClient,
    url: &str,
    body: &Value,
    what: &str,
) -> Result<TriggerResult, ArmError> {
    let accepted = arm.post(url, body).await?;
    let outcome = poll_operation(arm, &accepted.headers, what).await?;
    job_from_operation(&outcome, what)
}

pub(crate) fn job_from_operation(
    outcome: &OperationOutcome,
    what: &str,
) -> Result<TriggerResult, ArmError> {
    if !outcome.succeeded() {
        let (code, message) = outcome.error();
        return Ok(TriggerResult::OperationFailed {
            code: if code.is_empty() {
                outcome.status.clone()
            } else {
                code
            },
            message,
        });
    }
    // The job id is in `properties.jobId` of an operation status. A Data Protection operation
    // result carries it at the top (`jobId`), and one documented Recovery Services reply carries
    // the job resource itself, so its `name` is the last fallback. Data Protection gives the id
    // as a GUID or as the job's full ARM ID, so only the last segment is kept.
    let body = outcome.body.as_ref();
    let job_id = operation_job_id(body)
        .or_else(|| {
            body.and_then(|body| body.get("name"))
                .and_then(Value::as_str)
        })
        .map(|id| id.rsplit('/').next().unwrap_or(id).to_string())
        .filter(|id| !id.is_empty());
    match job_id {
        Some(job_id) => Ok(TriggerResult::Started { job_id }),
        None => Err(ArmError::InvalidReply {
            path: what.to_string(),
            detail: "the operation succeeded but named no job (properties.jobId)".to_string(),
        }),
    }
}

/// Returns the job ID that an operation status (`properties.jobId`) or a Data Protection
/// operation result (`jobId`) names.
pub(crate) fn operation_job_id(body: Option<&Value>) -> Option<&str> {
    let body = body?;
    body.get("properties")
        .and_then(|properties| properties.get("jobId"))
        .or_else(|| body.get("jobId"))
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
}

/// Reads one backup job, of either vault kind: both serve jobs at `{vault}/backupJobs/{id}`.
pub(crate) async fn get_job(
    arm: &ArmClient,
    vault: &VaultId,
    job_id: &str,
) -> Result<JobSnapshot, ArmError> {
    let path = format!(
        "{}/backupJobs/{}",
        vault.resource_id(),
        encode_segment(job_id)
    );
    let api_version = match vault.kind {
        VaultKind::RecoveryServices => RECOVERY_SERVICES_API_VERSION,
        VaultKind::Backup => super::data_protection::DATA_PROTECTION_API_VERSION,
    };
    let url = arm.url(&path, api_version, &[]);
    let response = arm.get(&url).await?;
    let body: Value = response.json()?;
    JobSnapshot::from_json(&body).ok_or_else(|| ArmError::InvalidReply {
        path,
        detail: "the job has no properties.status".to_string(),
    })
}

/// Formats the recovery point expiry in the form the service's documentation shows.
fn format_expiry(expiry: OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    expiry
        .to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// Escapes a name for one path segment. `;` stays literal, as Azure's own clients send it in
/// container and item names.
pub(crate) fn encode_segment(name: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'/')
        .add(b'?')
        .add(b'<')
        .add(b'>')
        .add(b'\\')
        .add(b'`')
        .add(b'{')
        .add(b'}');
    percent_encoding::utf8_percent_encode(name, SEGMENT).to_string()
}

/// The code Azure Backup gives a backup started while another runs for the same item.
pub(crate) const BACKUP_IN_PROGRESS_CODE: &str = "UserErrorBackupOperationInProgress";

/// Finds a backup job of `item` that is running now (a scheduled backup, another workflow's,
/// or ours whose reply was lost), newest first, by listing the vault's running backup jobs.
pub(crate) async fn find_running_backup_job(
    arm: &ArmClient,
    vault: &VaultId,
    friendly_name: &str,
) -> Result<Option<String>, ArmError> {
    find_running_job(arm, vault, friendly_name, "Backup").await
}

/// Finds the newest running job of `operation` (`Backup` or `Restore`) for the item named
/// `friendly_name`.
pub(crate) async fn find_running_job(
    arm: &ArmClient,
    vault: &VaultId,
    friendly_name: &str,
    operation: &str,
) -> Result<Option<String>, ArmError> {
    let path = format!("{}/backupJobs", vault.resource_id());
    let filter = format!(
        "operation eq '{operation}' and status eq 'InProgress' and backupManagementType eq 'AzureIaasVM'"
    );
    let url = arm.url(
        &path,
        RECOVERY_SERVICES_API_VERSION,
        &[("$filter", &filter)],
    );
    let mut newest: Option<(OffsetDateTime, String)> = None;
    for job in get_all_pages(arm, &url).await? {
        let properties = &job["properties"];
        let same_item = properties["entityFriendlyName"]
            .as_str()
            .is_some_and(|name| name.eq_ignore_ascii_case(friendly_name));
        let running = properties["status"]
            .as_str()
            .is_some_and(|status| status.eq_ignore_ascii_case("InProgress"));
        let Some(name) = job["name"].as_str() else {
            continue;
        };
        if same_item && running {
            let started = properties["startTime"]
                .as_str()
                .and_then(super::jobs::parse_service_time)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH);
            if newest.as_ref().is_none_or(|(time, _)| started > *time) {
                newest = Some((started, name.to_string()));
            }
        }
    }
    Ok(newest.map(|(_, name)| name))
}

/// Asks Azure Backup to cancel a job, without waiting for the cancellation to finish.
pub(crate) async fn cancel_job(
    arm: &ArmClient,
    vault: &VaultId,
    job_id: &str,
) -> Result<(), ArmError> {
    let path = format!(
        "{}/backupJobs/{}/cancel",
        vault.resource_id(),
        encode_segment(job_id)
    );
    let url = arm.url(&path, RECOVERY_SERVICES_API_VERSION, &[]);
    arm.post(&url, &json!({})).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_utc_with_z() {
        let when = time::macros::datetime!(2025-05-31 00:00:00 +02:00);
        assert_eq!(format_expiry(when), "2025-05-30T22:00:00Z");
    }

    #[test]
    fn segments_keep_semicolons() {
        assert_eq!(
            encode_segment("VM;iaasvmcontainerv2;rg;vm 1/x"),
            "VM;iaasvmcontainerv2;rg;vm%201%2Fx"
        );
    }

    #[test]
    fn job_id_from_status_or_name() {
        let outcome = OperationOutcome {
            status: "Succeeded".into(),
            body: Some(json!({"properties": {"jobId": "/x/backupJobs/abc"}})),
        };
        assert!(matches!(
            job_from_operation(&outcome, "w").unwrap(),
            TriggerResult::Started { job_id } if job_id == "abc"
        ));
        let outcome = OperationOutcome {
            status: "Succeeded".into(),
            body: Some(json!({"name": "def", "properties": {"status": "InProgress"}})),
        };
        assert!(matches!(
            job_from_operation(&outcome, "w").unwrap(),
            TriggerResult::Started { job_id } if job_id == "def"
        ));
    }

    #[test]
    fn failed_operation_keeps_error() {
        let outcome = OperationOutcome {
            status: "Failed".into(),
            body: Some(
                json!({"status": "Failed", "error": {"code": "UserErrorBackupOperationInProgress", "message": "busy"}}),
            ),
        };
        assert!(matches!(
            job_from_operation(&outcome, "w").unwrap(),
            TriggerResult::OperationFailed { code, .. } if code == "UserErrorBackupOperationInProgress"
        ));
    }
}
