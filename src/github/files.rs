//! File commands: step outputs appended to `GITHUB_OUTPUT` and Markdown appended to
//! `GITHUB_STEP_SUMMARY`, byte for byte as `@actions/core` 3.0.1 writes them, plus the checks the
//! toolkit leaves out.

use std::borrow::Cow;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use uuid::Uuid;

/// The variable that names the step's output file.
pub const OUTPUT_VARIABLE: &str = "GITHUB_OUTPUT";

/// The variable that names the step's summary file.
pub const SUMMARY_VARIABLE: &str = "GITHUB_STEP_SUMMARY";

/// The largest summary file the runner uploads, in bytes. A larger file is not uploaded at all:
/// the runner's `AttachmentSizeLimit` is 1024 × 1024 and a file of exactly that size is accepted.
pub const SUMMARY_SIZE_LIMIT: u64 = 1024 * 1024;

/// The line appended after a summary that had to be cut to stay within [`SUMMARY_SIZE_LIMIT`].
/// It starts with a blank line so it forms its own paragraph even after a cut inside a line.
pub const SUMMARY_CUT_NOTE: &str =
    "\n\n**Note:** the rest of this summary was cut, because GitHub \
    uploads a step summary only when it is at most 1 MiB (1 048 576 bytes).\n";

/// How far back from the size limit a cut looks for a line break. Ending on a whole line reads
/// better, but when the last line break lies further back, keeping the text matters more.
const LINE_BREAK_SEARCH_BYTES: usize = 4096;

/// The line ending written after each part of a file command.
///
/// The toolkit writes the platform's line ending (CRLF on Windows). The runner splits these
/// files at LF on every platform and, on Windows only, also accepts CRLF, so LF is correct
/// everywhere and keeps the bytes the same on every runner.
const EOL: &str = "\n";

