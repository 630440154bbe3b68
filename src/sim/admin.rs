//! Test endpoints under `/_sim` on the ARM listener, without authentication. They return the
//! request log of all three services, every issued token, the backup and restore jobs, the ARM
//! resources that exist, and the scripted faults with how often each fired. They also read the
//! simulated clock or move it forward. Their own requests are not logged and never faulted.

use hyper::{Method, StatusCode};
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::arm::data_protection::jobs::job_state as data_protection_job_state;
use super::arm::data_protection::BACKUP_VAULT_TYPE;
use super::arm::inventory;
use super::arm::jobs::job_state;
use super::clock::MAX_ADVANCE_SECONDS;
use super::faults;
use super::format;
use super::http::{SimRequest, SimResponse};
use super::Simulator;

/// The `vault_type` of Recovery Services jobs in `/_sim/jobs`.
const RECOVERY_SERVICES_VAULT_TYPE: &str = "Microsoft.RecoveryServices/vaults";

/// First path segment of the admin endpoints.
pub(crate) const PATH_PREFIX: &str = "_sim";

pub(crate) fn is_admin_path(request: &SimRequest) -> bool {
    request
        .segments
        .first()
        .is_some_and(|segment| segment == PATH_PREFIX)
}

pub(crate) fn handle(simulator: &Simulator, request: &SimRequest) -> SimResponse {
    let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
    match (&request.method, segments.as_slice()) {
        (&Method::GET, [PATH_PREFIX, "requests"]) => {
            let requests = simulator.state().requests.clone();
            SimResponse::json(StatusCode::OK, &json!(requests))
        }
        (&Method::GET, [PATH_PREFIX, "tokens"]) => tokens(simulator),
        (&Method::GET, [PATH_PREFIX, "jobs"]) => jobs(simulator),
        (&Method::GET, [PATH_PREFIX, "resources"]) => {
            SimResponse::json(StatusCode::OK, &inventory::resources(simulator))
        }
        (&Method::GET, [PATH_PREFIX, "clock"]) => clock(simulator),
        (&Method::GET, [PATH_PREFIX, "faults"]) => {
            SimResponse::json(StatusCode::OK, &faults::report(simulator))
        }
        (&Method::POST, [PATH_PREFIX, "clock", "advance"]) => advance_clock(simulator, request),
        _ => SimResponse::json(
            StatusCode::NOT_FOUND,
            &json!({ "message": "Admin endpoints: GET /_sim/requests, /_sim/tokens, /_sim/jobs, /_sim/resources, /_sim/clock, /_sim/faults; POST /_sim/clock/advance?seconds=N." }),
        ),
    }
}

/// Returns the simulated time and the clock speed.
fn clock(simulator: &Simulator) -> SimResponse {
    SimResponse::json(
        StatusCode::OK,
        &json!({
            "now": format::rfc3339(simulator.clock.now()),
            "speed": simulator.clock.speed(),
        }),
    )
}

/// Moves the simulated clock forward by the `seconds` query parameter and returns the new time.
fn advance_clock(simulator: &Simulator, request: &SimRequest) -> SimResponse {
    let seconds = request.query_value("seconds").unwrap_or_default();
    let Ok(seconds) = seconds.parse::<u64>() else {
        return SimResponse::json(
            StatusCode::BAD_REQUEST,
            &json!({ "message": format!("seconds must be a whole number of seconds, got '{seconds}'") }),
        );
    };
    if seconds > MAX_ADVANCE_SECONDS {
        return SimResponse::json(
            StatusCode::BAD_REQUEST,
            &json!({ "message": format!("seconds must be at most {MAX_ADVANCE_SECONDS}, got {seconds}") }),
        );
    }
    simulator.clock.advance(seconds);
    clock(simulator)
}

/// Returns every GitHub OIDC token and ARM access token issued so far, oldest first.
fn tokens(simulator: &Simulator) -> SimResponse {
    let state = simulator.state();
    let github_tokens: Vec<Value> = state
        .id_tokens
        .iter()
        .map(|issued| {
            json!({
                "token": issued.token,
                "jti": issued.token_id,
                "sub": issued.subject,
                "aud": issued.audience,
                "issued_at": format::rfc3339(issued.issued_at),
                "expires_at": format::rfc3339(issued.expires_at),
            })
        })
        .collect();
    let access_tokens: Vec<Value> = state
        .access_tokens
        .iter()
        .map(|issued| {
            json!({
                "token": issued.token,
                "client_id": issued.client_id,
                "resource": issued.resource,
                "issued_at": format::rfc3339(issued.issued_at),
                "expires_at": format::rfc3339(issued.expires_at),
            })
        })
        .collect();
    SimResponse::json(
        StatusCode::OK,
        &json!({ "github_tokens": github_tokens, "access_tokens": access_tokens }),
    )
}

/// Returns every backup and restore job with its current status, oldest first, from Recovery
/// Services vaults and Backup vaults alike. `vault_type` distinguishes them. Restore jobs also name
/// their recovery point, staging storage account and target resource group, and Backup vault jobs
/// their backup instance, data source, backup rule and retention tag.
fn jobs(simulator: &Simulator) -> SimResponse {
    let now = simulator.clock.now();
    let state = simulator.state();
    let mut jobs: Vec<(OffsetDateTime, Value)> = state
        .jobs
        .iter()
        .map(|job| {
            let vault = &simulator.scenario.arm.vaults[job.vault];
            let item = &vault.protected_items[job.item];
            let current = job_state(job, now);
            let mut entry = json!({
                "id": job.id,
                "vault_type": RECOVERY_SERVICES_VAULT_TYPE,
                "vault": vault.name,
                "resource_group": vault.resource_group,
                "vm_name": item.vm_name,
                "operation": job.operation(),
                "status": current.status,
                "start_time": format::rfc3339(job.started_at),
                "end_time": current.ended_at.map(format::rfc3339),
                "recovery_point_expiry": job.recovery_point_expiry.map(format::rfc3339),
            });
            if let Some(restore) = &job.restore {
                entry["recovery_point"] = json!(restore.recovery_point);
                entry["storage_account"] = json!(restore.storage_account);
                entry["target_resource_group"] = json!(restore.target_resource_group);
            }
            (job.started_at, entry)
        })
        .collect();
    jobs.extend(state.data_protection.jobs.iter().map(|job| {
        let vault = &simulator.scenario.arm.backup_vaults[job.vault];
        let instance = &vault.backup_instances[job.instance];
        let current = data_protection_job_state(job, now);
        let entry = json!({
            "id": job.id,
            "vault_type": BACKUP_VAULT_TYPE,
            "vault": vault.name,
            "resource_group": vault.resource_group,
            "vm_name": null,
            "operation": "Backup",
            "status": current.status,
            "start_time": format::rfc3339(job.started_at),
            "end_time": current.ended_at.map(format::rfc3339),
            "recovery_point_expiry": null,
            "backup_instance": instance.resolved_name(),
            "datasource_name": instance.datasource_name,
            "rule_name": job.rule_name,
            "retention_tag": job.retention_tag,
        });
        (job.started_at, entry)
    }));
    // A stable sort keeps the creation order of jobs that started at the same time.
    jobs.sort_by_key(|(started_at, _)| *started_at);
    let jobs: Vec<Value> = jobs.into_iter().map(|(_, entry)| entry).collect();
    SimResponse::json(StatusCode::OK, &json!(jobs))
}
