//! Durations in inputs such as `timeout` and `poll-interval`: hours, minutes and seconds written
//! as `2h`, `90m`, `1h30m` or `45s`.

use std::fmt;
use std::time::Duration;

/// Maximum duration accepted for `timeout`, `poll-interval` and `max-restore-duration`: 5 days.
/// A job on a self-hosted runner stops after 5 days, and one on a GitHub-hosted runner after 6
/// hours (GitHub Docs, "Usage limits for self-hosted runners" and "Usage limits, billing, and
/// administration"), so a longer wait could never take effect.
pub const MAX_DURATION: Duration = Duration::from_secs(5 * 24 * 3600);

/// The syntax named in every error message.
const SYNTAX_HINT: &str =
    "write whole numbers with units h, m and s, in that order, such as 90s, 15m, 2h or 1h30m";

/// The reason a duration was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    /// The text is empty.
    Empty,
    /// A number has no unit, such as `30`.
    MissingUnit,
    /// The text does not follow the `1h30m15s` form. The string names the part that is wrong.
    Syntax(String),
    /// The duration adds up to zero.
    Zero,
    /// The duration is longer than the maximum `max` of the input.
    TooLong { max: Duration },
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::Empty => write!(f, "the duration is empty; {SYNTAX_HINT}"),
            DurationError::MissingUnit => {
                write!(f, "a number needs a unit; {SYNTAX_HINT}")
            }
            DurationError::Syntax(found) => write!(f, "{found}; {SYNTAX_HINT}"),
            DurationError::Zero => write!(f, "the duration must be longer than zero"),
            DurationError::TooLong { max } => write!(
                f,
                "the duration is longer than the maximum of {}",
                format_duration(*max)
            ),
        }
    }
}

impl std::error::Error for DurationError {}

/// Parses a positive duration such as `2h`, `90m`, `1h30m`, `45s` or `1h0m30s`, of at most
/// [`MAX_DURATION`].
///
/// Each of the units `h`, `m` and `s` may appear once, in that order, after a whole number of
/// ASCII digits. A bare number, another unit, a sign, a fraction or a space is rejected, as are
/// zero and anything over the maximum.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    parse_duration_up_to(text, MAX_DURATION)
}

/// Parses a duration as [`parse_duration`] does, with `max` as the maximum.
pub fn parse_duration_up_to(text: &str, max: Duration) -> Result<Duration, DurationError> {
    let too_long = DurationError::TooLong { max };
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    if text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(DurationError::MissingUnit);
    }

    const UNITS: [(char, u64); 3] = [('h', 3600), ('m', 60), ('s', 1)];
    let mut rest = text;
    let mut total_seconds: u64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(DurationError::Syntax(format!(
                "expected a number at '{rest}'"
            )));
        }
        let (number_text, after_number) = rest.split_at(digits);
        let Some(unit) = after_number.chars().next() else {
            return Err(DurationError::MissingUnit);
        };
        let Some(position) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(DurationError::Syntax(format!("'{unit}' is not a unit")));
        };
        if position < next_unit {
            return Err(DurationError::Syntax(format!(
                "the unit '{unit}' is repeated or out of order"
            )));
        }
        next_unit = position + 1;

        // A number too large for u64 is far past MAX_DURATION anyway.
        let number: u64 = number_text.parse().map_err(|_| too_long.clone())?;
        let seconds = number
            .checked_mul(UNITS[position].1)
            .ok_or_else(|| too_long.clone())?;
        total_seconds = total_seconds
            .checked_add(seconds)
            .ok_or_else(|| too_long.clone())?;
        rest = &after_number[unit.len_utf8()..];
    }

    let duration = Duration::from_secs(total_seconds);
    if duration.is_zero() {
        return Err(DurationError::Zero);
    }
    if duration > max {
        return Err(too_long);
    }
    Ok(duration)
}

/// Formats `duration` in the syntax [`parse_duration`] reads, such as `5h30m` or `45s`, dropping
/// zero parts and any fraction of a second.
pub fn format_duration(duration: Duration) -> String {
    let total = duration.as_secs();
    let (hours, minutes, seconds) = (total / 3600, total % 3600 / 60, total % 60);
    let mut text = String::new();
    if hours > 0 {
        text.push_str(&format!("{hours}h"));
    }
    if minutes > 0 {
        text.push_str(&format!("{minutes}m"));
    }
    if seconds > 0 || text.is_empty() {
        text.push_str(&format!("{seconds}s"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(value: u64) -> Duration {
        Duration::from_secs(value)
    }

    #[test]
    fn parses_each_unit_and_combinations() {
        let cases = [
            ("45s", 45),
            ("1s", 1),
            ("90m", 5400),
            ("2h", 7200),
            ("1h30m", 5400),
            ("5h30m", 19_800),
            ("1h0m30s", 3630),
            ("1m1s", 61),
            ("007s", 7),
            ("120h", 432_000),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_duration(text), Ok(seconds(expected)), "{text}");
        }
    }

    #[test]
    fn bare_number_needs_unit() {
        assert_eq!(parse_duration("30"), Err(DurationError::MissingUnit));
        let message = DurationError::MissingUnit.to_string();
        assert!(message.contains("1h30m"), "{message}");
        assert_eq!(parse_duration("1h30"), Err(DurationError::MissingUnit));
    }

    #[test]
    fn rejects_zero() {
        assert_eq!(parse_duration("0s"), Err(DurationError::Zero));
        assert_eq!(parse_duration("0h0m"), Err(DurationError::Zero));
    }

    #[test]
    fn rejects_over_maximum() {
        let too_long = DurationError::TooLong { max: MAX_DURATION };
        for text in [
            "120h1s",
            "7201m",
            "99999999999999999999999h",
            "18446744073709551615h",
        ] {
            assert_eq!(parse_duration(text), Err(too_long.clone()), "{text}");
        }
        let message = too_long.to_string();
        assert!(message.contains("120h"), "{message}");
    }

    #[test]
    fn maximum_is_the_callers() {
        let week = seconds(7 * 24 * 3600);
        assert_eq!(parse_duration_up_to("168h", week), Ok(week));
        assert_eq!(
            parse_duration_up_to("168h1s", week),
            Err(DurationError::TooLong { max: week })
        );
        assert_eq!(
            parse_duration_up_to("200h", seconds(1_000_000)),
            Ok(seconds(720_000))
        );
    }

    #[test]
    fn rejects_bad_syntax() {
        for text in [
            "m", "1x", "1H", "1.5h", "-1h", "+1h", " 1h", "1h ", "1h 30m", "30m1h", "1s1m", "1h1h",
            "1d", "h1", "1hm",
        ] {
            let result = parse_duration(text);
            assert!(
                matches!(result, Err(DurationError::Syntax(_))),
                "{text:?} gave {result:?}"
            );
        }
        assert_eq!(parse_duration(""), Err(DurationError::Empty));
    }

    #[test]
    fn format_round_trips() {
        for text in ["5h30m", "30s", "1h0m30s", "2h", "1m1s"] {
            let duration = parse_duration(text).unwrap();
            assert_eq!(parse_duration(&format_duration(duration)), Ok(duration));
        }
        assert_eq!(format_duration(seconds(3630)), "1h30s");
        assert_eq!(format_duration(seconds(0)), "0s");
    }
}
