//! The runner's side of the step: workflow commands on stdout, the step log, the output and
//! summary files, and (in [`oidc`]) the request for GitHub's OIDC token.
//!
//! Everything here writes the runner's wire formats byte for byte; nothing here decides what to
//! report.

pub mod commands;
pub mod files;
pub mod log;
pub mod oidc;

pub use commands::{
    add_mask, annotation, annotation_with_properties, debug, end_group, escape_data,
    escape_property, group, neutralize, resume_commands, stop_commands, AnnotationLevel,
    AnnotationProperties,
};
pub use files::{
    append_output, append_summary, format_output, new_delimiter, write_outputs, FileCommandError,
    OutputSink, SummaryWrite, SUMMARY_SIZE_LIMIT,
};
pub use log::{init_log, log, Log, LogSubscriber};
