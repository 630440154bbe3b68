//! Fault injection: picks the scripted fault (scenario `faults`) that applies to a request, counts
//! how often each fault matched and fired, and carries out its action around the service's
//! handler. The listeners call [`select`] as soon as a request's head has arrived, before its body
//! is read, so that a fault can close the connection before the request is processed.
//!
//! A fault matches a request to its service whose method and percent-decoded path fit. Its first
//! `skip` matching requests pass, and the next `times` ones (every later one when `times` is 0) get
//! its action. Faults are checked in order: a fault still skipping counts the request and lets the
//! later faults check it, and the first fault that fires ends the search. Requests to the admin
//! endpoints are never faulted or counted.
//!
//! What each action does:
//! - `status`: replies with the status and the scripted or the service's own error body. The
//!   service does not process the request.
//! - `reset` `before_body`: closes the connection once the head has arrived, without reading the
//!   body or processing the request. `after_body`: processes the request in full, then closes the
//!   connection without a reply, so its effects (a started backup) stay.
//! - `hang_seconds`: sends nothing for that many real seconds, then closes the connection; the
//!   request is not processed.
//! - `truncate_body`: processes the request and sends the reply with the `Content-Length` of the
//!   whole body but only its first half, then closes the connection. A reply without a body has
//!   nothing to cut, so its connection closes without a reply, as with `reset` `after_body`.
//! - `malformed_json`: processes the request and replies 200 with half the real body followed by
//!   text that is not JSON.
//! - `expire_token` (ARM): replies 401 `ExpiredAuthenticationToken` as for a token past its expiry,
//!   and the presented token stays expired. The request is not processed.
//!
//! Closing "without a reply" ends the TLS stream and the TCP connection normally (FIN, no TLS
//! `close_notify`), not with a TCP reset, so the client sees a connection closed before the reply.

mod body;
mod replies;

use std::time::Duration;

use serde_json::{json, Value};

pub(crate) use body::{Delivery, ReplyBody};

use super::admin;
use super::http::{SimRequest, SimResponse};
use super::scenario::{FaultAction, FaultScenario, FaultService, ResetPoint, MAX_HANG_SECONDS};
use super::state::ServiceKind;
use super::Simulator;

/// How often each fault of the scenario matched a request and fired, by position in the list.
#[derive(Debug, Default)]
pub(crate) struct FaultCounts {
    counts: Vec<FaultCount>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct FaultCount {
    /// Requests that matched, including the skipped ones and those the fault hit.
    matched: u64,
    /// Requests the fault was applied to.
    fired: u64,
}

impl FaultCounts {
    fn get(&self, index: usize) -> FaultCount {
        self.counts.get(index).copied().unwrap_or_default()
    }

