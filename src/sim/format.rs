//! Text forms of times and durations as the real services write them.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

/// RFC 3339 in UTC, as `time` writes it (for the request log and the admin endpoints).
pub(crate) fn rfc3339(time: OffsetDateTime) -> String {
    time.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| time.unix_timestamp().to_string())
}

/// `2025-05-01T10:00:00.1234567Z`: UTC with seven fractional digits, the .NET round-trip form that
/// ARM and Entra use.
pub(crate) fn dotnet_utc(time: OffsetDateTime) -> String {
    let time = time.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second(),
        time.nanosecond() / 100
    )
}

/// `2025-05-01 10:00:00Z`: the `timestamp` field of Entra error bodies.
pub(crate) fn entra_timestamp(time: OffsetDateTime) -> String {
    let time = time.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    )
}

/// `5/1/2025 11:00:04 AM`: the US short form that ARM uses in `ExpiredAuthenticationToken`.
pub(crate) fn us_date_time(time: OffsetDateTime) -> String {
    let time = time.to_offset(UtcOffset::UTC);
    let (hour, suffix) = match time.hour() {
        0 => (12, "AM"),
        hour @ 1..=11 => (hour, "AM"),
        12 => (12, "PM"),
        hour => (hour - 12, "PM"),
    };
    format!(
        "{}/{}/{} {}:{:02}:{:02} {}",
        u8::from(time.month()),
        time.day(),
        time.year(),
        hour,
        time.minute(),
        time.second(),
        suffix
    )
}

/// ISO 8601 duration such as `PT9.8782791S` or `PT14M3.2S`, with up to seven fractional digits.
pub(crate) fn iso8601_duration(duration: Duration) -> String {
    let duration = if duration.is_negative() {
        Duration::ZERO
    } else {
        duration
    };
    let total_seconds = duration.whole_seconds();
    let hours = total_seconds / 3600;
    let minutes = (total_seconds % 3600) / 60;
    let seconds = total_seconds % 60;
    let ticks = duration.subsec_nanoseconds() / 100;

    let mut text = String::from("PT");
    if hours > 0 {
        text.push_str(&format!("{hours}H"));
    }
    if minutes > 0 {
        text.push_str(&format!("{minutes}M"));
    }
    if ticks > 0 {
        let fraction = format!("{ticks:07}");
        text.push_str(&format!("{seconds}.{}S", fraction.trim_end_matches('0')));
    } else if seconds > 0 || (hours == 0 && minutes == 0) {
        text.push_str(&format!("{seconds}S"));
    }
    text
}

/// .NET `TimeSpan` text such as `00:02:11.9724387` or `1.02:00:00`: days only when there are any,
/// and seven fractional digits only when the fraction is not zero. Negative durations read as
/// zero.
pub(crate) fn dotnet_timespan(duration: Duration) -> String {
    let duration = duration.max(Duration::ZERO);
    let total_seconds = duration.whole_seconds();
    let days = total_seconds / 86_400;
    let hours = (total_seconds % 86_400) / 3600;
    let minutes = (total_seconds % 3600) / 60;
    let seconds = total_seconds % 60;
    let ticks = duration.subsec_nanoseconds() / 100;

    let mut text = String::new();
    if days > 0 {
        text.push_str(&format!("{days}."));
    }
    text.push_str(&format!("{hours:02}:{minutes:02}:{seconds:02}"));
    if ticks > 0 {
        text.push_str(&format!(".{ticks:07}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn dotnet_utc_has_seven_digits() {
        let time = datetime!(2017-08-03 05:31:07.014604 UTC);
        assert_eq!(dotnet_utc(time), "2017-08-03T05:31:07.0146040Z");
    }

    #[test]
    fn entra_and_us_forms() {
        let time = datetime!(2025-05-01 13:00:04.5 UTC);
        assert_eq!(entra_timestamp(time), "2025-05-01 13:00:04Z");
        assert_eq!(us_date_time(time), "5/1/2025 1:00:04 PM");
        assert_eq!(
            us_date_time(datetime!(2025-05-01 00:05:00 UTC)),
            "5/1/2025 12:05:00 AM"
        );
    }

    #[test]
    fn iso8601_durations() {
        assert_eq!(iso8601_duration(Duration::ZERO), "PT0S");
        assert_eq!(iso8601_duration(Duration::milliseconds(9878)), "PT9.878S");
        assert_eq!(
            iso8601_duration(Duration::seconds(843) + Duration::milliseconds(200)),
            "PT14M3.2S"
        );
        assert_eq!(iso8601_duration(Duration::hours(1)), "PT1H");
        assert_eq!(iso8601_duration(Duration::seconds(-5)), "PT0S");
    }

    #[test]
    fn dotnet_timespans() {
        assert_eq!(dotnet_timespan(Duration::ZERO), "00:00:00");
        assert_eq!(
            dotnet_timespan(Duration::seconds(131) + Duration::nanoseconds(972_438_700)),
            "00:02:11.9724387"
        );
        assert_eq!(dotnet_timespan(Duration::hours(26)), "1.02:00:00");
        assert_eq!(dotnet_timespan(Duration::seconds(-5)), "00:00:00");
    }
}