/// A failed file command. Nothing was written when this is returned.
#[derive(Debug)]
pub enum FileCommandError {
    /// The output name is empty, contains `=`, `<<`, CR or LF, or ends with `<`, which would make
    /// the runner read the line in another form or start a new line.
    InvalidName { name: String, reason: &'static str },
    /// The output name contains the heredoc delimiter.
    NameContainsDelimiter { name: String, delimiter: String },
    /// The output value contains the heredoc delimiter, which would end the value early.
    ValueContainsDelimiter { name: String, delimiter: String },
    /// The file could not be opened or appended to.
    Io {
        variable: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

impl fmt::Display for FileCommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileCommandError::InvalidName { name, reason } => write!(
                f,
                "invalid output name {name:?}: it {reason}; use letters, digits, '-' and '_'"
            ),
            FileCommandError::NameContainsDelimiter { name, delimiter } => write!(
                f,
                "invalid output name {name:?}: it contains the delimiter \"{delimiter}\""
            ),
            FileCommandError::ValueContainsDelimiter { name, delimiter } => write!(
                f,
                "invalid value for output {name:?}: it contains the delimiter \"{delimiter}\""
            ),
            FileCommandError::Io {
                variable,
                path,
                source,
            } => write!(
                f,
                "failed to append to the {variable} file '{}': {source}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for FileCommandError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FileCommandError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Returns a new heredoc delimiter: `ghadelimiter_` and a random lower-case UUID v4, the form
/// the toolkit uses. It is random so that no value can guess it and end early.
pub fn new_delimiter() -> String {
    format!("ghadelimiter_{}", Uuid::new_v4())
}

/// Formats one output in the heredoc form `name<<D\nvalue\nD\n`, which the runner reads back as
/// exactly `value`, line breaks included.
///
/// # Errors
///
/// [`FileCommandError::InvalidName`] when `name` is empty, contains `=`, `<<`, CR or LF, or ends
/// with `<` (the toolkit does not check this, and the runner would misread the line), and
/// [`FileCommandError::NameContainsDelimiter`] or [`FileCommandError::ValueContainsDelimiter`]
/// when the name or value contains `delimiter`.
pub fn format_output(name: &str, value: &str, delimiter: &str) -> Result<String, FileCommandError> {
    check_output_name(name)?;
    if name.contains(delimiter) {
        return Err(FileCommandError::NameContainsDelimiter {
            name: name.to_string(),
            delimiter: delimiter.to_string(),
        });
    }
    if value.contains(delimiter) {
        return Err(FileCommandError::ValueContainsDelimiter {
            name: name.to_string(),
            delimiter: delimiter.to_string(),
        });
    }
    Ok(format!(
        "{name}<<{delimiter}{EOL}{value}{EOL}{delimiter}{EOL}"
    ))
}

fn check_output_name(name: &str) -> Result<(), FileCommandError> {
    let reason = if name.is_empty() {
        Some("is empty")
    } else if name.contains('=') {
        Some("contains '='")
    } else if name.contains("<<") {
        Some("contains '<<'")
    } else if name.contains(['\r', '\n']) {
        Some("contains a line break")
    } else if name.ends_with('<') {
        // The runner splits `name<<delimiter` at the first `<<`, which would start inside the name.
        Some("ends with '<'")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(FileCommandError::InvalidName {
            name: name.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Appends one output to the file at `path` (the `GITHUB_OUTPUT` file), with a new delimiter.
pub fn append_output(path: &Path, name: &str, value: &str) -> Result<(), FileCommandError> {
    let text = format_output(name, value, &new_delimiter())?;
    append_text(path, OUTPUT_VARIABLE, &text)
}

/// The destination of step outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputSink {
    /// The runner's `GITHUB_OUTPUT` file.
    File(PathBuf),
    /// Stdout, for runs outside GitHub Actions: `name=value` lines, or the heredoc form for a value
    /// with a line break.
    Stdout,
}

impl OutputSink {
    /// Returns the file sink when `GITHUB_OUTPUT` is set, stdout otherwise.
    pub fn from_output_file(path: Option<PathBuf>) -> Self {
        match path {
            Some(path) => OutputSink::File(path),
            None => OutputSink::Stdout,
        }
    }
}

/// Writes all `outputs` to `sink`, or none of them.
///
/// Every pair is checked first, as [`format_output`] does. Then the whole text is appended with
/// one write, so an invalid pair leaves the file as it was. Stdout output goes through the
/// process log ([`super::log()`]), which neutralises lines that look like workflow commands.
pub fn write_outputs<N, V>(sink: &OutputSink, outputs: &[(N, V)]) -> Result<(), FileCommandError>
where
    N: AsRef<str>,
    V: AsRef<str>,
{
    match sink {
        OutputSink::File(path) => {
            let text = format_outputs(outputs, &new_delimiter())?;
            if text.is_empty() {
                return Ok(());
            }
            append_text(path, OUTPUT_VARIABLE, &text)
        }
        OutputSink::Stdout => {
            let text = format_outputs_for_stdout(outputs, &new_delimiter())?;
            if let Some(lines) = text.strip_suffix('\n') {
                super::log::log().info(lines);
            }
            Ok(())
        }
    }
}

/// Formats every pair in the heredoc form, or returns the first problem.
fn format_outputs<N, V>(outputs: &[(N, V)], delimiter: &str) -> Result<String, FileCommandError>
where
    N: AsRef<str>,
    V: AsRef<str>,
{
    let mut text = String::new();
    for (name, value) in outputs {
        text.push_str(&format_output(name.as_ref(), value.as_ref(), delimiter)?);
    }
    Ok(text)
}

/// Formats every pair as `name=value`, or in the heredoc form when the value has a line break.
fn format_outputs_for_stdout<N, V>(
    outputs: &[(N, V)],
    delimiter: &str,
) -> Result<String, FileCommandError>
where
    N: AsRef<str>,
    V: AsRef<str>,
{
    let mut text = String::new();
    for (name, value) in outputs {
        let (name, value) = (name.as_ref(), value.as_ref());
        let heredoc = format_output(name, value, delimiter)?;
        if value.contains(['\r', '\n']) {
            text.push_str(&heredoc);
        } else {
            text.push_str(&format!("{name}={value}{EOL}"));
        }
    }
    Ok(text)
}

/// The result of [`append_summary`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryWrite {
    /// The whole text was appended.
    Complete { appended_bytes: usize },
    /// The first `kept_bytes` of the text were appended, followed by [`SUMMARY_CUT_NOTE`], so the
    /// file stays within [`SUMMARY_SIZE_LIMIT`].
    Truncated {
        kept_bytes: usize,
        dropped_bytes: usize,
    },
    /// The file is so close to the limit that not even the note fits, so nothing was appended.
    NoRoom { dropped_bytes: usize },
}

/// Appends `markdown` to the summary file at `path` (the `GITHUB_STEP_SUMMARY` file).
///
/// When the file would grow past [`SUMMARY_SIZE_LIMIT`], the runner would upload none of it, so
/// the text is cut to fit and [`SUMMARY_CUT_NOTE`] is added. The cut falls on a character
/// boundary, and on a line break when one lies within [`LINE_BREAK_SEARCH_BYTES`] of the limit.
pub fn append_summary(path: &Path, markdown: &str) -> Result<SummaryWrite, FileCommandError> {
    let io_error = |source| FileCommandError::Io {
        variable: SUMMARY_VARIABLE,
        path: path.to_path_buf(),
        source,
    };
    let mut file = open_for_append(path).map_err(io_error)?;
    let existing_bytes = file.metadata().map_err(io_error)?.len();

    let (text, outcome) = fit_summary(existing_bytes, markdown);
    if !text.is_empty() {
        write_all_and_flush(&mut file, &text).map_err(io_error)?;
    }
    Ok(outcome)
}

/// Returns the text to append to a summary file that contains `existing_bytes` already.
fn fit_summary(existing_bytes: u64, markdown: &str) -> (Cow<'_, str>, SummaryWrite) {
    let room = SUMMARY_SIZE_LIMIT.saturating_sub(existing_bytes);
    if markdown.len() as u64 <= room {
        let outcome = SummaryWrite::Complete {
            appended_bytes: markdown.len(),
        };
        return (Cow::Borrowed(markdown), outcome);
    }

    let Some(room_for_text) = room.checked_sub(SUMMARY_CUT_NOTE.len() as u64) else {
        let outcome = SummaryWrite::NoRoom {
            dropped_bytes: markdown.len(),
        };
        return (Cow::Borrowed(""), outcome);
    };
    // `room_for_text` is below `markdown.len()` here, so it fits in usize.
    let cut = cut_position(markdown, room_for_text as usize);
    let mut text = String::with_capacity(cut + SUMMARY_CUT_NOTE.len());
    text.push_str(&markdown[..cut]);
    text.push_str(SUMMARY_CUT_NOTE);
    let outcome = SummaryWrite::Truncated {
        kept_bytes: cut,
        dropped_bytes: markdown.len() - cut,
    };
    (Cow::Owned(text), outcome)
}

/// Returns the largest cut of `text` at or below `max_bytes` that falls on a character boundary,
/// moved back to just after a line break when one lies within [`LINE_BREAK_SEARCH_BYTES`].
fn cut_position(text: &str, max_bytes: usize) -> usize {
    let mut cut = max_bytes.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut search_start = cut.saturating_sub(LINE_BREAK_SEARCH_BYTES);
    while !text.is_char_boundary(search_start) {
        search_start += 1;
    }
    match text[search_start..cut].rfind('\n') {
        Some(offset) => search_start + offset + 1,
        None => cut,
    }
}

/// Appends `text` to an existing file with one write.
fn append_text(path: &Path, variable: &'static str, text: &str) -> Result<(), FileCommandError> {
    let io_error = |source| FileCommandError::Io {
        variable,
        path: path.to_path_buf(),
        source,
    };
    let mut file = open_for_append(path).map_err(io_error)?;
    write_all_and_flush(&mut file, text).map_err(io_error)
}

/// Opens an existing file for appending. The runner creates these files before each step, so a
/// missing file is an error, as it is for the toolkit, not a reason to create one.
fn open_for_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().append(true).open(path)
}

fn write_all_and_flush(file: &mut File, text: &str) -> io::Result<()> {
    file.write_all(text.as_bytes())?;
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixed delimiter used by the expected bytes below.
    const D: &str = "ghadelimiter_00000000-0000-4000-8000-000000000000";

    /// A directory under the system temporary directory, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            let path = std::env::temp_dir().join(format!("github-files-test-{}", Uuid::new_v4()));
            std::fs::create_dir(&path).unwrap();
            Self(path)
        }

        /// Creates a file in this directory holding `content` and returns its path.
        fn file(&self, name: &str, content: &[u8]) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, content).unwrap();
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn new_delimiter_is_prefixed_uuid_v4() {
        let delimiter = new_delimiter();
        let uuid_text = delimiter.strip_prefix("ghadelimiter_").unwrap();
        assert_eq!(uuid_text.len(), 36);
        assert_eq!(uuid_text, uuid_text.to_lowercase());
        let uuid = Uuid::parse_str(uuid_text).unwrap();
        assert_eq!(uuid.get_version_num(), 4);
        assert_ne!(new_delimiter(), delimiter);
    }

    #[test]
    fn format_output_multiline_value() {
        assert_eq!(
            format_output("result", "line1\nline2", D).unwrap(),
            format!("result<<{D}\nline1\nline2\n{D}\n")
        );
    }

    #[test]
    fn format_output_empty_value() {
        assert_eq!(
            format_output("empty", "", D).unwrap(),
            format!("empty<<{D}\n\n{D}\n")
        );
    }

    #[test]
    fn format_output_trailing_newline() {
        assert_eq!(
            format_output("trail", "abc\n", D).unwrap(),
            format!("trail<<{D}\nabc\n\n{D}\n")
        );
    }

    #[test]
    fn format_output_value_with_equals_and_heredoc_marker() {
        assert_eq!(
            format_output("MY_VAR", "a=b<<c", D).unwrap(),
            format!("MY_VAR<<{D}\na=b<<c\n{D}\n")
        );
    }

    #[test]
    fn format_output_simple_value() {
        assert_eq!(
            format_output("pid", "12345", D).unwrap(),
            format!("pid<<{D}\n12345\n{D}\n")
        );
    }

    #[test]
    fn format_output_uses_lf_on_every_platform() {
        assert_eq!(
            format_output("k", "v", D).unwrap(),
            format!("k<<{D}\nv\n{D}\n")
        );
    }

    #[test]
    fn format_output_rejects_delimiter_in_value() {
        let error = format_output("k", &format!("before {D} after"), D).unwrap_err();
        assert!(matches!(
            error,
            FileCommandError::ValueContainsDelimiter { .. }
        ));
        assert_eq!(
            error.to_string(),
            format!("invalid value for output \"k\": it contains the delimiter \"{D}\"")
        );
    }

    #[test]
    fn format_output_rejects_delimiter_in_name() {
        let error = format_output(&format!("x{D}"), "v", D).unwrap_err();
        assert!(matches!(
            error,
            FileCommandError::NameContainsDelimiter { .. }
        ));
    }

    #[test]
    fn format_output_rejects_bad_names() {
        for name in ["", "a=b", "a<<b", "a\rb", "a\nb", "=", "<<", "a<", "<"] {
            let error = format_output(name, "v", D).unwrap_err();
            assert!(
                matches!(error, FileCommandError::InvalidName { .. }),
                "name {name:?} gave {error:?}"
            );
        }
        assert_eq!(
            format_output("a=b", "v", D).unwrap_err().to_string(),
            "invalid output name \"a=b\": it contains '='; use letters, digits, '-' and '_'"
        );
        assert_eq!(
            format_output("a\nb", "v", D).unwrap_err().to_string(),
            "invalid output name \"a\\nb\": it contains a line break; use letters, digits, '-' and '_'"
        );
    }

    #[test]
    fn append_output_appends_heredoc() {
        let dir = TempDir::new();
        let path = dir.file("output", b"earlier=1\n");
        append_output(&path, "job-id", "42").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let rest = text
            .strip_prefix("earlier=1\njob-id<<ghadelimiter_")
            .unwrap();
        let (uuid_text, tail) = rest.split_at(36);
        assert_eq!(tail, format!("\n42\nghadelimiter_{uuid_text}\n"));
    }

    #[test]
    fn append_output_missing_file_names_variable() {
        let dir = TempDir::new();
        let path = dir.0.join("missing");
        let error = append_output(&path, "k", "v").unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("failed to append to the GITHUB_OUTPUT file '"),
            "{message}"
        );
        assert!(message.contains("missing"), "{message}");
        assert!(!path.exists());
    }

    #[test]
    fn write_outputs_writes_all_pairs() {
        let dir = TempDir::new();
        let path = dir.file("output", b"");
        let sink = OutputSink::File(path.clone());
        write_outputs(&sink, &[("job-id", "42"), ("job-status", "Completed")]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("job-id<<ghadelimiter_"), "{text}");
        assert!(text.contains("\n42\nghadelimiter_"), "{text}");
        assert!(text.contains("\njob-status<<ghadelimiter_"), "{text}");
        assert!(text.contains("\nCompleted\nghadelimiter_"), "{text}");
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn write_outputs_invalid_pair_writes_nothing() {
        let dir = TempDir::new();
        let path = dir.file("output", b"earlier=1\n");
        let sink = OutputSink::File(path.clone());
        let outputs = [
            ("job-id", "42"),
            ("bad=name", "x"),
            ("job-status", "Completed"),
        ];
        let error = write_outputs(&sink, &outputs).unwrap_err();
        assert!(matches!(error, FileCommandError::InvalidName { .. }));
        assert_eq!(std::fs::read(&path).unwrap(), b"earlier=1\n");
    }

    #[test]
    fn stdout_outputs_plain_and_heredoc() {
        let text = format_outputs_for_stdout(&[("job-id", "42"), ("errors", "a\nb")], D).unwrap();
        assert_eq!(text, format!("job-id=42\nerrors<<{D}\na\nb\n{D}\n"));
        let error = format_outputs_for_stdout(&[("ok", "1"), ("", "x")], D).unwrap_err();
        assert!(matches!(error, FileCommandError::InvalidName { .. }));
    }

    #[test]
    fn output_sink_from_output_file() {
        assert_eq!(OutputSink::from_output_file(None), OutputSink::Stdout);
        assert_eq!(
            OutputSink::from_output_file(Some(PathBuf::from("/tmp/o"))),
            OutputSink::File(PathBuf::from("/tmp/o"))
        );
    }

    #[test]
    fn summary_exactly_at_limit_is_kept() {
        let dir = TempDir::new();
        let path = dir.file("summary", b"");
        let markdown = "a".repeat(SUMMARY_SIZE_LIMIT as usize);
        let outcome = append_summary(&path, &markdown).unwrap();
        assert_eq!(
            outcome,
            SummaryWrite::Complete {
                appended_bytes: SUMMARY_SIZE_LIMIT as usize
            }
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), SUMMARY_SIZE_LIMIT);
    }

    #[test]
    fn summary_one_byte_over_is_cut() {
        let dir = TempDir::new();
        let path = dir.file("summary", b"");
        let markdown = "a".repeat(SUMMARY_SIZE_LIMIT as usize + 1);
        let outcome = append_summary(&path, &markdown).unwrap();
        let kept = SUMMARY_SIZE_LIMIT as usize - SUMMARY_CUT_NOTE.len();
        assert_eq!(
            outcome,
            SummaryWrite::Truncated {
                kept_bytes: kept,
                dropped_bytes: markdown.len() - kept
            }
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.len() as u64, SUMMARY_SIZE_LIMIT);
        assert!(text.ends_with(SUMMARY_CUT_NOTE));
    }

    #[test]
    fn summary_far_over_limit_is_cut() {
        let dir = TempDir::new();
        let path = dir.file("summary", b"");
        let markdown = "b".repeat(2_000_000);
        let outcome = append_summary(&path, &markdown).unwrap();
        assert!(
            matches!(outcome, SummaryWrite::Truncated { .. }),
            "{outcome:?}"
        );
        let size = std::fs::metadata(&path).unwrap().len();
        assert!(size <= SUMMARY_SIZE_LIMIT, "file has {size} bytes");
    }

    #[test]
    fn summary_cut_keeps_characters_whole() {
        for existing in [0usize, 1, 2, 3] {
            let dir = TempDir::new();
            let path = dir.file("summary", &vec![b'x'; existing]);
            // Three-byte and two-byte characters with no line break, so the cut is inside a line.
            let markdown = "€é".repeat(300_000);
            let outcome = append_summary(&path, &markdown).unwrap();
            assert!(
                matches!(outcome, SummaryWrite::Truncated { .. }),
                "{outcome:?}"
            );
            let bytes = std::fs::read(&path).unwrap();
            assert!(bytes.len() as u64 <= SUMMARY_SIZE_LIMIT);
            let text = String::from_utf8(bytes).expect("the cut split a character");
            assert!(text.ends_with(SUMMARY_CUT_NOTE));
        }
    }

    #[test]
    fn summary_cut_prefers_line_break() {
        let dir = TempDir::new();
        let path = dir.file("summary", b"");
        let line = format!("{}\n", "c".repeat(99));
        let markdown = line.repeat(20_000);
        let outcome = append_summary(&path, &markdown).unwrap();
        let SummaryWrite::Truncated { kept_bytes, .. } = outcome else {
            panic!("expected a cut, got {outcome:?}");
        };
        assert_eq!(
            kept_bytes % line.len(),
            0,
            "cut inside a line at {kept_bytes}"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.len() as u64 <= SUMMARY_SIZE_LIMIT);
        assert!(text.ends_with(&format!("c\n{SUMMARY_CUT_NOTE}")));
    }

    #[test]
    fn summary_adds_to_existing_content() {
        let dir = TempDir::new();
        let existing = vec![b'x'; SUMMARY_SIZE_LIMIT as usize - 10];
        let path = dir.file("summary", &existing);
        let outcome = append_summary(&path, "0123456789").unwrap();
        assert_eq!(outcome, SummaryWrite::Complete { appended_bytes: 10 });
        assert_eq!(std::fs::metadata(&path).unwrap().len(), SUMMARY_SIZE_LIMIT);
    }

    #[test]
    fn summary_without_room_writes_nothing() {
        let dir = TempDir::new();
        let existing = vec![b'x'; SUMMARY_SIZE_LIMIT as usize - 10];
        let path = dir.file("summary", &existing);
        let outcome = append_summary(&path, "this text is longer than ten bytes").unwrap();
        assert_eq!(outcome, SummaryWrite::NoRoom { dropped_bytes: 34 });
        assert_eq!(std::fs::read(&path).unwrap(), existing);
    }

    #[test]
    fn summary_missing_file_names_variable() {
        let dir = TempDir::new();
        let error = append_summary(&dir.0.join("missing"), "x").unwrap_err();
        assert!(error
            .to_string()
            .starts_with("failed to append to the GITHUB_STEP_SUMMARY file"));
    }
}