    fn get_mut(&mut self, index: usize) -> &mut FaultCount {
        if self.counts.len() <= index {
            self.counts.resize(index + 1, FaultCount::default());
        }
        &mut self.counts[index]
    }
}

impl From<ServiceKind> for FaultService {
    fn from(service: ServiceKind) -> Self {
        match service {
            ServiceKind::Github => FaultService::Github,
            ServiceKind::Entra => FaultService::Entra,
            ServiceKind::Arm => FaultService::Arm,
        }
    }
}

/// Returns whether a fault's service, method and path text fit a request.
fn matches(fault: &FaultScenario, service: FaultService, method: &str, path: &str) -> bool {
    fault.service == service
        && fault
            .method
            .as_deref()
            .is_none_or(|expected| expected.eq_ignore_ascii_case(method))
        && fault.path_contains.as_deref().is_none_or(|text| {
            path.to_ascii_lowercase()
                .contains(&text.to_ascii_lowercase())
        })
}

/// Returns the position of the first fault that fires for a request, counting the request in every
/// fault that matches up to it.
fn choose(
    faults: &[FaultScenario],
    counts: &mut FaultCounts,
    service: FaultService,
    method: &str,
    path: &str,
) -> Option<usize> {
    for (index, fault) in faults.iter().enumerate() {
        if !matches(fault, service, method, path) {
            continue;
        }
        let count = counts.get_mut(index);
        count.matched += 1;
        let past_skip = count.matched > fault.skip;
        let has_budget = fault.times == 0 || count.fired < fault.times;
        if past_skip && has_budget {
            count.fired += 1;
            return Some(index);
        }
    }
    None
}

/// The fault that applies to one request.
#[derive(Debug)]
pub(crate) struct SelectedFault {
    action: FaultAction,
}

/// Picks the fault for a request whose head has arrived, if one fires.
pub(crate) fn select(
    simulator: &Simulator,
    service: ServiceKind,
    request: &SimRequest,
) -> Option<SelectedFault> {
    let faults = &simulator.scenario.faults;
    if faults.is_empty() || (service == ServiceKind::Arm && admin::is_admin_path(request)) {
        return None;
    }
    let path = request.decoded_path();
    let index = choose(
        faults,
        &mut simulator.state().fault_counts,
        service.into(),
        request.method.as_str(),
        &path,
    )?;
    let action = faults[index].action.clone();
    tracing::info!(
        ?service,
        fault = index,
        kind = action.kind(),
        method = %request.method,
        %path,
        "applying a scripted fault"
    );
    Some(SelectedFault { action })
}

/// The error that makes hyper close a connection without a reply.
#[derive(Debug)]
pub(crate) struct ConnectionClosed {
    kind: &'static str,
}

impl std::fmt::Display for ConnectionClosed {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "closed the connection without a reply for the scripted fault '{}'",
            self.kind
        )
    }
}

impl std::error::Error for ConnectionClosed {}

impl SelectedFault {
    /// Returns the action's name for the request log.
    pub(crate) fn kind(&self) -> &'static str {
        self.action.kind()
    }

    /// Returns whether the fault ends the connection before the body is read (`reset`
    /// `before_body`, `hang_seconds`), so the request is never processed.
    pub(crate) fn ends_before_body(&self) -> bool {
        matches!(
            self.action,
            FaultAction::Reset(ResetPoint::BeforeBody) | FaultAction::Hang { .. }
        )
    }

    /// Waits out a hang, if the fault is one, and returns the error that closes the connection.
    pub(crate) async fn close_without_reply(&self) -> ConnectionClosed {
        if let FaultAction::Hang { seconds } = self.action {
            tokio::time::sleep(Duration::from_secs(seconds.min(MAX_HANG_SECONDS))).await;
        }
        ConnectionClosed { kind: self.kind() }
    }

    /// Returns the reply that replaces the service's reply (`status`, `expire_token`), or `None`
    /// when the service processes the request.
    pub(crate) fn replace_reply(
        &self,
        simulator: &Simulator,
        service: ServiceKind,
        request: &SimRequest,
    ) -> Option<SimResponse> {
        match &self.action {
            FaultAction::Status {
                status,
                retry_after,
                retry_after_ms,
                body,
            } => Some(replies::status_reply(
                simulator,
                service,
                request,
                &replies::StatusFault {
                    status: *status,
                    retry_after: retry_after.as_deref(),
                    retry_after_ms: *retry_after_ms,
                    body: body.as_deref(),
                },
            )),
            FaultAction::ExpireToken => Some(replies::expired_token_reply(simulator, request)),
            _ => None,
        }
    }

    /// Turns the reply into what the connection sends, or into the error that closes the
    /// connection without a reply.
    pub(crate) fn deliver(
        &self,
        response: SimResponse,
    ) -> Result<(SimResponse, Delivery), ConnectionClosed> {
        let closed = ConnectionClosed { kind: self.kind() };
        match self.action {
            FaultAction::Reset(_) | FaultAction::Hang { .. } => Err(closed),
            FaultAction::TruncateBody if response.body.is_empty() => Err(closed),
            FaultAction::TruncateBody => Ok((response, Delivery::CutInHalf)),
            FaultAction::MalformedJson => Ok((replies::malformed_json(response), Delivery::Whole)),
            FaultAction::Status { .. } | FaultAction::ExpireToken => {
                Ok((response, Delivery::Whole))
            }
        }
    }
}

