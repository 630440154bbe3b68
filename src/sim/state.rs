//! The simulator's mutable state, shared by the three services: the request log, issued tokens,
//! redeemed assertions, backup and restore operations and jobs, and job cancellations. It also
//! contains the managed disks and their deletions, Backup vault operations and jobs, list continuation tokens, ARM's rate-limit
//! budgets and how often each scripted fault matched.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use time::OffsetDateTime;

use super::arm::cancel::JobCancellation;
use super::arm::compute::ComputeState;
use super::arm::data_protection::DataProtectionState;
use super::arm::restore::RestoreDetails;
use super::arm::throttle::RateLimitBudgets;
use super::faults::FaultCounts;
use super::scenario::JobScenario;

/// The simulated service that received a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ServiceKind {
    Github,
    Entra,
    Arm,
}

/// One entry of the request log that `GET {admin_url}/requests` returns.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RequestRecord {
    pub(crate) service: ServiceKind,
    pub(crate) method: String,
    /// The path with every segment percent-decoded.
    pub(crate) path: String,
    /// The query string as sent.
    pub(crate) query: String,
    pub(crate) status: u16,
    /// Simulated time of the request, RFC 3339.
    pub(crate) time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error_code: Option<String>,
    /// The bearer token the request carried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) bearer_token: Option<String>,
    /// `jti` of the client assertion in an Entra token request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) assertion_id: Option<String>,
    /// `x-ms-client-request-id` or `client-request-id`, when the client sent one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) client_request_id: Option<String>,
    /// The kind of scripted fault applied to the request (`status`, `reset_before_body`, …). With
    /// a fault, `status` is the status of the reply the simulator built, which the client may not
    /// have received whole or at all, and 0 when no reply was built.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fault: Option<String>,
}

/// A GitHub OIDC token that the simulator issued.
#[derive(Debug, Clone)]
pub(crate) struct IssuedIdToken {
    pub(crate) token: String,
    pub(crate) token_id: String,
    pub(crate) subject: String,
    pub(crate) audience: String,
    pub(crate) issued_at: OffsetDateTime,
    pub(crate) expires_at: OffsetDateTime,
}

/// An ARM access token that the simulated Entra ID issued.
#[derive(Debug, Clone)]
pub(crate) struct IssuedAccessToken {
    pub(crate) token: String,
    pub(crate) client_id: String,
    /// The resource part of the requested scope (`…/.default` removed).
    pub(crate) resource: String,
    pub(crate) issued_at: OffsetDateTime,
    pub(crate) expires_at: OffsetDateTime,
}

/// The long-running operation that a backup or restore trigger starts.
#[derive(Debug, Clone)]
pub(crate) struct BackupOperation {
    pub(crate) id: String,
    pub(crate) vault: usize,
    pub(crate) item: usize,
    /// The job the operation created. No job exists when `failure` is set.
    pub(crate) job_id: String,
    pub(crate) started_at: OffsetDateTime,
    pub(crate) completes_at: OffsetDateTime,
    /// The error the operation ends with at `completes_at`, instead of `Succeeded`.
    pub(crate) failure: Option<OperationFailure>,
}

/// The `error` of an operation that ends `Failed`.
#[derive(Debug, Clone)]
pub(crate) struct OperationFailure {
    pub(crate) code: &'static str,
    pub(crate) message: &'static str,
}

/// A backup job, or a restore job when `restore` is set. Its status is derived from the simulated
/// time and its scenario.
#[derive(Debug, Clone)]
pub(crate) struct BackupJob {
    pub(crate) id: String,
    pub(crate) vault: usize,
    pub(crate) item: usize,
    pub(crate) started_at: OffsetDateTime,
    pub(crate) activity_id: String,
    /// The item's job scenario when the job was triggered.
    pub(crate) plan: JobScenario,
    pub(crate) recovery_point_expiry: Option<OffsetDateTime>,
    /// The recovery point, staging account and target group of a restore job.
    pub(crate) restore: Option<RestoreDetails>,
    /// When a cancel request reached the job while it ran.
    pub(crate) cancel_requested_at: Option<OffsetDateTime>,
}

impl BackupJob {
    /// Returns the job's `operation` value: `Restore` or `Backup`.
    pub(crate) fn operation(&self) -> &'static str {
        if self.restore.is_some() {
            "Restore"
        } else {
            "Backup"
        }
    }
}

/// Everything that changes while the simulator runs.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) requests: Vec<RequestRecord>,
    pub(crate) id_tokens: Vec<IssuedIdToken>,
    pub(crate) access_tokens: Vec<IssuedAccessToken>,
    /// `jti` values of assertions that were exchanged for an access token.
    pub(crate) redeemed_assertion_ids: HashSet<String>,
    pub(crate) operations: Vec<BackupOperation>,
    /// Jobs in the order they were created.
    pub(crate) jobs: Vec<BackupJob>,
    /// Continuation token → offset of the next page.
    pub(crate) skip_tokens: HashMap<String, usize>,
    pub(crate) rate_limits: RateLimitBudgets,
    pub(crate) job_cancellations: Vec<JobCancellation>,
    pub(crate) fault_counts: FaultCounts,
    /// Managed disks and their deletions.
    pub(crate) compute: ComputeState,
    /// Backup vault operations and jobs.
    pub(crate) data_protection: DataProtectionState,
}

impl State {
    pub(crate) fn access_token(&self, token: &str) -> Option<&IssuedAccessToken> {
        self.access_tokens
            .iter()
            .find(|issued| issued.token == token)
    }

    pub(crate) fn operation(&self, id: &str) -> Option<&BackupOperation> {
        self.operations
            .iter()
            .find(|operation| operation.id.eq_ignore_ascii_case(id))
    }

    pub(crate) fn job(&self, id: &str) -> Option<&BackupJob> {
        self.jobs.iter().find(|job| job.id.eq_ignore_ascii_case(id))
    }

    /// Stores a continuation token for a list page that starts at `offset`.
    pub(crate) fn issue_skip_token(&mut self, offset: usize) -> String {
        let token = uuid::Uuid::new_v4().simple().to_string();
        self.skip_tokens.insert(token.clone(), offset);
        token
    }
}
