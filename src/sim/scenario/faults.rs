//! Scenario parts for failures: the scripted `faults` that the listeners inject into matching
//! requests, ARM's `throttle` token buckets, and the `busy_job` that already runs for a protected
//! item when the simulator starts.

use hyper::header::HeaderValue;
use serde::{Deserialize, Serialize};

use super::Scenario;

/// Longest `hang_seconds`. Five minutes outlasts every client timeout worth testing (the action's
/// whole-request timeout is 60 s), and a hang left in a scenario by mistake still ends on its own.
pub(crate) const MAX_HANG_SECONDS: u64 = 300;

/// Methods a fault may name.
const FAULT_METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// One scripted fault: which requests it matches, how many of them it lets pass and then hits,
/// and what it does to them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultScenario {
    pub service: FaultService,
    /// HTTP method, compared case-insensitively. Any method when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Text that the percent-decoded request path must contain, compared case-insensitively. Any
    /// path when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_contains: Option<String>,
    /// Matching requests that pass unharmed before the fault applies.
    #[serde(default)]
    pub skip: u64,
    /// Matching requests the fault applies to after the skipped ones; 0 means every later one.
    #[serde(default = "one")]
    pub times: u64,
    pub action: FaultAction,
}

fn one() -> u64 {
    1
}

/// The simulated service a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultService {
    Github,
    Entra,
    Arm,
}

/// The action of a fault. In the scenario it is an object with exactly one of `status`, `reset`,
/// `hang_seconds`, `truncate_body`, `malformed_json` or `expire_token`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "FaultActionFields", into = "FaultActionFields")]
pub enum FaultAction {
    /// Reply with this 4xx or 5xx status instead of processing the request.
    Status {
        status: u16,
        /// `Retry-After`, sent as written (seconds or an HTTP date).
        retry_after: Option<String>,
        /// Sent as `retry-after-ms` and `x-ms-retry-after-ms`.
        retry_after_ms: Option<u64>,
        /// The reply body. The service's own error body for the status when absent.
        body: Option<String>,
    },
    /// Close the connection without a reply.
    Reset(ResetPoint),
    /// Read the request, send nothing for this many real seconds, then close the connection.
    Hang { seconds: u64 },
    /// Process the request and send the reply with only the first half of its body.
    TruncateBody,
    /// Process the request and reply 200 with a body that is not valid JSON.
    MalformedJson,
    /// Reject the ARM bearer token as expired (401 `ExpiredAuthenticationToken`), without
    /// processing the request.
    ExpireToken,
}

/// When a `reset` fault closes the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetPoint {
    /// Before the request body is read: the request is not processed.
    BeforeBody,
    /// After the request was processed in full: its effects stay, only the reply is lost.
    AfterBody,
}

impl FaultAction {
    /// Returns the action's name in the request log and in `GET {admin_url}/faults`.
    pub fn kind(&self) -> &'static str {
        match self {
            FaultAction::Status { .. } => "status",
            FaultAction::Reset(ResetPoint::BeforeBody) => "reset_before_body",
            FaultAction::Reset(ResetPoint::AfterBody) => "reset_after_body",
            FaultAction::Hang { .. } => "hang",
            FaultAction::TruncateBody => "truncate_body",
            FaultAction::MalformedJson => "malformed_json",
            FaultAction::ExpireToken => "expire_token",
        }
    }
}

/// The action object as written in the scenario, before the check that it names one action.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultActionFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reset: Option<ResetPoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hang_seconds: Option<u64>,
    #[serde(default, skip_serializing_if = "is_false")]
    truncate_body: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    malformed_json: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    expire_token: bool,
}

fn is_false(value: &bool) -> bool {
    !value
}

impl TryFrom<FaultActionFields> for FaultAction {
    type Error = String;

