//! The step log: one process-wide [`Log`] that writes whole lines to stdout, either as workflow
//! commands (inside GitHub Actions) or as plain text, and a `tracing` subscriber that forwards
//! events to it.
//!
//! Every method neutralises or escapes its text, so untrusted text (server messages, item names)
//! never becomes a workflow command.

use std::fmt;
use std::io::{self, Write};
use std::sync::{Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::span;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};

use super::commands::{self, AnnotationLevel};
use crate::secret::SecretString;

/// The writers behind a [`Log`]: `out` for everything, `err` for plain-mode warnings and errors.
struct Sinks {
    out: Box<dyn Write + Send>,
    /// `None` sends warnings and errors to `out` as well.
    err: Option<Box<dyn Write + Send>>,
}

/// The step log.
///
/// In Actions mode it writes workflow commands (`::add-mask::`, `::debug::`, annotations,
/// groups) to stdout. In plain mode it writes readable text, with warnings and errors on stderr.
/// Each call writes whole lines under one lock and flushes, so lines from several threads never
/// interleave.
pub struct Log {
    actions: bool,
    debug: bool,
    sinks: Mutex<Sinks>,
}

impl Log {
    /// Creates a log on stdout and stderr. `actions` selects workflow commands; `debug` turns on
    /// debug messages.
    pub fn new(actions: bool, debug: bool) -> Self {
        Self::with_sinks(
            actions,
            debug,
            Sinks {
                out: Box::new(io::stdout()),
                err: Some(Box::new(io::stderr())),
            },
        )
    }

    /// Creates a log that writes every line, warnings and errors included, to `writer`.
    /// Tests use it to capture the output.
    pub fn with_writer(actions: bool, debug: bool, writer: Box<dyn Write + Send>) -> Self {
        Self::with_sinks(
            actions,
            debug,
            Sinks {
                out: writer,
                err: None,
            },
        )
    }

    fn with_sinks(actions: bool, debug: bool, sinks: Sinks) -> Self {
        Self {
            actions,
            debug,
            sinks: Mutex::new(sinks),
        }
    }

    /// Returns whether the log writes workflow commands.
    pub fn is_actions(&self) -> bool {
        self.actions
    }

    /// Returns whether debug messages are written.
    pub fn is_debug(&self) -> bool {
        self.debug
    }

    /// Registers `secret` with the runner's masker (`::add-mask::`), so the runner replaces it with
    /// `***` wherever it appears later. Call it before anything could print the secret.
    ///
    /// Plain mode writes nothing. An empty or whitespace-only secret is skipped, because the
    /// runner logs a warning for it and masks nothing.
    pub fn add_mask(&self, secret: &SecretString) {
        if !self.actions || secret.expose().trim().is_empty() {
            return;
        }
        self.write_out(&commands::add_mask(secret.expose()));
    }

    /// Writes `text` as plain log lines, neutralised so no line is parsed as a command.
    pub fn info(&self, text: &str) {
        let mut line = commands::neutralize(text);
        line.push('\n');
        self.write_out(&line);
    }

    /// Writes a debug message when debug logging is on (`RUNNER_DEBUG=1`).
    pub fn debug(&self, text: &str) {
        if !self.debug {
            return;
        }
        if self.actions {
            self.write_out(&commands::debug(&commands::break_legacy_markers(text)));
        } else {
            self.write_out(&prefix_lines("debug: ", text));
        }
    }

    /// Writes a warning: a `::warning` annotation in Actions mode, a `warning:` line on stderr in
    /// plain mode.
    pub fn warning(&self, title: Option<&str>, text: &str) {
        self.annotate(AnnotationLevel::Warning, title, text);
    }

    /// Writes an error: an `::error` annotation in Actions mode, an `error:` line on stderr in
    /// plain mode.
    pub fn error(&self, title: Option<&str>, text: &str) {
        self.annotate(AnnotationLevel::Error, title, text);
    }

    /// Starts a collapsible group (`::group::`); plain mode writes a heading line.
    pub fn group(&self, title: &str) {
        if self.actions {
            self.write_out(&commands::group(title));
        } else {
            let mut line = commands::neutralize(&format!("== {title} =="));
            line.push('\n');
            self.write_out(&line);
        }
    }

    /// Ends the group started by [`Log::group`]; plain mode writes nothing.
    pub fn end_group(&self) {
        if self.actions {
            self.write_out(&commands::end_group());
        }
    }

