//! Turns results into what the runner shows: step outputs, the Markdown job summary and the
//! annotation of a failure.

mod drill;
mod outputs;
mod summary;

pub use drill::{drill_outputs, drill_report_path, drill_summary, write_drill_report};
pub use outputs::{backup_outputs, JOBS_OUTPUT_KEYS};
pub use summary::{backup_summary, failure_summary, html_escape};

use time::OffsetDateTime;

/// Formats a time as `2025-05-01 10:00:05 UTC`.
pub fn format_time(when: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let text = when
        .to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default();
    format!("{text} UTC")
}

/// Formats Unix seconds (JWT `exp`) like [`format_time`].
pub fn format_unix_time(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .map(format_time)
        .unwrap_or_else(|_| seconds.to_string())
}

/// Formats a time as RFC 3339 in UTC (`2025-05-01T10:00:05Z`), for machine-read outputs.
pub fn format_rfc3339(when: OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    when.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc() {
        let when = time::macros::datetime!(2025-05-01 12:00:05 +02:00);
        assert_eq!(format_time(when), "2025-05-01 10:00:05 UTC");
        assert_eq!(format_rfc3339(when), "2025-05-01T10:00:05Z");
        assert_eq!(format_unix_time(0), "1970-01-01 00:00:00 UTC");
    }
}