    fn try_from(fields: FaultActionFields) -> Result<Self, String> {
        let named: Vec<&str> = [
            ("status", fields.status.is_some()),
            ("reset", fields.reset.is_some()),
            ("hang_seconds", fields.hang_seconds.is_some()),
            ("truncate_body", fields.truncate_body),
            ("malformed_json", fields.malformed_json),
            ("expire_token", fields.expire_token),
        ]
        .into_iter()
        .filter(|(_, present)| *present)
        .map(|(name, _)| name)
        .collect();
        let [kind] = named.as_slice() else {
            return Err(format!(
                "a fault action needs exactly one of status, reset, hang_seconds, truncate_body, malformed_json or expire_token, got {}",
                if named.is_empty() { "none".to_owned() } else { named.join(", ") }
            ));
        };
        let has_status_fields = fields.retry_after.is_some()
            || fields.retry_after_ms.is_some()
            || fields.body.is_some();
        if *kind != "status" && has_status_fields {
            return Err(format!(
                "retry_after, retry_after_ms and body belong to a status action, not to {kind}"
            ));
        }

        match *kind {
            "status" => {
                let status = fields.status.unwrap_or_default();
                // 200 with a scripted body imitates a reply that succeeds but lacks what the
                // client needs, such as a GitHub token reply without `value`.
                let scripted_success = status == 200 && fields.body.is_some();
                if !(400..=599).contains(&status) && !scripted_success {
                    return Err(format!(
                        "a fault status must be 400 to 599, or 200 with a body, got {status}"
                    ));
                }
                if let Some(retry_after) = &fields.retry_after {
                    if retry_after.trim().is_empty() || HeaderValue::from_str(retry_after).is_err()
                    {
                        return Err(format!(
                            "retry_after must be a non-empty header value such as \"2\" or \"Wed, 21 Oct 2015 07:28:00 GMT\", got {retry_after:?}"
                        ));
                    }
                }
                Ok(FaultAction::Status {
                    status,
                    retry_after: fields.retry_after,
                    retry_after_ms: fields.retry_after_ms,
                    body: fields.body,
                })
            }
            "reset" => Ok(FaultAction::Reset(
                fields.reset.unwrap_or(ResetPoint::BeforeBody),
            )),
            "hang_seconds" => {
                let seconds = fields.hang_seconds.unwrap_or_default();
                if !(1..=MAX_HANG_SECONDS).contains(&seconds) {
                    return Err(format!(
                        "hang_seconds must be 1 to {MAX_HANG_SECONDS}, got {seconds}"
                    ));
                }
                Ok(FaultAction::Hang { seconds })
            }
            "truncate_body" => Ok(FaultAction::TruncateBody),
            "malformed_json" => Ok(FaultAction::MalformedJson),
            _ => Ok(FaultAction::ExpireToken),
        }
    }
}

impl From<FaultAction> for FaultActionFields {
    fn from(action: FaultAction) -> Self {
        let mut fields = FaultActionFields::default();
        match action {
            FaultAction::Status {
                status,
                retry_after,
                retry_after_ms,
                body,
            } => {
                fields.status = Some(status);
                fields.retry_after = retry_after;
                fields.retry_after_ms = retry_after_ms;
                fields.body = body;
            }
            FaultAction::Reset(point) => fields.reset = Some(point),
            FaultAction::Hang { seconds } => fields.hang_seconds = Some(seconds),
            FaultAction::TruncateBody => fields.truncate_body = true,
            FaultAction::MalformedJson => fields.malformed_json = true,
            FaultAction::ExpireToken => fields.expire_token = true,
        }
        fields
    }
}

/// ARM's request throttling: one token bucket per subscription (or the tenant, for requests
/// outside a subscription) and principal, for each kind of request. The defaults are ARM's
/// documented subscription limits since 2024.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ThrottleScenario {
    /// Budget of GET requests.
    pub reads: BucketScenario,
    /// Budget of PUT, PATCH and POST requests.
    pub writes: BucketScenario,
    /// Budget of DELETE requests.
    pub deletes: BucketScenario,
}

/// The size and refill rate of one token bucket.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketScenario {
    /// Requests that a full bucket allows at once.
    pub bucket: u64,
    /// Tokens added per simulated second.
    pub refill_per_second: f64,
}

impl Default for ThrottleScenario {
    fn default() -> Self {
        Self {
            reads: BucketScenario {
                bucket: 250,
                refill_per_second: 25.0,
            },
            writes: BucketScenario {
                bucket: 200,
                refill_per_second: 10.0,
            },
            deletes: BucketScenario {
                bucket: 200,
                refill_per_second: 10.0,
            },
        }
    }
}

/// A job that already runs for a protected item when the simulator starts, as a scheduled backup
/// would.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BusyJobScenario {
    pub operation: BusyOperation,
    /// Simulated seconds from the simulator's start until the job completes.
    pub duration_seconds: u64,
}

/// The `operation` of a busy job. Only backups are simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BusyOperation {
    #[default]
    Backup,
}

impl Default for BusyJobScenario {
    fn default() -> Self {
        Self {
            operation: BusyOperation::Backup,
            duration_seconds: 30,
        }
    }
}

