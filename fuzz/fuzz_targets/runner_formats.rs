//! Fuzzes the runner's formats: `github::format_output` (the `GITHUB_OUTPUT` heredoc),
//! `github::neutralize`, `github::escape_data` and `github::escape_property`, each checked against
//! a model of how the runner reads it back (`tests/props/runner_parsers.rs`).

#![no_main]

use arbitrary::Arbitrary;
use azure_backup_oidc::github::{escape_data, escape_property, format_output, neutralize};
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/props/runner_parsers.rs"]
mod runner_parsers;

use runner_parsers::{
    is_command_line, parse_output_file, split_runner_lines, unescape_data, unescape_property,
};

#[derive(Arbitrary, Debug)]
struct Case<'a> {
    name: &'a str,
    value: &'a str,
    /// The random part of the heredoc delimiter, formatted as a UUID like `new_delimiter` does.
    delimiter_bytes: [u8; 16],
    /// Byte offset at which a copy of the delimiter goes into the value (moved back to a character
    /// boundary), to exercise the rejection of a value that contains it.
    delimiter_in_value_at: Option<u16>,
    /// Untrusted text for `neutralize` and the escaping functions.
    text: &'a str,
}

fuzz_target!(|case: Case<'_>| {
    let delimiter = delimiter_from(&case.delimiter_bytes);
    let mut value = case.value.to_string();
    if let Some(offset) = case.delimiter_in_value_at {
        let mut offset = usize::from(offset).min(value.len());
        while !value.is_char_boundary(offset) {
            offset -= 1;
        }
        value.insert_str(offset, &delimiter);
    }
    check_format_output(case.name, &value, &delimiter);

    check_neutralize(case.text);

    let escaped = escape_data(case.text);
    assert!(!escaped.contains(['\r', '\n']), "{escaped:?}");
    assert_eq!(unescape_data(&escaped), case.text);

    let escaped = escape_property(case.text);
    assert!(!escaped.contains(['\r', '\n', ':', ',']), "{escaped:?}");
    assert_eq!(unescape_property(&escaped), case.text);
});

/// Formats `ghadelimiter_` and 16 bytes as a lower-case hyphenated UUID.
fn delimiter_from(bytes: &[u8; 16]) -> String {
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "ghadelimiter_{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Checks that `format_output` either returns text the runner reads back as exactly this one
/// output, or rejects a name or value that its documentation names as invalid.
fn check_format_output(name: &str, value: &str, delimiter: &str) {
    match format_output(name, value, delimiter) {
        Ok(text) => {
            let parsed = parse_output_file(&text);
            assert_eq!(
                parsed,
                Ok(vec![(name.to_string(), value.to_string())]),
                "the runner misreads {text:?}"
            );
        }
        Err(error) => {
            let name_is_invalid = name.is_empty()
                || name.contains('=')
                || name.contains("<<")
                || name.contains(['\r', '\n'])
                || name.ends_with('<')
                || name.contains(delimiter);
            assert!(
                name_is_invalid || value.contains(delimiter),
                "a valid output was rejected: {error}"
            );
        }
    }
}

/// Checks that no line of the neutralised text is a workflow command, and that text with no
/// command-like line comes back unchanged except for its line breaks.
fn check_neutralize(text: &str) {
    let neutral = neutralize(text);
    for line in split_runner_lines(&neutral) {
        assert!(
            !is_command_line(line),
            "command-like line {line:?} from {text:?}"
        );
    }
    let lines = split_runner_lines(text);
    if !lines.iter().any(|line| is_command_line(line)) {
        assert_eq!(neutral, lines.join("\n"));
    }
}
