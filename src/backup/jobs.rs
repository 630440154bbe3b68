//! Recovery Services backup jobs: the status model and the lenient parsing of job replies.

use serde_json::Value;
use time::OffsetDateTime;

/// Maximum length, in characters, of server text (error messages) kept in outputs, annotations
/// and reports; GitHub keeps at most 1 MB of outputs per job and shows 4096 characters of an
/// annotation.
pub const MAX_SERVER_TEXT_CHARS: usize = 2000;

/// Cuts server text to [`MAX_SERVER_TEXT_CHARS`], marking the cut.
pub fn bounded_server_text(text: &str) -> String {
    match text.char_indices().nth(MAX_SERVER_TEXT_CHARS) {
        Some((end, _)) => format!("{} … (cut)", &text[..end]),
        None => text.to_string(),
    }
}

/// A job's status as this tool reports it. The order is severity, mildest first, so the
/// maximum over several items is the worst (`job-status` output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum JobStatus {
    Completed,
    CompletedWithWarnings,
    InProgress,
    Cancelled,
    Failed,
}

impl JobStatus {
    /// Maps the service's status; anything not known to be terminal (`Cancelling`, `Invalid`,
    /// a new value) counts as still running.
    pub fn from_service(status: &str) -> Self {
        match status.to_ascii_lowercase().as_str() {
            // Data Protection's job status is a free string; its specification also names
            // "Success" [unverified on the wire].
            "completed" | "succeeded" | "success" => Self::Completed,
            "completedwithwarnings" | "successwithwarning" => Self::CompletedWithWarnings,
            "failed" => Self::Failed,
            // Jobs spell it with two l's, operations with one; accept both.
            "cancelled" | "canceled" => Self::Cancelled,
            _ => Self::InProgress,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "Completed",
            Self::CompletedWithWarnings => "CompletedWithWarnings",
            Self::InProgress => "InProgress",
            Self::Cancelled => "Cancelled",
            Self::Failed => "Failed",
        }
    }

    pub fn is_terminal(self) -> bool {
        self != Self::InProgress
    }
}

