//! The drill's evidence: one JSON document per run, schema version [`SCHEMA_VERSION`], that an
//! auditor can read without this tool. The README documents every field.

use serde::Serialize;

/// Version of the report's schema; raised on any change that removes or renames a field.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DrillReport {
    pub schema_version: u32,
    pub tool: String,
    pub tool_version: String,
    /// `restore-drill` or `cleanup`.
    pub operation: String,
    /// `passed` or `failed`.
    pub result: String,
    pub failure_reason: Option<String>,
    pub validate_only: bool,
    pub who: Who,
    pub what: What,
    pub target: Target,
    pub gates: Gates,
    pub restore_job: Option<JobReport>,
    pub restored_resources: Vec<ResourceReport>,
    pub cleanup: CleanupReport,
    pub phases: Vec<Phase>,
}

/// The workflow identity that signed in and ran the drill.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Who {
    /// The `sub` claim of the GitHub OIDC token presented to Entra ID.
    pub subject: Option<String>,
    pub repository: Option<String>,
    pub run_id: Option<String>,
    pub run_attempt: Option<String>,
    pub run_url: Option<String>,
}

/// The vault, item and recovery point the drill restored.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct What {
    pub vault: String,
    pub item: Option<String>,
    pub source_resource_id: Option<String>,
    pub recovery_point: Option<PointReport>,
}

/// The chosen recovery point.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PointReport {
    pub name: String,
    pub id: String,
    /// RFC 3339, UTC.
    pub time: String,
    pub age_seconds: u64,
    #[serde(rename = "type")]
    pub kind: String,
}

/// The drill's restore target.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub resource_group: Option<String>,
    pub staging_storage_account: Option<String>,
}

/// The RPO and RTO gates.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Gates {
    pub rpo: Gate,
    pub rto: Gate,
}

/// One gate: its limit, the measured value and the verdict; `None` where not set or not reached.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Gate {
    pub max_seconds: Option<u64>,
    pub actual_seconds: Option<u64>,
    pub passed: Option<bool>,
}

/// The restore job.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobReport {
    pub id: Option<String>,
    pub status: String,
    pub service_status: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub duration_seconds: Option<u64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

/// A resource the restore created (or one expected and missing, with an empty `id`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceReport {
    pub id: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub size_gb: Option<u64>,
    pub sku: Option<String>,
    pub provisioning_state: Option<String>,
    pub verified: bool,
    pub problem: Option<String>,
}

/// The outcome of clean-up.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CleanupReport {
    /// `always`, `on-success` or `never` (`cleanup` operation: `always`).
    pub policy: String,
    pub performed: bool,
    pub deleted: Vec<String>,
    pub failed: Vec<CleanupFailure>,
    /// Restored resources left in place (by policy, or because clean-up did not run).
    pub left: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CleanupFailure {
    pub id: String,
    pub error: String,
}

/// One phase of the run with its UTC start and end.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub name: String,
    pub start: String,
    pub end: String,
    /// `passed`, `failed` or `skipped`.
    pub outcome: String,
}
