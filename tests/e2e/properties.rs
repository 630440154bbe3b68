//! Property tests of the parsers of untrusted text: inputs, durations, resource IDs, ARM replies
//! and the runner's formats. The runner's side is modelled in `tests/props/runner_parsers.rs`, and
//! `fuzz/` runs the same checks on fuzzer-made input.
//!
//! These tests start no process and no simulator, unlike the rest of this test binary.

use std::collections::HashMap;
use std::time::Duration;

use azure_backup_oidc::arm::protected_item_names;
use azure_backup_oidc::backup::{
    parse_service_duration, parse_service_time, JobSnapshot, JobStatus,
};
use azure_backup_oidc::config::{
    self, format_duration, js_trim, parse_bool_input, parse_duration, DurationError, ResourceId,
    VaultId, VaultKind, MAX_DURATION,
};
use azure_backup_oidc::github::{escape_data, escape_property, format_output, neutralize};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{json, Value};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

#[path = "../props/action_inputs.rs"]
mod action_inputs;
#[path = "../props/invariants.rs"]
mod invariants;
#[path = "../props/runner_parsers.rs"]
mod runner_parsers;

use runner_parsers::{
    is_command_line, parse_output_file, split_runner_lines, unescape_data, unescape_property,
};

/// Cases per property: proptest's default, written out because CI runs this on 2 cores and the
/// whole file should finish in a few seconds.
const CASES: u32 = 256;

/// Where proptest stores the seeds of failed cases, so the next run tries them first. Relative to
/// the package root, which is the working directory of `cargo test`.
const REGRESSIONS_FILE: &str = "tests/props/regressions/properties.txt";

/// Maximum number of pieces (tokens or single characters) in one generated string.
const MAX_PIECES: usize = 24;

fn proptest_config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(REGRESSIONS_FILE))),
        ..ProptestConfig::default()
    }
}

const SUBSCRIPTION: &str = "00000000-0000-0000-0000-0000000000aa";

/// Pieces of the duration syntax, with numbers at the limits.
const DURATION_TOKENS: &[&str] = &[
    "0",
    "1",
    "9",
    "59",
    "60",
    "120",
    "7201",
    "432000",
    "18446744073709551615",
    "h",
    "m",
    "s",
    "H",
    " ",
    "+",
    "-",
    ".",
];

/// Pieces of ARM resource IDs.
const ID_TOKENS: &[&str] = &[
    "/",
    "subscriptions",
    "SUBSCRIPTIONS",
    SUBSCRIPTION,
    "resourceGroups",
    "rg",
    "providers",
    "Microsoft.RecoveryServices",
    "vaults",
    "rsv1",
    "Microsoft.DataProtection",
    "backupVaults",
    "Microsoft.Compute",
    "disks",
    "protectionContainers",
    "protectedItems",
    "..",
    "?",
    "#",
    "%",
    "\\",
    ";",
];

/// Pieces of service times, durations and JSON job bodies.
const REPLY_TOKENS: &[&str] = &[
    "PT",
    "H",
    "M",
    "S",
    ":",
    ".",
    "1",
    "59",
    "99999999999999999",
    "2017-08-03",
    "T",
    "05:31:07",
    ".0896697",
    "Z",
    "+02:00",
    "NaN",
    "inf",
    "-",
];

/// Markers of workflow commands, the escaping and the output file format.
const RUNNER_TOKENS: &[&str] = &[
    "::", "##[", "\r", "\n", "\r\n", " ", "\t", "\u{85}", "\u{2028}", "\u{200B}", "%", "%0A",
    "%0D", "%25", "%3A", "%2C", ":", ",", "<", "<<", "=", "#", "[", "a",
];

/// Indents in front of a command marker: .NET whitespace (which the runner's `TrimStart`
/// removes) and look-alikes that it keeps (U+200B, U+FEFF).
const INDENTS: &[&str] = &[
    " ", "\t", "\u{B}", "\u{C}", "\u{85}", "\u{A0}", "\u{1680}", "\u{2003}", "\u{2028}",
    "\u{2029}", "\u{3000}", "\u{200B}", "\u{FEFF}",
];

