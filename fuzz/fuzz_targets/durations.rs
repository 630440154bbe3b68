//! Fuzzes the duration and input-text parsers: `parse_duration` (with `format_duration`),
//! `js_trim` and `parse_bool_input`.

#![no_main]

use azure_backup_oidc::config::{
    format_duration, js_trim, parse_bool_input, parse_duration, MAX_DURATION,
};
use libfuzzer_sys::fuzz_target;

/// The spellings `parse_bool_input` accepts after trimming.
const BOOLEAN_SPELLINGS: [(&str, bool); 6] = [
    ("true", true),
    ("True", true),
    ("TRUE", true),
    ("false", false),
    ("False", false),
    ("FALSE", false),
];

fuzz_target!(|text: &str| {
    if let Ok(duration) = parse_duration(text) {
        assert!(!duration.is_zero());
        assert!(duration <= MAX_DURATION);
        assert_eq!(duration.subsec_nanos(), 0);
        assert!(
            text.chars()
                .all(|c| c.is_ascii_digit() || "hms".contains(c)),
            "{text:?} was accepted"
        );
        let formatted = format_duration(duration);
        assert_eq!(parse_duration(&formatted), Ok(duration), "{formatted:?}");
    }

    let trimmed = js_trim(text);
    assert!(text.contains(trimmed));
    assert_eq!(js_trim(trimmed), trimmed, "trimming twice changed the text");

    let parsed = parse_bool_input(text);
    assert_eq!(parse_bool_input(trimmed), parsed);
    let expected = BOOLEAN_SPELLINGS
        .iter()
        .find(|(spelling, _)| *spelling == trimmed)
        .map(|(_, value)| *value);
    assert_eq!(parsed, expected, "{text:?}");
});
