//! The seam between the drill and what it restores: a workload lists recovery points, checks the
//! target, starts the restore and finds and verifies what the restore created. A new workload
//! (for example managed disks in a Backup vault) is one new implementation of [`RestoreWorkload`].

use std::collections::BTreeSet;

use time::OffsetDateTime;

use crate::arm::{ArmClient, ArmError};
use crate::config::DrillSettings;

/// A recovery point as the drill needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryPoint {
    /// The point's name, which restore requests use in path and body.
    pub name: String,
    pub id: String,
    pub time: OffsetDateTime,
    /// `recoveryPointType`, such as `AppConsistent` or `CrashConsistent`.
    pub kind: String,
}

/// A resource the restore created, with what verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredResource {
    pub id: String,
    pub resource_type: String,
    pub size_gb: Option<u64>,
    pub sku: Option<String>,
    pub provisioning_state: Option<String>,
    /// The reason the resource failed verification, or `None` when it passed.
    pub problem: Option<String>,
}

/// A check before the restore that did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetProblem {
    /// The resource the problem concerns.
    pub resource: String,
    pub message: String,
}

/// One kind of restorable item.
#[async_trait::async_trait]
pub trait RestoreWorkload: Send + Sync {
    /// Returns the source's name for messages and the report.
    fn source_name(&self) -> &str;

    /// Returns the source's resource ID, when known.
    fn source_resource_id(&self) -> Option<&str>;

    /// Lists every recovery point of the source.
    async fn recovery_points(&self, arm: &ArmClient) -> Result<Vec<RecoveryPoint>, ArmError>;

    /// Checks that the target exists and that the caller may restore into it.
    async fn check_target(
        &self,
        arm: &ArmClient,
        settings: &DrillSettings,
    ) -> Result<Vec<TargetProblem>, ArmError>;

    /// Lists the IDs of the resources in the target now, so the drill can tell what the restore
    /// adds.
    async fn target_inventory(
        &self,
        arm: &ArmClient,
        settings: &DrillSettings,
    ) -> Result<BTreeSet<String>, ArmError>;

    /// Starts the restore of `point` and returns the restore job's ID, or the error code and
    /// message of an operation that failed.
    async fn start_restore(
        &self,
        arm: &ArmClient,
        settings: &DrillSettings,
        point: &RecoveryPoint,
    ) -> Result<Result<String, (String, String)>, ArmError>;

    /// Reads the restore job.
    async fn restore_job(
        &self,
        arm: &ArmClient,
        job_id: &str,
    ) -> Result<crate::backup::JobSnapshot, ArmError>;

    /// Finds the resources the restore created (those not in `before`) and verifies each.
    async fn restored_resources(
        &self,
        arm: &ArmClient,
        settings: &DrillSettings,
        before: &BTreeSet<String>,
    ) -> Result<Vec<RestoredResource>, ArmError>;

    /// Returns the api-version to delete a restored resource with.
    fn delete_api_version(&self) -> &'static str;
}