/// What a line may start with after its indent.
const MARKERS: &[&str] = &["::", "##[", ":", "#", ""];

/// The line breaks of .NET `ReadLine`, and none at the end of the text.
const LINE_BREAKS: &[&str] = &["\n", "\r", "\r\n", ""];

/// Input values that pass validation, so generated inputs often reach a valid `Config`.
const SAMPLE_INPUT_VALUES: &[&str] = &[
    "11111111-1111-1111-1111-111111111111",
    "contoso.onmicrosoft.com",
    SUBSCRIPTION,
    "rg-backup",
    "rg-drill",
    "rsv-prod",
    "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/rsv1",
    "backup",
    "restore-drill",
    "cleanup",
    "vm1",
    "vm1, vm2\nVM1",
    "30",
    "9999",
    "true",
    "False",
    "1h30m",
    "30s",
    "120h",
    "latest",
    "2026-12-01T02:00:00Z",
    "26083826328862",
    "stagingacct1",
    "on-success",
    "never",
    "attach",
    "wait",
    "fail",
    "AzureUSGovernment",
    "https://management.example.test/",
    "[\"/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-drill/providers/Microsoft.Compute/disks/d1\"]",
];

/// JSON keys that `JobSnapshot::from_json` reads.
const JOB_KEYS: &[&str] = &[
    "properties",
    "status",
    "startTime",
    "endTime",
    "duration",
    "errorDetails",
    "errorCode",
    "errorString",
    "recommendations",
];

/// Service job statuses, including ones this tool does not know.
const SERVICE_STATUSES: &[&str] = &[
    "Completed",
    "CompletedWithWarnings",
    "Failed",
    "Cancelled",
    "Canceled",
    "Cancelling",
    "InProgress",
    "Succeeded",
    "SuccessWithWarning",
    "Invalid",
    "",
];

/// ECMAScript `WhiteSpace` and `LineTerminator`, which JavaScript's `trim` removes.
const JS_WHITESPACE: &[char] = &[
    '\t', '\n', '\u{B}', '\u{C}', '\r', ' ', '\u{A0}', '\u{1680}', '\u{2000}', '\u{2005}',
    '\u{200A}', '\u{2028}', '\u{2029}', '\u{202F}', '\u{205F}', '\u{3000}', '\u{FEFF}',
];

/// Characters that look like whitespace but that JavaScript's `trim` keeps.
const NOT_JS_WHITESPACE: &[char] = &['\u{85}', '\u{180E}', '\u{200B}'];

const BOOLEAN_SPELLINGS: &[(&str, bool)] = &[
    ("true", true),
    ("True", true),
    ("TRUE", true),
    ("false", false),
    ("False", false),
    ("FALSE", false),
];

/// Returns strings built from `tokens` and arbitrary characters, so generated text hits a
/// parser's syntax far more often than uniformly random text does.
fn text_with(tokens: &'static [&'static str]) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => select(tokens).prop_map(str::to_string),
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..MAX_PIECES).prop_map(|pieces| pieces.concat())
}

/// Returns arbitrary text: random Unicode (line breaks included) or token-built text of any of
/// the parsed syntaxes.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "(?s).{0,64}",
        text_with(DURATION_TOKENS),
        text_with(ID_TOKENS),
        text_with(REPLY_TOKENS),
        text_with(RUNNER_TOKENS),
    ]
}

/// Returns lines that often start, after some indent, with a command marker, joined with the
/// line breaks the runner splits at.
fn command_like_text() -> impl Strategy<Value = String> {
    let line = (
        prop::collection::vec(select(INDENTS), 0..3),
        select(MARKERS),
        text_with(RUNNER_TOKENS),
    )
        .prop_map(|(indent, marker, rest)| format!("{}{marker}{rest}", indent.concat()));
    prop::collection::vec((line, select(LINE_BREAKS)), 1..5).prop_map(|lines| {
        lines
            .into_iter()
            .map(|(line, line_break)| format!("{line}{line_break}"))
            .collect()
    })
}