/// The reply to a backup trigger while another backup job of the same item runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusyReply {
    /// 202, and the operation ends `Failed` with `UserErrorBackupOperationInProgress`.
    #[default]
    FailedOperation,
    /// An immediate 409 with `UserErrorBackupOperationInProgress`.
    Conflict,
}

/// Checks the fault list, the throttle buckets and the busy jobs.
pub(super) fn validate(scenario: &Scenario) -> Result<(), String> {
    for (index, fault) in scenario.faults.iter().enumerate() {
        if let Some(method) = &fault.method {
            if !FAULT_METHODS
                .iter()
                .any(|known| known.eq_ignore_ascii_case(method))
            {
                return Err(format!(
                    "faults[{index}].method must be one of {}, got '{method}'",
                    FAULT_METHODS.join(", ")
                ));
            }
        }
        if fault.path_contains.as_deref() == Some("") {
            return Err(format!(
                "faults[{index}].path_contains must not be empty; leave it out to match every path"
            ));
        }
        if fault.action == FaultAction::ExpireToken && fault.service != FaultService::Arm {
            return Err(format!(
                "faults[{index}]: expire_token applies to ARM bearer tokens, so the service must be \"arm\""
            ));
        }
    }

    if let Some(throttle) = &scenario.arm.throttle {
        for (name, bucket) in [
            ("reads", throttle.reads),
            ("writes", throttle.writes),
            ("deletes", throttle.deletes),
        ] {
            if bucket.bucket == 0 {
                return Err(format!("arm.throttle.{name}.bucket must be at least 1"));
            }
            if !(bucket.refill_per_second.is_finite() && bucket.refill_per_second > 0.0) {
                return Err(format!(
                    "arm.throttle.{name}.refill_per_second must be above 0, got {}",
                    bucket.refill_per_second
                ));
            }
        }
    }

    for (vault_index, vault) in scenario.arm.vaults.iter().enumerate() {
        for (item_index, item) in vault.protected_items.iter().enumerate() {
            if item
                .busy_job
                .as_ref()
                .is_some_and(|job| job.duration_seconds == 0)
            {
                return Err(format!(
                    "arm.vaults[{vault_index}].protected_items[{item_index}].busy_job.duration_seconds must be at least 1"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Scenario, String> {
        Scenario::from_json(json).map_err(|error| error.to_string())
    }

    #[test]
    fn fault_list_parses() {
        let scenario = parse(
            r#"{"faults": [
                {"service": "arm", "method": "GET", "path_contains": "/backupJobs/", "skip": 1, "times": 2,
                 "action": {"status": 503, "retry_after": "2", "retry_after_ms": 2000, "body": "{}"}},
                {"service": "arm", "method": "post", "path_contains": "/backup", "action": {"reset": "after_body"}},
                {"service": "github", "action": {"hang_seconds": 30}},
                {"service": "entra", "action": {"reset": "before_body"}},
                {"service": "arm", "action": {"truncate_body": true}},
                {"service": "arm", "action": {"malformed_json": true}},
                {"service": "arm", "action": {"expire_token": true}}
            ]}"#,
        )
        .unwrap();
        let kinds: Vec<&str> = scenario
            .faults
            .iter()
            .map(|fault| fault.action.kind())
            .collect();
        assert_eq!(
            kinds,
            [
                "status",
                "reset_after_body",
                "hang",
                "reset_before_body",
                "truncate_body",
                "malformed_json",
                "expire_token"
            ]
        );
        assert_eq!(scenario.faults[0].skip, 1);
        assert_eq!(scenario.faults[0].times, 2);
        assert_eq!(scenario.faults[2].skip, 0);
        assert_eq!(scenario.faults[2].times, 1);
        assert_eq!(scenario.faults[2].service, FaultService::Github);
    }

    #[test]
    fn fault_action_round_trips_through_json() {
        let action = FaultAction::Status {
            status: 429,
            retry_after: Some("Wed, 21 Oct 2015 07:28:00 GMT".to_owned()),
            retry_after_ms: None,
            body: None,
        };
        let text = serde_json::to_string(&action).unwrap();
        assert_eq!(
            text,
            r#"{"status":429,"retry_after":"Wed, 21 Oct 2015 07:28:00 GMT"}"#
        );
        assert_eq!(serde_json::from_str::<FaultAction>(&text).unwrap(), action);
    }

    #[test]
    fn invalid_faults_are_rejected() {
        let fault =
            |action: &str| format!(r#"{{"faults": [{{"service": "arm", "action": {action}}}]}}"#);
        for (json, expected) in [
            (fault("{}"), "exactly one of"),
            (fault(r#"{"status": 503, "reset": "after_body"}"#), "status, reset"),
            (fault(r#"{"truncate_body": false}"#), "got none"),
            (fault(r#"{"status": 200}"#), "400 to 599"),
            (fault(r#"{"status": 503, "retry_after": ""}"#), "retry_after"),
            (fault(r#"{"status": 503, "retry_after": "a\nb"}"#), "retry_after"),
            (fault(r#"{"reset": "after_body", "body": "x"}"#), "belong to a status"),
            (fault(r#"{"reset": "sometimes"}"#), "sometimes"),
            (fault(r#"{"hang_seconds": 0}"#), "hang_seconds"),
            (fault(r#"{"hang_seconds": 301}"#), "hang_seconds"),
            (fault(r#"{"status": 503, "colour": "red"}"#), "colour"),
            (
                r#"{"faults": [{"service": "github", "action": {"expire_token": true}}]}"#.to_owned(),
                "expire_token",
            ),
            (
                r#"{"faults": [{"service": "arm", "method": "FETCH", "action": {"reset": "before_body"}}]}"#.to_owned(),
                "faults[0].method",
            ),
            (
                r#"{"faults": [{"service": "arm", "path_contains": "", "action": {"reset": "before_body"}}]}"#.to_owned(),
                "path_contains",
            ),
            (
                r#"{"faults": [{"service": "storage", "action": {"reset": "before_body"}}]}"#.to_owned(),
                "storage",
            ),
            (
                r#"{"faults": [{"service": "arm"}]}"#.to_owned(),
                "action",
            ),
        ] {
            let error = parse(&json).unwrap_err();
            assert!(error.contains(expected), "{json}: {error}");
        }
    }

    #[test]
    fn throttle_defaults_and_validation() {
        let scenario =
            parse(r#"{"arm": {"throttle": {"reads": {"bucket": 5, "refill_per_second": 0.5}}}}"#)
                .unwrap();
        let throttle = scenario.arm.throttle.unwrap();
        assert_eq!(throttle.reads.bucket, 5);
        assert_eq!(throttle.writes, ThrottleScenario::default().writes);
        assert!(Scenario::default().arm.throttle.is_none());

        for (json, expected) in [
            (
                r#"{"arm": {"throttle": {"reads": {"bucket": 0, "refill_per_second": 1}}}}"#,
                "reads.bucket",
            ),
            (
                r#"{"arm": {"throttle": {"deletes": {"bucket": 1, "refill_per_second": 0}}}}"#,
                "deletes.refill_per_second",
            ),
            (
                r#"{"arm": {"throttle": {"writes": {"bucket": 1}}}}"#,
                "refill_per_second",
            ),
        ] {
            let error = parse(json).unwrap_err();
            assert!(error.contains(expected), "{json}: {error}");
        }
    }

    #[test]
    fn busy_job_parses_and_validates() {
        let item = |fields: &str| {
            format!(
                r#"{{"arm": {{"vaults": [{{"protected_items": [{{"vm_name": "vm-x", {fields}}}]}}]}}}}"#
            )
        };
        let scenario = parse(&item(
            r#""busy_job": {"duration_seconds": 45}, "busy_reply": "conflict""#,
        ))
        .unwrap();
        let parsed = &scenario.arm.vaults[0].protected_items[0];
        assert_eq!(
            parsed.busy_job,
            Some(BusyJobScenario {
                operation: BusyOperation::Backup,
                duration_seconds: 45
            })
        );
        assert_eq!(parsed.busy_reply, BusyReply::Conflict);

        let defaults = parse(&item(r#""busy_job": {}"#)).unwrap();
        let parsed = &defaults.arm.vaults[0].protected_items[0];
        assert_eq!(parsed.busy_job.as_ref().unwrap().duration_seconds, 30);
        assert_eq!(parsed.busy_reply, BusyReply::FailedOperation);

        for (fields, expected) in [
            (r#""busy_job": {"operation": "Restore"}"#, "Restore"),
            (
                r#""busy_job": {"duration_seconds": 0}"#,
                "busy_job.duration_seconds",
            ),
            (r#""busy_reply": "queue""#, "queue"),
        ] {
            let error = parse(&item(fields)).unwrap_err();
            assert!(error.contains(expected), "{fields}: {error}");
        }
    }
}
