//! Workflow commands that the runner parses from a step's stdout (`::name props::data`), their
//! escaping, and the neutralisation of untrusted text printed as plain log lines.
//!
//! The formats follow `@actions/core` 3.0.1 (`command.ts`) and the runner's parser
//! (`ActionCommand.cs`, runner 2.336.0). Every builder returns one whole line with its `\n`.

/// Prefix put in front of a plain log line that would otherwise start a workflow command.
///
/// The runner parses a line as a command when, after .NET `TrimStart`, it starts with `::`.
/// Any non-whitespace character in front stops that; a visible one also shows the reader
/// that the text was changed.
pub const COMMAND_LIKE_LINE_PREFIX: &str = "> ";

/// The runner's legacy command marker (`##[name]data`), found anywhere in a line.
const LEGACY_MARKER: &str = "##[";

/// [`LEGACY_MARKER`] with a zero-width space (U+200B) inside, which the legacy parser does not
/// match and which renders the same.
const BROKEN_LEGACY_MARKER: &str = "##\u{200B}[";

/// The level of an annotation: `::notice`, `::warning` or `::error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnnotationLevel {
    Notice,
    Warning,
    Error,
}

impl AnnotationLevel {
    /// Returns the workflow command name for this level.
    pub fn command_name(self) -> &'static str {
        match self {
            AnnotationLevel::Notice => "notice",
            AnnotationLevel::Warning => "warning",
            AnnotationLevel::Error => "error",
        }
    }
}

/// Optional annotation properties, written in the toolkit's order: `title`, `file`, `line`,
/// `endLine`, `col`, `endColumn`.
///
/// An empty string or a zero number is left out, as the toolkit does, so `line: Some(0)` writes
/// no `line` property.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnnotationProperties<'a> {
    pub title: Option<&'a str>,
    pub file: Option<&'a str>,
    pub start_line: Option<u32>,
    pub end_line: Option<u32>,
    pub start_column: Option<u32>,
    pub end_column: Option<u32>,
}

/// Escapes command data: `%` to `%25`, CR to `%0D`, LF to `%0A`.
///
/// `%` goes first, so the runner's unescaping (which handles `%25` last) restores any string,
/// including a literal `%0A`.
pub fn escape_data(value: &str) -> String {
    value
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property value: [`escape_data`], then `:` to `%3A` and `,` to `%2C`.
pub fn escape_property(value: &str) -> String {
    escape_data(value).replace(':', "%3A").replace(',', "%2C")
}

/// Builds an `::add-mask::` line, which makes the runner replace `value` with `***` in the log.
///
/// The runner also masks each line of a multi-line value, so CR and LF are escaped, not split.
pub fn add_mask(value: &str) -> String {
    format!("::add-mask::{}\n", escape_data(value))
}

/// Builds a `::debug::` line. The runner shows it only when step debug logging is on.
pub fn debug(message: &str) -> String {
    format!("::debug::{}\n", escape_data(message))
}

/// Builds a `::notice`, `::warning` or `::error` line with an optional title.
pub fn annotation(level: AnnotationLevel, title: Option<&str>, message: &str) -> String {
    let properties = AnnotationProperties {
        title,
        ..AnnotationProperties::default()
    };
    annotation_with_properties(level, &properties, message)
}

/// Builds an annotation line with any of the position properties.
///
/// With no property left, the line is `::error::message`. The toolkit writes a trailing space
/// there (`::error ::message`) when every property it was given is empty, but the runner parses
/// both the same way.
pub fn annotation_with_properties(
    level: AnnotationLevel,
    properties: &AnnotationProperties<'_>,
    message: &str,
) -> String {
    let mut pairs: Vec<String> = Vec::new();
    let text_properties = [("title", properties.title), ("file", properties.file)];
    for (key, value) in text_properties {
        if let Some(value) = value.filter(|value| !value.is_empty()) {
            pairs.push(format!("{key}={}", escape_property(value)));
        }
    }
    let number_properties = [
        ("line", properties.start_line),
        ("endLine", properties.end_line),
        ("col", properties.start_column),
        ("endColumn", properties.end_column),
    ];
    for (key, value) in number_properties {
        if let Some(value) = value.filter(|value| *value != 0) {
            pairs.push(format!("{key}={value}"));
        }
    }

    let name = level.command_name();
    let data = escape_data(message);
    if pairs.is_empty() {
        format!("::{name}::{data}\n")
    } else {
        format!("::{name} {}::{data}\n", pairs.join(","))
    }
}

/// Builds a `::group::` line, which starts a collapsible section of the log.
pub fn group(title: &str) -> String {
    format!("::group::{}\n", escape_data(title))
}

/// Builds the `::endgroup::` line that closes the section opened by [`group`].
pub fn end_group() -> String {
    "::endgroup::\n".to_string()
}

/// Builds a `::stop-commands::` line; the runner then prints commands as text until it reads
/// the line from [`resume_commands`] with the same token.
///
/// The token should be random and unique per run. The runner rejects an empty token,
/// `pause-logging` and the name of a workflow command.
pub fn stop_commands(token: &str) -> String {
    format!("::stop-commands::{token}\n")
}

/// Builds the `::<token>::` line that ends a [`stop_commands`] block.
pub fn resume_commands(token: &str) -> String {
    format!("::{token}::\n")
}

/// Breaks every `##[` in `text`. The runner does not apply the legacy parser to a line that
/// parsed as a command, so this is defence in depth for command data built from untrusted text.
pub fn break_legacy_markers(text: &str) -> String {
    text.replace(LEGACY_MARKER, BROKEN_LEGACY_MARKER)
}

/// Rewrites untrusted text so that no line of it can be parsed as a workflow command.
///
/// The runner reads a step's output with .NET `ReadLine`, which ends a line at `\r\n`, `\r` or
/// `\n`. This function splits at the same places and joins the lines with `\n`. Then, in each line:
///
/// - a line that starts with `::` after leading whitespace gets [`COMMAND_LIKE_LINE_PREFIX`];
/// - every `##[` (the legacy marker, matched anywhere in a line) becomes `##\u{200B}[`.
///
/// Text that contains neither marker comes back unchanged except for its line breaks. The result
/// has no trailing line break unless the text ended with one.
pub fn neutralize(text: &str) -> String {
    let mut result = String::with_capacity(text.len());
    for (index, line) in split_runner_lines(text).into_iter().enumerate() {
        if index > 0 {
            result.push('\n');
        }
        if line
            .trim_start_matches(is_dotnet_whitespace)
            .starts_with("::")
        {
            result.push_str(COMMAND_LIKE_LINE_PREFIX);
        }
        result.push_str(&line.replace(LEGACY_MARKER, BROKEN_LEGACY_MARKER));
    }
    result
}

/// Splits `text` at `\r\n`, `\r` and `\n`, as .NET `ReadLine` does. A trailing line break gives
/// a trailing empty line.
fn split_runner_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(position) = rest.find(['\r', '\n']) {
        lines.push(&rest[..position]);
        let break_length = if rest[position..].starts_with("\r\n") {
            2
        } else {
            1
        };
        rest = &rest[position + break_length..];
    }
    lines.push(rest);
    lines
}