    fn annotate(&self, level: AnnotationLevel, title: Option<&str>, text: &str) {
        if self.actions {
            let title = title.map(commands::break_legacy_markers);
            let text = commands::break_legacy_markers(text);
            self.write_out(&commands::annotation(level, title.as_deref(), &text));
            return;
        }
        let label = level.command_name();
        // A title that the text already starts with would be read twice on one line.
        let title = title.filter(|title| !title.is_empty() && !text.starts_with(title));
        let prefix = match title {
            Some(title) => format!(
                "{label}: {}: ",
                commands::neutralize(title).replace('\n', " ")
            ),
            None => format!("{label}: "),
        };
        self.write_err(&prefix_lines(&prefix, text));
    }

    fn write_out(&self, lines: &str) {
        let mut sinks = self.lock_sinks();
        write_and_flush(&mut sinks.out, lines);
    }

    fn write_err(&self, lines: &str) {
        let mut sinks = self.lock_sinks();
        let Sinks { out, err } = &mut *sinks;
        match err {
            Some(err) => write_and_flush(err, lines),
            None => write_and_flush(out, lines),
        }
    }

    fn lock_sinks(&self) -> std::sync::MutexGuard<'_, Sinks> {
        // A panic while writing leaves the writers usable, so a poisoned lock is taken over.
        self.sinks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Log")
            .field("actions", &self.actions)
            .field("debug", &self.debug)
            .finish_non_exhaustive()
    }
}

/// Writes `lines` and flushes. A failed write has nowhere to be reported, so it is ignored;
/// `println!` would panic instead, for example on a closed pipe.
fn write_and_flush(writer: &mut Box<dyn Write + Send>, lines: &str) {
    let _ = writer.write_all(lines.as_bytes());
    let _ = writer.flush();
}

/// Neutralises `text` and puts `prefix` in front of each of its lines.
fn prefix_lines(prefix: &str, text: &str) -> String {
    let mut result = String::new();
    for line in commands::neutralize(text).split('\n') {
        result.push_str(prefix);
        result.push_str(line);
        result.push('\n');
    }
    result
}

static GLOBAL_LOG: OnceLock<Log> = OnceLock::new();

/// Creates the process-wide log and installs [`LogSubscriber`] as the global `tracing` subscriber.
///
/// Call it once at the start of `main`. A later call, or a call after [`log`] has created the
/// default log, keeps the existing log and returns it.
pub fn init_log(actions: bool, debug: bool) -> &'static Log {
    let log = GLOBAL_LOG.get_or_init(|| Log::new(actions, debug));
    // Fails only when a global subscriber exists already, which then stays in place.
    let _ = tracing::subscriber::set_global_default(LogSubscriber::new(log));
    log
}

/// Returns the process-wide log. Without [`init_log`] it is a plain-text log with debug off,
/// which is what tests and library code get by default.
pub fn log() -> &'static Log {
    GLOBAL_LOG.get_or_init(|| Log::new(false, false))
}

/// A `tracing` subscriber that writes events to a [`Log`]: ERROR as an error, WARN as a warning,
/// INFO as a plain line, DEBUG and TRACE as debug messages.
///
/// Spans are not recorded. An event prints its `message` field followed by its other fields as
/// `key=value`; a [`SecretString`] field prints redacted through its `Debug`.
#[derive(Debug, Clone, Copy)]
pub struct LogSubscriber {
    log: &'static Log,
}

impl LogSubscriber {
    pub fn new(log: &'static Log) -> Self {
        Self { log }
    }
}

/// The only span id handed out; spans are disabled, so it is never used to look anything up.
const UNUSED_SPAN_ID: u64 = 1;

impl Subscriber for LogSubscriber {
    fn register_callsite(&self, _metadata: &'static Metadata<'static>) -> Interest {
        // Several subscribers with different debug settings can coexist in tests, so the interest
        // must not be cached per call site.
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        if !metadata.is_event() {
            return false;
        }
        self.log.debug || *metadata.level() <= Level::INFO
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        if self.log.debug {
            Some(tracing::level_filters::LevelFilter::TRACE)
        } else {
            Some(tracing::level_filters::LevelFilter::INFO)
        }
    }

    fn new_span(&self, _attributes: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(UNUSED_SPAN_ID)
    }

