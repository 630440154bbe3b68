//! Azure Resource Manager with the Recovery Services backup provider: routing, the `api-version`
//! and bearer checks, throttling with the rate-limit headers, the correlation headers, and the ARM
//! error envelope on every failure. Besides backups and job cancellation it serves what a restore
//! drill uses: recovery points and restores, and the resource groups, storage accounts, VMs, disks,
//! tags and permissions around them. Backup vaults (`Microsoft.DataProtection`) are served by
//! `data_protection`: backup instances, ad-hoc backups, their operations and backup jobs.
//!
//! Paths are percent-decoded before matching (`%3B` is `;`), and literal segments, provider names
//! and resource names match case-insensitively. Any `api-version` value is accepted.

pub(crate) mod auth;
mod backup;
pub(crate) mod busy;
pub(crate) mod cancel;
pub(crate) mod compute;
pub(crate) mod data_protection;
mod disk_deletion;
mod filter;
pub(crate) mod inventory;
mod items;
pub(crate) mod jobs;
mod metadata;
mod paging;
mod path;
mod permissions;
pub(crate) mod ratelimit;
mod recovery_points;
mod resource_groups;
mod resource_path;
mod resources;
pub(crate) mod response;
pub(crate) mod restore;
mod storage;
mod tags;
pub(crate) mod throttle;

use hyper::{Method, StatusCode};

use self::path::Route;
use self::ratelimit::RequestKind;
use self::response::{add_common_headers, arm_error};
use super::http::{SimRequest, SimResponse};
use super::Simulator;

/// Handles one ARM request.
pub(crate) fn handle(simulator: &Simulator, request: &SimRequest) -> SimResponse {
    let mut response = route(simulator, request);
    add_common_headers(&mut response, request, simulator.clock.now());
    response
}

fn route(simulator: &Simulator, request: &SimRequest) -> SimResponse {
    let route = path::parse_route(&request.segments);

    // The cloud metadata document is read before sign-in, so it needs no token.
    if route == Some(Route::MetadataEndpoints) {
        if let Err(response) = require_api_version(request) {
            return response;
        }
        return match request.method {
            Method::GET => metadata::endpoints(simulator),
            _ => method_not_allowed(request),
        };
    }

    if let Err(response) = auth::authenticate(simulator, request) {
        return response;
    }
    if let Err(response) = require_api_version(request) {
        return response;
    }
    let kind = RequestKind::of(&request.method);
    let budget = match throttle::take(simulator, request, kind) {
        Ok(budget) => budget,
        Err(throttled) => return throttled,
    };

    let Some(route) = route else {
        return not_found(request);
    };
    let mut response = serve(simulator, request, route).unwrap_or_else(|error| error);
    budget.add_to(&mut response);
    response
}