/// The state of a job as one GET returned it.
#[derive(Debug, Clone)]
pub struct JobSnapshot {
    pub status: JobStatus,
    pub service_status: String,
    pub start_time: Option<OffsetDateTime>,
    pub end_time: Option<OffsetDateTime>,
    pub duration_seconds: Option<u64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

impl JobSnapshot {
    /// Reads a `backupJobs/{id}` body. Missing fields stay `None`; the `duration` text comes in
    /// ISO 8601 and in `hh:mm:ss.fffffff` forms, so both are read.
    pub fn from_json(body: &Value) -> Option<Self> {
        let properties = body.get("properties")?;
        let text = |key: &str| properties.get(key).and_then(Value::as_str);
        let service_status = text("status")?.to_string();
        let start_time = text("startTime").and_then(parse_service_time);
        let end_time = text("endTime").and_then(parse_service_time);
        let duration_seconds = match (start_time, end_time) {
            (Some(start), Some(end)) => Some((end - start).whole_seconds().max(0) as u64),
            _ => text("duration").and_then(parse_service_duration),
        };

        let first_error = properties
            .get("errorDetails")
            .and_then(Value::as_array)
            .and_then(|errors| errors.first());
        // Recovery Services writes `errorCode` and `errorString`; Data Protection errors are
        // read from `code` and `message` too, the shape of its other error objects.
        let error_code = first_error
            .and_then(|error| error.get("errorCode").or_else(|| error.get("code")))
            .and_then(|code| match code {
                Value::String(text) => Some(text.clone()),
                Value::Number(number) => Some(number.to_string()),
                _ => None,
            });
        let error_message = first_error.map(|error| {
            let mut message = error
                .get("errorString")
                .or_else(|| error.get("message"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let recommendations: Vec<&str> = error
                .get("recommendations")
                .and_then(Value::as_array)
                .map(|list| list.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if !recommendations.is_empty() {
                message.push_str(" Recommendations: ");
                message.push_str(&recommendations.join(" "));
            }
            bounded_server_text(&message)
        });

        Some(Self {
            status: JobStatus::from_service(&service_status),
            service_status,
            start_time,
            end_time,
            duration_seconds,
            error_code,
            error_message,
        })
    }
}

/// Parses a service timestamp as UTC: RFC 3339, or the same without an offset (which the
/// service means as UTC), independent of the runner's locale and time zone.
pub fn parse_service_time(text: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(parsed) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(parsed);
    }
    OffsetDateTime::parse(&format!("{text}Z"), &Rfc3339).ok()
}

/// Parses `PT1H2M3.5S` or `[d.]hh:mm:ss[.fffffff]` into whole seconds. Returns `None` when the
/// clock form adds up to more than `u64::MAX` seconds.
pub fn parse_service_duration(text: &str) -> Option<u64> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix("PT") {
        let mut seconds = 0.0;
        let mut number = String::new();
        for character in rest.chars() {
            match character {
                'H' | 'M' | 'S' => {
                    let value: f64 = number
                        .parse()
                        .ok()
                        .filter(|value: &f64| value.is_finite() && *value >= 0.0)?;
                    number.clear();
                    seconds += value
                        * match character {
                            'H' => 3600.0,
                            'M' => 60.0,
                            _ => 1.0,
                        };
                }
                _ => number.push(character),
            }
        }
        return number.is_empty().then_some(seconds as u64);
    }
    let (days, clock) = match text.split_once('.') {
        Some((days, rest)) if !days.contains(':') => (days.parse::<u64>().ok()?, rest),
        _ => (0, text),
    };
    let mut parts = clock.split(':');
    let hours: u64 = parts.next()?.parse().ok()?;
    let minutes: u64 = parts.next()?.parse().ok()?;
    let seconds: f64 = parts.next()?.parse().ok()?;
    // The service's numbers are unbounded, so the sum is checked and an overflow returns `None`.
    days.checked_mul(86_400)?
        .checked_add(hours.checked_mul(3600)?)?
        .checked_add(minutes.checked_mul(60)?)?
        .checked_add(seconds as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_status_is_the_maximum() {
        let statuses = [
            JobStatus::Completed,
            JobStatus::Failed,
            JobStatus::InProgress,
        ];
        assert_eq!(statuses.iter().max(), Some(&JobStatus::Failed));
        assert!(JobStatus::Cancelled > JobStatus::InProgress);
        assert!(JobStatus::InProgress > JobStatus::CompletedWithWarnings);
    }

    #[test]
    fn service_statuses_map_tolerantly() {
        assert_eq!(JobStatus::from_service("Cancelling"), JobStatus::InProgress);
        assert_eq!(JobStatus::from_service("Canceled"), JobStatus::Cancelled);
        assert_eq!(JobStatus::from_service("Whatever"), JobStatus::InProgress);
    }

    #[test]
    fn durations_in_both_forms() {
        assert_eq!(parse_service_duration("PT9.8782791S"), Some(9));
        assert_eq!(parse_service_duration("PT14M3.2S"), Some(843));
        assert_eq!(parse_service_duration("00:20:23.0896697"), Some(1223));
        assert_eq!(parse_service_duration("0:00:01.863098"), Some(1));
        assert_eq!(parse_service_duration("1.02:00:00"), Some(93_600));
        assert_eq!(parse_service_duration("soon"), None);
        assert_eq!(parse_service_duration("PT-5S"), None);
        assert_eq!(parse_service_duration("PTNaNS"), None);
        assert_eq!(parse_service_duration("PTinfS"), None);
        assert_eq!(parse_service_duration("99999999999999999:00:00"), None);
        assert_eq!(parse_service_duration("999999999999999.00:00:00"), None);
    }

    #[test]
    fn times_without_offset_are_utc() {
        let with_zone = parse_service_time("2017-08-03T05:31:07.014604Z").unwrap();
        let without = parse_service_time("2017-08-03T05:31:07.014604").unwrap();
        assert_eq!(with_zone, without);
    }

    #[test]
    fn failed_job_error_details_are_read() {
        let body = serde_json::json!({"properties": {
            "status": "Failed", "startTime": "2025-05-01T10:00:00Z", "endTime": "2025-05-01T10:01:00Z",
            "errorDetails": [{"errorCode": 400001, "errorString": "Snapshot failed.",
                              "recommendations": ["Retry later."]}]}});
        let job = JobSnapshot::from_json(&body).unwrap();
        assert_eq!(job.status, JobStatus::Failed);
        assert_eq!(job.duration_seconds, Some(60));
        assert_eq!(job.error_code.as_deref(), Some("400001"));
        assert_eq!(
            job.error_message.as_deref(),
            Some("Snapshot failed. Recommendations: Retry later.")
        );
    }
}