    fn record(&self, _span: &span::Id, _values: &span::Record<'_>) {}

    fn record_follows_from(&self, _span: &span::Id, _follows: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut formatter = EventFormatter::default();
        event.record(&mut formatter);
        let text = formatter.finish();

        let level = *event.metadata().level();
        if level == Level::ERROR {
            self.log.error(None, &text);
        } else if level == Level::WARN {
            self.log.warning(None, &text);
        } else if level == Level::INFO {
            self.log.info(&text);
        } else {
            self.log.debug(&text);
        }
    }

    fn enter(&self, _span: &span::Id) {}

    fn exit(&self, _span: &span::Id) {}
}

/// Collects an event's `message` field and its other fields as `key=value`.
#[derive(Default)]
struct EventFormatter {
    message: String,
    fields: Vec<String>,
}

impl EventFormatter {
    fn finish(self) -> String {
        let mut parts = Vec::with_capacity(self.fields.len() + 1);
        if !self.message.is_empty() {
            parts.push(self.message);
        }
        parts.extend(self.fields);
        parts.join(" ")
    }
}

impl Visit for EventFormatter {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.fields.push(format!("{}={value}", field.name()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.fields.push(format!("{}={value:?}", field.name()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A writer whose bytes the test reads back after the log wrote them.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Capture {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    impl Write for Capture {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn capture_log(actions: bool, debug: bool) -> (Log, Capture) {
        let capture = Capture::default();
        let log = Log::with_writer(actions, debug, Box::new(capture.clone()));
        (log, capture)
    }

    #[test]
    fn actions_mode_writes_commands() {
        let (log, capture) = capture_log(true, true);
        log.add_mask(&SecretString::new("hunter2"));
        log.debug("d 100%");
        log.warning(Some("T:1"), "careful");
        log.error(None, "boom\nsecond line");
        log.group("Backup");
        log.end_group();
        assert_eq!(
            capture.text(),
            "::add-mask::hunter2\n\
             ::debug::d 100%25\n\
             ::warning title=T%3A1::careful\n\
             ::error::boom%0Asecond line\n\
             ::group::Backup\n\
             ::endgroup::\n"
        );
    }

    #[test]
    fn info_neutralizes_injected_commands() {
        let (log, capture) = capture_log(true, false);
        log.info("item vm1\r::error::pwned ##[warning]x");
        assert_eq!(
            capture.text(),
            "item vm1\n> ::error::pwned ##\u{200B}[warning]x\n"
        );
    }

    #[test]
    fn debug_off_writes_nothing() {
        let (log, capture) = capture_log(true, false);
        log.debug("hidden");
        let (plain, plain_capture) = capture_log(false, false);
        plain.debug("hidden");
        assert_eq!(capture.text(), "");
        assert_eq!(plain_capture.text(), "");
    }

    #[test]
    fn plain_mode_writes_text() {
        let (log, capture) = capture_log(false, true);
        log.add_mask(&SecretString::new("hunter2"));
        log.debug("two\nlines");
        log.warning(Some("Vault"), "slow");
        log.error(None, "::error::boom");
        log.error(Some("Invalid input"), "Invalid input 'wait': got 'yes'");
        log.group("Backup");
        log.end_group();
        assert_eq!(
            capture.text(),
            "debug: two\n\
             debug: lines\n\
             warning: Vault: slow\n\
             error: > ::error::boom\n\
             error: Invalid input 'wait': got 'yes'\n\
             == Backup ==\n"
        );
    }

    #[test]
    fn add_mask_skips_blank_secret() {
        let (log, capture) = capture_log(true, false);
        log.add_mask(&SecretString::new("  "));
        assert_eq!(capture.text(), "");
    }

    #[test]
    fn tracing_events_reach_log() {
        let capture = Capture::default();
        let log: &'static Log = Box::leak(Box::new(Log::with_writer(
            true,
            true,
            Box::new(capture.clone()),
        )));
        tracing::subscriber::with_default(LogSubscriber::new(log), || {
            tracing::info!(vault = "rsv1", count = 2, "starting backup");
            tracing::debug!("polling");
            tracing::trace!("detail");
            tracing::warn!("slow");
            tracing::error!(token = ?SecretString::new("hunter2"), "failed");
            let span = tracing::info_span!("ignored");
            let _entered = span.enter();
            tracing::info!("inside span");
        });
        let text = capture.text();
        assert_eq!(
            text,
            "starting backup vault=rsv1 count=2\n\
             ::debug::polling\n\
             ::debug::detail\n\
             ::warning::slow\n\
             ::error::failed token=SecretString(<redacted>)\n\
             inside span\n"
        );
        assert!(!text.contains("hunter2"));
    }

    #[test]
    fn tracing_debug_off_drops_debug() {
        let capture = Capture::default();
        let log: &'static Log = Box::leak(Box::new(Log::with_writer(
            true,
            false,
            Box::new(capture.clone()),
        )));
        tracing::subscriber::with_default(LogSubscriber::new(log), || {
            tracing::debug!("hidden");
            tracing::info!("shown");
        });
        assert_eq!(capture.text(), "shown\n");
    }
}