/// Returns `text` with each ASCII letter's case flipped where `flips` has a set bit.
fn with_random_case(text: &str, flips: u64) -> String {
    text.chars()
        .enumerate()
        .map(|(index, character)| {
            if (flips >> (index % 64)) & 1 == 1 {
                if character.is_ascii_uppercase() {
                    character.to_ascii_lowercase()
                } else {
                    character.to_ascii_uppercase()
                }
            } else {
                character
            }
        })
        .collect()
}

/// Returns a GUID in the 8-4-4-4-12 form, in mixed case.
fn guid() -> impl Strategy<Value = String> {
    "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
}

/// Returns valid resource-group names: 1 to 90 letters (any script), digits, `.`, `_`, `-`, `(`
/// and `)`, not ending in `.`.
fn resource_group_name() -> impl Strategy<Value = String> {
    "[\\p{L}\\p{Nd}._()-]{0,89}[\\p{L}\\p{Nd}_()-]"
}

/// Returns valid Recovery Services vault names: 2 to 50 ASCII letters, digits and hyphens,
/// starting with a letter.
fn vault_name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9-]{1,49}"
}

/// The largest offset from UTC that RFC 3339 can write, 23:59, in minutes.
const MAX_OFFSET_MINUTES: i32 = 23 * 60 + 59;

/// Returns a service time as text and the instant it names: RFC 3339 with 0 to 7 fractional
/// digits, and `Z`, a numeric offset or no offset (which the service means as UTC).
fn service_time() -> impl Strategy<Value = (String, OffsetDateTime)> {
    let date = (1i32..=9999, 1u8..=12, 1u8..=28);
    let clock = (0u8..24, 0u8..60, 0u8..60);
    let fraction = (0usize..=7, 0u32..10_000_000);
    let zone = prop_oneof![
        Just(None),
        Just(Some(0)),
        (-MAX_OFFSET_MINUTES..=MAX_OFFSET_MINUTES).prop_map(Some),
    ];
    (date, clock, fraction, zone, any::<bool>()).prop_map(
        |((year, month, day), (hour, minute, second), (digits, raw), zone, zulu)| {
            let fraction_value = raw % 10u32.pow(digits as u32);
            let nanoseconds = fraction_value * 10u32.pow(9 - digits as u32);
            let month = Month::try_from(month).unwrap();
            let date = Date::from_calendar_date(year, month, day).unwrap();
            let clock = Time::from_hms_nano(hour, minute, second, nanoseconds).unwrap();
            let local = PrimitiveDateTime::new(date, clock);

            let mut text = format!(
                "{year:04}-{:02}-{day:02}T{hour:02}:{minute:02}:{second:02}",
                u8::from(month)
            );
            if digits > 0 {
                text.push_str(&format!(".{fraction_value:0digits$}"));
            }
            let offset_minutes = match zone {
                None => 0,
                Some(0) if zulu => {
                    text.push('Z');
                    0
                }
                Some(minutes) => {
                    let sign = if minutes < 0 { '-' } else { '+' };
                    let absolute = minutes.unsigned_abs();
                    text.push_str(&format!("{sign}{:02}:{:02}", absolute / 60, absolute % 60));
                    minutes
                }
            };
            let offset = UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap();
            (text, local.assume_offset(offset))
        },
    )
}