/// Returns every scripted fault with how often it matched and fired, for
/// `GET {admin_url}/faults`.
pub(crate) fn report(simulator: &Simulator) -> Value {
    let state = simulator.state();
    let entries: Vec<Value> = simulator
        .scenario
        .faults
        .iter()
        .enumerate()
        .map(|(index, fault)| {
            let count = state.fault_counts.get(index);
            json!({
                "index": index,
                "service": fault.service,
                "method": fault.method,
                "path_contains": fault.path_contains,
                "skip": fault.skip,
                "times": fault.times,
                "kind": fault.action.kind(),
                "action": fault.action,
                "matched": count.matched,
                "fired": count.fired,
            })
        })
        .collect();
    json!(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(json: &str) -> FaultScenario {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn fault_matches_service_method_and_path() {
        let job_reads = fault(
            r#"{"service": "arm", "method": "get", "path_contains": "/BACKUPJOBS/", "action": {"status": 503}}"#,
        );
        let path = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/backupJobs/job-1";
        assert!(matches(&job_reads, FaultService::Arm, "GET", path));
        assert!(!matches(&job_reads, FaultService::Arm, "POST", path));
        assert!(!matches(&job_reads, FaultService::Entra, "GET", path));
        assert!(!matches(
            &job_reads,
            FaultService::Arm,
            "GET",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/v/backupJobs"
        ));

        let any = fault(r#"{"service": "github", "action": {"hang_seconds": 1}}"#);
        assert!(matches(&any, FaultService::Github, "GET", "/idtoken"));
        assert!(matches(&any, FaultService::Github, "POST", "/"));
    }

    #[test]
    fn skip_then_times_then_pass() {
        let faults = vec![fault(
            r#"{"service": "arm", "skip": 1, "times": 2, "action": {"status": 503}}"#,
        )];
        let mut counts = FaultCounts::default();
        let fired: Vec<bool> = (0..5)
            .map(|_| choose(&faults, &mut counts, FaultService::Arm, "GET", "/x").is_some())
            .collect();
        assert_eq!(fired, [false, true, true, false, false]);
        assert_eq!(
            counts.get(0),
            FaultCount {
                matched: 5,
                fired: 2
            }
        );
    }

    #[test]
    fn times_zero_fires_for_ever() {
        let faults = vec![fault(
            r#"{"service": "entra", "skip": 2, "times": 0, "action": {"status": 500}}"#,
        )];
        let mut counts = FaultCounts::default();
        let fired = (0..10)
            .filter(|_| choose(&faults, &mut counts, FaultService::Entra, "POST", "/t").is_some())
            .count();
        assert_eq!(fired, 8);
    }

    #[test]
    fn first_fault_with_budget_wins() {
        let faults = vec![
            fault(
                r#"{"service": "arm", "path_contains": "/backup", "skip": 1, "action": {"status": 429}}"#,
            ),
            fault(
                r#"{"service": "arm", "method": "POST", "times": 0, "action": {"reset": "after_body"}}"#,
            ),
            fault(r#"{"service": "arm", "action": {"malformed_json": true}}"#),
        ];
        let mut counts = FaultCounts::default();
        let mut next = |method: &str, path: &str| {
            choose(&faults, &mut counts, FaultService::Arm, method, path)
        };
        // The first fault skips its first request, which the second then takes.
        assert_eq!(next("POST", "/item/backup"), Some(1));
        assert_eq!(next("POST", "/item/backup"), Some(0));
        // The first fault's budget is spent.
        assert_eq!(next("POST", "/item/backup"), Some(1));
        assert_eq!(next("GET", "/item"), Some(2));
        assert_eq!(next("GET", "/item"), None);
        assert_eq!(counts.get(0).matched, 3);
        assert_eq!(counts.get(1).fired, 2);
        // The third fault never saw the POSTs that an earlier fault took.
        assert_eq!(counts.get(2).matched, 2);
    }
}