/// Serves an authenticated request for a known route.
fn serve(
    simulator: &Simulator,
    request: &SimRequest,
    route: Route,
) -> Result<SimResponse, SimResponse> {
    match (&request.method, route) {
        (&Method::GET, Route::Subscriptions) => Ok(metadata::subscriptions(simulator)),
        (&Method::GET, Route::Subscription(subscription)) => {
            metadata::subscription(simulator, &subscription)
        }
        (&Method::GET, Route::Tenants) => Ok(metadata::tenants(simulator)),
        (&Method::GET, Route::Vault(vault)) => resources::vault(simulator, &vault),
        (&Method::GET, Route::ProtectedItems(vault)) => items::list(simulator, request, &vault),
        (&Method::GET, Route::ProtectedItem(item)) => items::get(simulator, &item),
        (&Method::POST, Route::TriggerBackup(item)) => backup::trigger(simulator, request, &item),
        (&Method::GET, Route::ItemOperationStatus(item, operation)) => {
            backup::item_operation_status(simulator, &item, &operation)
        }
        (&Method::GET, Route::ItemOperationResult(item, operation)) => {
            backup::item_operation_result(simulator, &item, &operation)
        }
        (&Method::GET, Route::VaultOperationStatus(vault, operation)) => {
            backup::vault_operation_status(simulator, &vault, &operation)
        }
        (&Method::GET, Route::Jobs(vault)) => jobs::list(simulator, request, &vault),
        (&Method::GET, Route::Job(vault, job)) => jobs::get(simulator, &vault, &job),
        (&Method::POST, Route::CancelJob(vault, job)) => cancel::trigger(simulator, &vault, &job),
        (&Method::GET, Route::JobOperationResult(vault, job, operation)) => {
            cancel::operation_result(simulator, &vault, &job, &operation)
        }
        (&Method::GET, Route::RecoveryPoints(item)) => {
            recovery_points::list(simulator, request, &item)
        }
        (&Method::GET, Route::RecoveryPoint(item, point)) => {
            recovery_points::get(simulator, &item, &point)
        }
        (&Method::POST, Route::TriggerRestore(item, point)) => {
            restore::trigger(simulator, request, &item, &point)
        }
        (&Method::GET, Route::ResourceGroup(group)) => resource_groups::get(simulator, &group),
        (&Method::GET, Route::StorageAccount(group, name)) => {
            storage::get(simulator, &group, &name)
        }
        (&Method::GET, Route::VirtualMachine(group, name)) => {
            compute::get_virtual_machine(simulator, &group, &name)
        }
        (&Method::GET, Route::Disks(group)) => compute::list_disks(simulator, request, &group),
        (&Method::GET, Route::Disk(group, name)) => compute::get_disk(simulator, &group, &name),
        (&Method::DELETE, Route::Disk(group, name)) => {
            disk_deletion::delete(simulator, request, &group, &name)
        }
        (&Method::GET, Route::ComputeOperation(operation)) => {
            disk_deletion::operation(simulator, request, &operation)
        }
        (&Method::GET | &Method::PUT | &Method::PATCH, Route::Tags(scope)) => {
            tags::handle(simulator, request, &scope)
        }
        (&Method::GET, Route::Permissions(scope)) => permissions::get(simulator, &scope),
        (&Method::GET, Route::BackupVault(vault)) => {
            data_protection::instances::vault(simulator, &vault)
        }
        (&Method::GET, Route::BackupInstances(vault)) => {
            data_protection::instances::list(simulator, request, &vault)
        }
        (&Method::GET, Route::BackupInstance(vault, name)) => {
            data_protection::instances::get(simulator, &vault, &name)
        }
        (&Method::POST, Route::AdhocBackup(vault, name)) => {
            data_protection::backup::trigger(simulator, request, &vault, &name)
        }
        (&Method::GET, Route::DataProtectionOperationStatus(scope, operation)) => {
            data_protection::backup::operation_status(simulator, &scope, &operation)
        }
        (&Method::GET, Route::DataProtectionOperationResult(scope, operation)) => {
            data_protection::backup::operation_result(simulator, &scope, &operation)
        }
        (&Method::GET, Route::BackupVaultJobs(vault)) => {
            data_protection::jobs::list(simulator, request, &vault)
        }
        (&Method::GET, Route::BackupVaultJob(vault, job)) => {
            data_protection::jobs::get(simulator, &vault, &job)
        }
        _ => Err(method_not_allowed(request)),
    }
}

fn require_api_version(request: &SimRequest) -> Result<(), SimResponse> {
    match request.query_value("api-version") {
        Some(version) if !version.trim().is_empty() => Ok(()),
        _ => Err(arm_error(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )),
    }
}

// NOTE: for paths outside the simulated resources ARM would answer with provider-specific codes
// (for example InvalidResourceType); the simulator names the path instead.
fn not_found(request: &SimRequest) -> SimResponse {
    arm_error(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!(
            "The simulator serves no resource at '{}'.",
            request.decoded_path()
        ),
    )
}

fn method_not_allowed(request: &SimRequest) -> SimResponse {
    arm_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        format!(
            "The method '{}' is not supported on '{}'.",
            request.method,
            request.decoded_path()
        ),
    )
}
