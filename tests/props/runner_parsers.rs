//! Models of how the GitHub Actions runner reads a step's output, used as test oracles by the
//! property tests (`tests/e2e/properties.rs`) and the fuzz targets (`fuzz/`).
//!
//! Each function follows the runner's C# code in actions/runner:
//! `src/Runner.Worker/FileCommandManager.cs` for the `GITHUB_OUTPUT` file and
//! `src/Runner.Common/ActionCommand.cs` for workflow commands on stdout. Only the Linux behaviour
//! is modelled, because the action ships a Linux x64 binary only.

// Each includer uses a different subset of these functions.
#![allow(dead_code)]

/// Parses a `GITHUB_OUTPUT` file into `(name, value)` pairs as the runner does, or returns the
/// runner's error.
///
/// A non-empty line is `NAME=VALUE` when its first `=` comes before its first `<<`, and
/// `NAME<<DELIMITER` when `<<` comes first. A heredoc value runs from the next line up to the first
/// line that equals the delimiter exactly, without the line break in front of that line.
pub fn parse_output_file(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut index = 0;
    while let Some((line, _)) = read_line(text, &mut index) {
        if line.is_empty() {
            continue;
        }
        let equals_at = line.find('=');
        let heredoc_at = line.find("<<");
        match (equals_at, heredoc_at) {
            (Some(equals), heredoc) if heredoc.is_none_or(|heredoc| equals < heredoc) => {
                let (name, value) = line.split_at(equals);
                pairs.push((name.to_string(), value[1..].to_string()));
            }
            (_, Some(heredoc)) => {
                let (name, rest) = line.split_at(heredoc);
                let delimiter = &rest[2..];
                if name.is_empty() || delimiter.is_empty() {
                    return Err(format!(
                        "invalid format {line:?}: the name and the delimiter must not be empty"
                    ));
                }
                let start = index;
                let mut end = index;
                loop {
                    let Some((value_line, newline)) = read_line(text, &mut index) else {
                        return Err(format!("matching delimiter {delimiter:?} not found"));
                    };
                    if value_line == delimiter {
                        break;
                    }
                    let Some(newline) = newline else {
                        return Err("the delimiter line is missing its line break".to_string());
                    };
                    end = index - newline.len();
                }
                let value = if end > start { &text[start..end] } else { "" };
                pairs.push((name.to_string(), value.to_string()));
            }
            _ => return Err(format!("invalid format {line:?}")),
        }
    }
    Ok(pairs)
}

/// Reads the line at `*index` as the runner's `ReadLine` does on Linux: up to the next LF, which
/// is returned as the line break (CR is kept in the line). Returns `None` at the end of `text`.
fn read_line<'a>(text: &'a str, index: &mut usize) -> Option<(&'a str, Option<&'static str>)> {
    if *index >= text.len() {
        return None;
    }
    let start = *index;
    match text[start..].find('\n') {
        Some(offset) => {
            *index = start + offset + 1;
            Some((&text[start..start + offset], Some("\n")))
        }
        None => {
            *index = text.len();
            Some((&text[start..], None))
        }
    }
}

/// Reverses command-data escaping as the runner's `UnescapeValue` does: `%0D` to CR, then `%0A`
/// to LF, then `%25` to `%`, each as a plain ordinal replace over the whole string.
pub fn unescape_data(escaped: &str) -> String {
    escaped
        .replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
}

/// Reverses command-property escaping as the runner's `UnescapeProperty` does: `%0D`, `%0A`,
/// `%3A` and `%2C`, then `%25` last, so an escaped `%3A` (`%253A`) comes back as `%3A`.
pub fn unescape_property(escaped: &str) -> String {
    escaped
        .replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

/// Splits `text` into lines as .NET `ReadLine` does: at `\r\n`, `\r` or `\n`.
pub fn split_runner_lines(text: &str) -> Vec<&str> {
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

/// Reports whether the runner would treat `line` as a workflow command: after .NET `TrimStart`
/// (Unicode `White_Space`, which `char::is_whitespace` tests) it starts with `::`, or it
/// contains the legacy `##[` marker anywhere.
pub fn is_command_line(line: &str) -> bool {
    line.trim_start_matches(char::is_whitespace)
        .starts_with("::")
        || line.contains("##[")
}
