//! Long-running ARM operations: the status URL from `Azure-AsyncOperation` (or the result URL
//! from `Location`) is followed verbatim, whatever api-version it carries, pausing as
//! `Retry-After` requests and never past the run's deadline.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::client::{display_path, ArmClient, ArmResponse};
use super::error::ArmError;

/// Pause between polls when ARM sends no `Retry-After`.
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// Upper bound on one pause, so a wrong header cannot stall the run for an hour.
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(120);

/// Status replies in a row that may be unreadable (malformed or cut JSON, no `status`) before the
/// operation is given up. A damaged reply shows nothing about the operation, which goes on, so
/// the next poll is worth a try.
const MAX_UNREADABLE_STATUS_READS: u32 = 3;

/// Terminal statuses of ARM's asynchronous operation contract.
const TERMINAL_STATUSES: [&str; 3] = ["Succeeded", "Failed", "Canceled"];

/// The end state of a long-running operation.
#[derive(Debug, Clone)]
pub struct OperationOutcome {
    /// `Succeeded`, `Failed` or `Canceled`; `Succeeded` for a `Location` poll that ended in 200
    /// or 204.
    pub status: String,
    /// The last status body (`Azure-AsyncOperation`) or the final result body (`Location`).
    pub body: Option<Value>,
}

impl OperationOutcome {
    pub fn succeeded(&self) -> bool {
        self.status.eq_ignore_ascii_case("Succeeded")
    }

    /// Returns the `error` object of a failed operation as (code, message).
    pub fn error(&self) -> (String, String) {
        let error = self.body.as_ref().and_then(|body| body.get("error"));
        let text = |key: &str| {
            error
                .and_then(|error| error.get(key))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        (
            text("code"),
            crate::backup::bounded_server_text(&text("message")),
        )
    }
}

/// Follows the operation that `accepted` (a 201 or 202 reply) started until it ends.
pub async fn poll_operation(
    client: &ArmClient,
    accepted_headers: &HeaderMap,
    what: &str,
) -> Result<OperationOutcome, ArmError> {
    let header = |name: &str| {
        accepted_headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
    };
    let mut wait = poll_wait(accepted_headers);
    let deadline = client.deadline();

    if let Some(status_url) = header("azure-asyncoperation") {
        let mut unreadable = 0;
        loop {
            deadline.sleep(wait).await.map_err(|_| ArmError::Deadline {
                what: what.to_string(),
            })?;
            let response = client.get(&status_url).await?;
            wait = poll_wait(&response.headers);
            let (body, status) = match read_status(&response, &status_url) {
                Ok(read) => read,
                Err(error) if unreadable + 1 < MAX_UNREADABLE_STATUS_READS => {
                    unreadable += 1;
                    tracing::info!(
                        "{what}: the operation status was unreadable ({error}); polling again"
                    );
                    continue;
                }
                Err(error) => return Err(error),
            };
            unreadable = 0;
            tracing::debug!("{what}: operation status {status}");
            if TERMINAL_STATUSES
                .iter()
                .any(|terminal| terminal.eq_ignore_ascii_case(&status))
            {
                return Ok(OperationOutcome {
                    status,
                    body: Some(body),
                });
            }
        }
    }

    if let Some(result_url) = header("location") {
        loop {
            deadline.sleep(wait).await.map_err(|_| ArmError::Deadline {
                what: what.to_string(),
            })?;
            let response = client.get(&result_url).await?;
            if response.status != 202 {
                let body = serde_json::from_str(&response.body).ok();
                return Ok(OperationOutcome {
                    status: "Succeeded".to_string(),
                    body,
                });
            }
            wait = poll_wait(&response.headers);
        }
    }

    Err(ArmError::InvalidReply {
        path: what.to_string(),
        detail: "the accepted reply has neither Azure-AsyncOperation nor Location".to_string(),
    })
}

/// Reads an operation status body and its `status`.
fn read_status(response: &ArmResponse, url: &str) -> Result<(Value, String), ArmError> {
    let body: Value = response.json()?;
    let status = body
        .get("status")
        .and_then(Value::as_str)
        .ok_or_else(|| ArmError::InvalidReply {
            path: display_path(url),
            detail: "the operation status has no `status` field".to_string(),
        })?
        .to_string();
    Ok((body, status))
}

fn poll_wait(headers: &HeaderMap) -> Duration {
    retry_after(headers)
        .unwrap_or(DEFAULT_POLL_INTERVAL)
        .min(MAX_POLL_INTERVAL)
}

/// Reads the wait a reply requests: `retry-after-ms`, `x-ms-retry-after-ms`, then `Retry-After`
/// in seconds or as an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
    };
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(millis) = text(name).and_then(|value| value.parse::<u64>().ok()) {
            return Some(Duration::from_millis(millis));
        }
    }
    let value = text("retry-after")?;
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let when = time::PrimitiveDateTime::parse(value, format)
        .ok()?
        .assume_utc();
    let seconds = (when - time::OffsetDateTime::now_utc())
        .whole_seconds()
        .max(0);
    Some(Duration::from_secs(seconds as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn retry_after_seconds_and_millis() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "60")])),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            retry_after(&headers(&[
                ("retry-after", "60"),
                ("retry-after-ms", "1500")
            ])),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(retry_after(&headers(&[])), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
    }

    #[test]
    fn retry_after_http_date_in_past_is_zero() {
        assert_eq!(
            retry_after(&headers(&[(
                "retry-after",
                "Wed, 21 Oct 2015 07:28:00 GMT"
            )])),
            Some(Duration::ZERO)
        );
    }
}