/// Reports whether .NET `Char.IsWhiteSpace` is true for `character`, which is what the runner's
/// `TrimStart` removes.
///
/// .NET counts the Unicode categories Zs, Zl and Zp plus U+0009 to U+000D, U+0085 and U+00A0.
/// That is exactly the Unicode `White_Space` property that Rust's `char::is_whitespace` tests.
/// Neither includes U+200B or U+FEFF.
fn is_dotnet_whitespace(character: char) -> bool {
    character.is_whitespace()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reports whether the runner would parse `line` as a command, by either parser.
    fn parses_as_command(line: &str) -> bool {
        line.trim_start_matches(is_dotnet_whitespace)
            .starts_with("::")
            || line.contains("##[")
    }

    /// Asserts that no runner line of the neutralised `text` parses as a command.
    fn assert_neutralized(text: &str) {
        let neutral = neutralize(text);
        for line in split_runner_lines(&neutral) {
            assert!(
                !parses_as_command(line),
                "line {line:?} of neutralised {text:?} still parses as a command"
            );
        }
    }

    #[test]
    fn add_mask_plain_value() {
        let line = add_mask("hunter2");
        assert_eq!(line, "::add-mask::hunter2\n");
        assert_eq!(
            line.as_bytes(),
            [
                0x3a, 0x3a, 0x61, 0x64, 0x64, 0x2d, 0x6d, 0x61, 0x73, 0x6b, 0x3a, 0x3a, 0x68, 0x75,
                0x6e, 0x74, 0x65, 0x72, 0x32, 0x0a
            ]
        );
    }

    #[test]
    fn add_mask_escapes_percent_and_breaks() {
        assert_eq!(add_mask("a%b\nc\r\nd"), "::add-mask::a%25b%0Ac%0D%0Ad\n");
    }

    #[test]
    fn debug_escapes_percent_only() {
        assert_eq!(
            debug("hello :: world 100%"),
            "::debug::hello :: world 100%25\n"
        );
    }

    #[test]
    fn error_with_file_and_line() {
        let properties = AnnotationProperties {
            file: Some("app.js"),
            start_line: Some(1),
            ..AnnotationProperties::default()
        };
        assert_eq!(
            annotation_with_properties(AnnotationLevel::Error, &properties, "Missing semicolon"),
            "::error file=app.js,line=1::Missing semicolon\n"
        );
    }

    #[test]
    fn warning_with_all_properties() {
        let properties = AnnotationProperties {
            title: Some("T: a, b"),
            file: Some("src/a,b.rs"),
            start_line: Some(3),
            end_line: Some(5),
            start_column: Some(2),
            end_column: Some(9),
        };
        assert_eq!(
            annotation_with_properties(AnnotationLevel::Warning, &properties, "msg"),
            "::warning title=T%3A a%2C b,file=src/a%2Cb.rs,line=3,endLine=5,col=2,endColumn=9::msg\n"
        );
    }

    #[test]
    fn notice_escapes_title_and_message() {
        assert_eq!(
            annotation(AnnotationLevel::Notice, Some("100%"), "50% done\r\nnext"),
            "::notice title=100%25::50%25 done%0D%0Anext\n"
        );
    }

    #[test]
    fn error_without_title() {
        assert_eq!(
            annotation(AnnotationLevel::Error, None, "x"),
            "::error::x\n"
        );
        assert_eq!(
            annotation(AnnotationLevel::Error, Some(""), "x"),
            "::error::x\n"
        );
    }

    #[test]
    fn error_with_line_zero_drops_line() {
        let properties = AnnotationProperties {
            file: Some("f"),
            start_line: Some(0),
            ..AnnotationProperties::default()
        };
        assert_eq!(
            annotation_with_properties(AnnotationLevel::Error, &properties, "zero"),
            "::error file=f::zero\n"
        );
    }

    #[test]
    fn group_and_end_group() {
        assert_eq!(group("Build: step 1/3"), "::group::Build: step 1/3\n");
        assert_eq!(end_group(), "::endgroup::\n");
    }

    #[test]
    fn stop_and_resume_commands() {
        assert_eq!(
            stop_commands("tok-7f3a9c2e"),
            "::stop-commands::tok-7f3a9c2e\n"
        );
        assert_eq!(resume_commands("tok-7f3a9c2e"), "::tok-7f3a9c2e::\n");
    }

    #[test]
    fn escape_data_escapes_percent_first() {
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn escape_property_escapes_colon_and_comma() {
        assert_eq!(escape_property("C:\\x,y%z\n"), "C%3A\\x%2Cy%25z%0A");
    }

    #[test]
    fn failure_message_is_error_annotation() {
        assert_eq!(
            annotation(AnnotationLevel::Error, None, "boom"),
            "::error::boom\n"
        );
    }

    #[test]
    fn error_value_message_is_its_display() {
        let error = std::io::Error::other("boom");
        assert_eq!(
            annotation(AnnotationLevel::Error, None, &error.to_string()),
            "::error::boom\n"
        );
    }

    #[test]
    fn neutralize_line_feed_injection() {
        assert_neutralized("x\n::error::pwned\n");
        assert_eq!(neutralize("x\n::error::pwned\n"), "x\n> ::error::pwned\n");
    }

    #[test]
    fn neutralize_lone_carriage_return() {
        assert_neutralized("progress 10%\r::error::pwned\n");
        assert_eq!(
            neutralize("progress 10%\r::error::pwned"),
            "progress 10%\n> ::error::pwned"
        );
    }

    #[test]
    fn neutralize_legacy_marker_mid_line() {
        assert_neutralized("user said: ##[error]pwned\n");
        assert_eq!(
            neutralize("user said: ##[error]pwned"),
            "user said: ##\u{200B}[error]pwned"
        );
    }

    #[test]
    fn neutralize_indented_command() {
        assert_neutralized("   ::warning::indented\n");
        assert_eq!(
            neutralize("   ::warning::indented"),
            ">    ::warning::indented"
        );
    }

    #[test]
    fn neutralize_unicode_whitespace_indent() {
        for indent in [
            "\t", "\u{00A0}", "\u{2003}", "\u{3000}", "\u{0085}", "\u{2028}",
        ] {
            assert_neutralized(&format!("{indent}::error::x"));
        }
    }

    #[test]
    fn neutralize_leaves_non_command_text() {
        assert_neutralized("   >>>   ::do-something k1=v1,::msg");
        assert_eq!(
            neutralize("   >>>   ::do-something k1=v1,::msg"),
            "   >>>   ::do-something k1=v1,::msg"
        );
        assert_eq!(neutralize("plain text: 100%"), "plain text: 100%");
    }

    #[test]
    fn neutralize_already_neutral_text() {
        let text = "\u{200B}::error::x\n##\u{200B}[error]y\n";
        assert_neutralized(text);
        assert_eq!(neutralize(text), text);
    }

    #[test]
    fn neutralize_crlf_and_repeated_markers() {
        assert_neutralized("a\r\n::add-mask::x\r\n###[b]##[c]\r\r::stop-commands::t");
        assert_eq!(neutralize("a\r\nb"), "a\nb");
        assert_eq!(neutralize("a\r\rb"), "a\n\nb");
        assert_eq!(neutralize("###[x"), "###\u{200B}[x");
    }

    #[test]
    fn zero_width_space_is_not_dotnet_whitespace() {
        assert!(!is_dotnet_whitespace('\u{200B}'));
        assert!(!is_dotnet_whitespace('\u{FEFF}'));
        assert!(is_dotnet_whitespace('\u{0085}'));
        assert!(is_dotnet_whitespace('\u{00A0}'));
    }
}