/// Returns arbitrary JSON values, with object keys often the ones a job body has.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        select(SERVICE_STATUSES).prop_map(Value::from),
        text_with(REPLY_TOKENS).prop_map(Value::from),
    ];
    let key = prop_oneof![
        3 => select(JOB_KEYS).prop_map(str::to_string),
        1 => "\\PC{0,8}",
    ];
    leaf.prop_recursive(4, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// Inputs every valid set below shares.
const SIGN_IN_INPUTS: &[(&str, &str)] = &[
    ("client-id", "11111111-1111-1111-1111-111111111111"),
    ("tenant-id", "22222222-2222-2222-2222-222222222222"),
];

/// Valid sets of inputs, one per operation, added to [`SIGN_IN_INPUTS`].
const VALID_INPUT_SETS: &[&[(&str, &str)]] = &[
    &[
        ("subscription-id", SUBSCRIPTION),
        ("resource-group", "rg-backup"),
        ("vault", "rsv-prod"),
        ("items", "vm1"),
    ],
    &[
        ("vault", "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/rsv1"),
        ("operation", "restore-drill"),
        ("items", "vm1"),
        ("target-resource-group", "rg-drill"),
        ("staging-storage-account", "stagingacct1"),
    ],
    &[
        ("vault", "/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg/providers/Microsoft.RecoveryServices/vaults/rsv1"),
        ("operation", "cleanup"),
        ("restored-resource-ids", "[\"/subscriptions/00000000-0000-0000-0000-0000000000aa/resourceGroups/rg-drill/providers/Microsoft.Compute/disks/d1\"]"),
    ],
];

/// Returns the `INPUT_*` variables of [`SIGN_IN_INPUTS`] and `inputs`.
fn variables_of(inputs: &[(&str, &str)]) -> HashMap<String, String> {
    SIGN_IN_INPUTS
        .iter()
        .chain(inputs)
        .map(|(name, value)| (action_inputs::input_variable(name), value.to_string()))
        .collect()
}

/// Returns `INPUT_*` variables: none or one of [`VALID_INPUT_SETS`], then up to 3 inputs set to
/// sample values or generated text.
fn input_variables() -> impl Strategy<Value = HashMap<String, String>> {
    let value = prop_oneof![
        2 => select(SAMPLE_INPUT_VALUES).prop_map(str::to_string),
        1 => text_with(RUNNER_TOKENS),
        1 => text_with(ID_TOKENS),
    ];
    let names = action_inputs::generated_input_names();
    let overrides = prop::collection::vec((select(names), value), 0..4);
    let start = prop::option::of(select(VALID_INPUT_SETS));
    (start, overrides).prop_map(|(start, overrides)| {
        let mut variables = start.map(variables_of).unwrap_or_default();
        for (name, value) in overrides {
            variables.insert(action_inputs::input_variable(name), value);
        }
        variables
    })
}

/// Returns what `parse_duration` should return for the `(number, unit)` parts, read left to
/// right: each unit at most once and in the order `h`, `m`, `s`, a total within `u64` seconds,
/// then neither zero nor over [`MAX_DURATION`]. A syntax error carries no message.
fn expected_duration(parts: &[(u64, char)]) -> Result<Duration, DurationError> {
    const UNITS: [(char, u64); 3] = [('h', 3600), ('m', 60), ('s', 1)];
    let mut next_unit = 0;
    let mut total: u64 = 0;
    for (number, unit) in parts {
        let position = UNITS.iter().position(|(name, _)| name == unit).unwrap();
        if position < next_unit {
            return Err(DurationError::Syntax(String::new()));
        }
        next_unit = position + 1;
        total = number
            .checked_mul(UNITS[position].1)
            .and_then(|seconds| total.checked_add(seconds))
            .ok_or(DurationError::TooLong { max: MAX_DURATION })?;
    }
    match total {
        0 => Err(DurationError::Zero),
        total if total <= MAX_DURATION.as_secs() => Ok(Duration::from_secs(total)),
        _ => Err(DurationError::TooLong { max: MAX_DURATION }),
    }
}

/// Returns `[days.]hh:mm:ss[.fraction]` and its value in seconds, or `None` past `u64::MAX`.
fn clock_duration() -> impl Strategy<Value = (String, Option<u64>)> {
    let number = prop_oneof![3 => 0u64..100, 1 => any::<u64>()];
    (
        prop::option::of(number.clone()),
        number.clone(),
        number.clone(),
        0u64..60,
        prop::option::of("[0-9]{1,7}"),
    )
        .prop_map(|(days, hours, minutes, seconds, fraction)| {
            let mut text = String::new();
            if let Some(days) = days {
                text.push_str(&format!("{days}."));
            }
            text.push_str(&format!("{hours:02}:{minutes:02}:{seconds:02}"));
            if let Some(fraction) = fraction {
                text.push_str(&format!(".{fraction}"));
            }
            let total = days
                .unwrap_or(0)
                .checked_mul(86_400)
                .and_then(|total| total.checked_add(hours.checked_mul(3600)?))
                .and_then(|total| total.checked_add(minutes.checked_mul(60)?))
                .and_then(|total| total.checked_add(seconds));
            (text, total)
        })
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn parsers_never_panic(text in any_text()) {
        let _ = parse_duration(&text);
        let _ = js_trim(&text);
        let _ = parse_bool_input(&text);
        let _ = VaultId::parse(&text);
        let _ = ResourceId::parse(&text);
        let _ = protected_item_names(&text);
        let _ = parse_service_time(&text);
        let _ = parse_service_duration(&text);
        let _ = neutralize(&text);
        let _ = escape_data(&text);
    }

    #[test]
    fn duration_format_round_trips(seconds in 1..=MAX_DURATION.as_secs()) {
        let duration = Duration::from_secs(seconds);
        let text = format_duration(duration);
        prop_assert_eq!(parse_duration(&text), Ok(duration), "formatted as {:?}", text);
    }

    #[test]
    fn duration_follows_grammar(
        parts in prop::collection::vec(
            (prop_oneof![3 => 0u64..10_000, 1 => any::<u64>()], select(&['h', 'm', 's'][..])),
            1..4,
        ),
        leading_zeros in 0usize..3,
    ) {
        let zeros = "0".repeat(leading_zeros);
        let text: String = parts
            .iter()
            .map(|(number, unit)| format!("{zeros}{number}{unit}"))
            .collect();
        let parsed = parse_duration(&text);
        match expected_duration(&parts) {
            Err(DurationError::Syntax(_)) => prop_assert!(
                matches!(parsed, Err(DurationError::Syntax(_))),
                "{:?} gave {:?}", text, parsed
            ),
            expected => prop_assert_eq!(parsed, expected, "{:?}", text),
        }
    }

    #[test]
    fn duration_rejects_other_characters(
        seconds in 1..=MAX_DURATION.as_secs(),
        foreign in any::<char>().prop_filter("not a duration character", |c| {
            !c.is_ascii_digit() && !matches!(c, 'h' | 'm' | 's')
        }),
        position in any::<prop::sample::Index>(),
    ) {
        let mut text = format_duration(Duration::from_secs(seconds));
        let at = position.index(text.len() + 1);
        text.insert(at, foreign);
        prop_assert!(parse_duration(&text).is_err(), "{:?} was accepted", text);
    }

    #[test]
    fn bool_input_trims_js_whitespace(
        spelling in select(BOOLEAN_SPELLINGS),
        before in prop::collection::vec(select(JS_WHITESPACE), 0..3),
        after in prop::collection::vec(select(JS_WHITESPACE), 0..3),
        kept in select(NOT_JS_WHITESPACE),
    ) {
        let (word, value) = spelling;
        let before: String = before.into_iter().collect();
        let after: String = after.into_iter().collect();
        let padded = format!("{before}{word}{after}");
        prop_assert_eq!(js_trim(&padded), word);
        prop_assert_eq!(parse_bool_input(&padded), Some(value), "{:?}", padded);
        let with_kept = format!("{kept}{padded}");
        prop_assert_eq!(parse_bool_input(&with_kept), None, "{:?}", with_kept);
    }

    #[test]
    fn js_trim_is_idempotent(text in any_text()) {
        let trimmed = js_trim(&text);
        prop_assert!(text.contains(trimmed));
        prop_assert_eq!(js_trim(trimmed), trimmed);
    }

    #[test]
    fn escape_data_round_trips(text in any_text()) {
        let escaped = escape_data(&text);
        prop_assert!(!escaped.contains(['\r', '\n']), "{:?}", escaped);
        prop_assert_eq!(unescape_data(&escaped), text);
    }

    #[test]
    fn escape_property_round_trips(text in any_text()) {
        let escaped = escape_property(&text);
        prop_assert!(!escaped.contains(['\r', '\n', ':', ',']), "{:?}", escaped);
        prop_assert_eq!(unescape_property(&escaped), text);
    }

    #[test]
    fn neutralize_leaves_no_command(text in prop_oneof![any_text(), command_like_text()]) {
        let neutral = neutralize(&text);
        for line in split_runner_lines(&neutral) {
            prop_assert!(!is_command_line(line), "line {:?} of {:?}", line, neutral);
        }
        let lines = split_runner_lines(&text);
        if !lines.iter().any(|line| is_command_line(line)) {
            prop_assert_eq!(neutral, lines.join("\n"));
        }
    }

    #[test]
    fn format_output_round_trips_or_rejects(
        // The second alphabet makes names that end in `<` or hold `<<` common.
        name in prop_oneof![text_with(RUNNER_TOKENS), "[A-Za-z0-9_<-]{1,12}"],
        value in any_text(),
        delimiter_id in guid(),
        delimiter_at in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let delimiter = format!("ghadelimiter_{}", delimiter_id.to_ascii_lowercase());
        let mut value = value;
        if let Some(position) = delimiter_at {
            let mut at = position.index(value.len() + 1);
            while !value.is_char_boundary(at) {
                at -= 1;
            }
            value.insert_str(at, &delimiter);
        }
        match format_output(&name, &value, &delimiter) {
            Ok(text) => prop_assert_eq!(
                parse_output_file(&text),
                Ok(vec![(name.clone(), value.clone())]),
                "the runner misreads {:?}", text
            ),
            Err(error) => {
                let name_is_invalid = name.is_empty()
                    || name.contains('=')
                    || name.contains("<<")
                    || name.contains(['\r', '\n'])
                    || name.ends_with('<')
                    || name.contains(&delimiter);
                prop_assert!(
                    name_is_invalid || value.contains(&delimiter),
                    "a valid output was rejected: {}", error
                );
            }
        }
    }

    #[test]
    fn vault_id_round_trips(
        subscription in guid(),
        group in resource_group_name(),
        name in vault_name(),
        flips in any::<u64>(),
    ) {
        let vault = VaultId {
            subscription_id: subscription.to_ascii_lowercase(),
            resource_group: group.clone(),
            name: name.clone(),
            kind: VaultKind::RecoveryServices,
        };
        prop_assert_eq!(VaultId::parse(&vault.resource_id()), Ok(vault.clone()));

        let keywords = with_random_case(
            "subscriptions resourceGroups providers Microsoft.RecoveryServices vaults",
            flips,
        );
        let keywords: Vec<&str> = keywords.split(' ').collect();
        let text = format!(
            "/{}/{subscription}/{}/{group}/{}/{}/{}/{name}",
            keywords[0], keywords[1], keywords[2], keywords[3], keywords[4]
        );
        prop_assert_eq!(VaultId::parse(&text), Ok(vault), "{:?}", text);
    }

    #[test]
    fn resource_id_round_trips(
        subscription in guid(),
        group in resource_group_name(),
        namespace in "[A-Za-z][A-Za-z0-9.]{0,20}",
        resource_type in "[A-Za-z][A-Za-z0-9]{0,20}",
        name in "[A-Za-z0-9._-]{1,40}",
    ) {
        prop_assume!(name != "." && name != "..");
        let id = ResourceId {
            subscription_id: subscription.to_ascii_lowercase(),
            resource_group: group,
            namespace,
            resource_type,
            name,
        };
        prop_assert_eq!(ResourceId::parse(&id.id()), Ok(id));
    }

    #[test]
    fn protected_item_names_come_from_id(
        container in "[^/?#]{1,30}",
        item in "[^/?#]{1,30}",
        prefix in prop::collection::vec("[A-Za-z0-9.;-]{1,12}", 0..8),
        flips in any::<u64>(),
    ) {
        prop_assume!(container != ".." && item != "..");
        prop_assume!(!prefix.iter().any(|segment| segment.eq_ignore_ascii_case("protectionContainers")));
        let keywords = with_random_case("protectionContainers protectedItems", flips);
        let (containers, items) = keywords.split_once(' ').unwrap();
        let id = format!("/{}/{containers}/{container}/{items}/{item}", prefix.join("/"));
        let names = protected_item_names(&id);
        prop_assert!(names.is_some(), "{:?} was rejected", id);
        let names = names.unwrap();
        prop_assert_eq!(names.container, container);
        prop_assert_eq!(names.item, item);
        prop_assert_eq!(protected_item_names(&format!("{id}/")), None);
    }

    #[test]
    fn service_time_reads_rfc3339((text, expected) in service_time()) {
        prop_assert_eq!(parse_service_time(&text), Some(expected), "{:?}", text);
    }

    #[test]
    fn service_duration_reads_iso8601(
        hours in prop::option::of(0u64..1000),
        minutes in prop::option::of(0u64..1000),
        seconds in prop::option::of(0u64..100_000),
        fraction in "[0-9]{1,7}",
    ) {
        prop_assume!(hours.is_some() || minutes.is_some() || seconds.is_some());
        let mut text = "PT".to_string();
        if let Some(hours) = hours {
            text.push_str(&format!("{hours}H"));
        }
        if let Some(minutes) = minutes {
            text.push_str(&format!("{minutes}M"));
        }
        if let Some(seconds) = seconds {
            text.push_str(&format!("{seconds}.{fraction}S"));
        }
        let expected =
            hours.unwrap_or(0) * 3600 + minutes.unwrap_or(0) * 60 + seconds.unwrap_or(0);
        prop_assert_eq!(parse_service_duration(&text), Some(expected), "{:?}", text);
    }

    #[test]
    fn service_duration_reads_clock_form((text, expected) in clock_duration()) {
        prop_assert_eq!(parse_service_duration(&text), expected, "{:?}", text);
    }

    #[test]
    fn job_from_any_json_never_panics(value in json_value()) {
        invariants::check_job(&value);
        invariants::check_job(&json!({ "properties": value }));
    }

    #[test]
    fn job_reads_status_times_and_error(
        status in select(SERVICE_STATUSES),
        (start_text, start) in service_time(),
        (end_text, end) in service_time(),
        code in prop_oneof![any::<i64>().prop_map(Value::from), "[A-Za-z]{1,20}".prop_map(Value::from)],
        message in "\\PC{0,30}",
    ) {
        let body = json!({"properties": {
            "status": status,
            "startTime": start_text,
            "endTime": end_text,
            "errorDetails": [{"errorCode": code, "errorString": message}],
        }});
        let job = JobSnapshot::from_json(&body);
        prop_assert!(job.is_some());
        let job = job.unwrap();
        prop_assert_eq!(job.status, JobStatus::from_service(status));
        prop_assert_eq!(job.start_time, Some(start));
        prop_assert_eq!(job.end_time, Some(end));
        let expected_seconds = (end - start).whole_seconds().max(0) as u64;
        prop_assert_eq!(job.duration_seconds, Some(expected_seconds));
        let expected_code = match &code {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        prop_assert_eq!(job.error_code, Some(expected_code));
        prop_assert_eq!(job.error_message, Some(message));
    }

    #[test]
    fn inputs_validate_without_panic(variables in input_variables()) {
        let lookup = |name: &str| variables.get(name).cloned();
        match config::from_lookup(&lookup) {
            Ok(config) => invariants::check_config(&config),
            Err(error) => invariants::check_input_error(&error),
        }
    }
}

#[test]
fn valid_input_sets_are_accepted() {
    for inputs in VALID_INPUT_SETS {
        let variables = variables_of(inputs);
        let lookup = |name: &str| variables.get(name).cloned();
        match config::from_lookup(&lookup) {
            Ok(config) => invariants::check_config(&config),
            Err(error) => panic!("{inputs:?} were rejected: {error}"),
        }
    }
}

#[test]
fn input_names_come_from_action_yml() {
    let names = action_inputs::input_names();
    for expected in ["client-id", "vault", "items", "ca-certificates"] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(!action_inputs::generated_input_names().contains(&"ca-certificates"));
}
