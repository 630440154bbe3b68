//! The Markdown job summary: one section per run, on success and on failure. Text from inputs
//! and from servers is HTML-escaped, because GitHub renders HTML in summaries.

use std::fmt::Write;

use super::format_time;
use crate::backup::{BackupOutcome, JobStatus};
use crate::config::Config;

/// Escapes text for a Markdown table cell or paragraph that GitHub renders with HTML: the HTML
/// specials, the table separator and line breaks.
pub fn html_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            '|' => escaped.push_str("&#124;"),
            '`' => escaped.push_str("&#96;"),
            // Brackets would let server text form Markdown links and images.
            '[' => escaped.push_str("&#91;"),
            ']' => escaped.push_str("&#93;"),
            '\r' | '\n' => escaped.push(' '),
            character if character.is_control() => escaped.push('\u{FFFD}'),
            _ => escaped.push(character),
        }
    }
    escaped
}

fn status_heading(status: JobStatus, timed_out: bool, cancelled: bool) -> &'static str {
    match status {
        JobStatus::Completed => "completed",
        JobStatus::CompletedWithWarnings => "completed with warnings",
        JobStatus::InProgress if timed_out => "still running at the timeout",
        JobStatus::InProgress if cancelled => "cancelled by the runner",
        JobStatus::InProgress => "started",
        JobStatus::Cancelled => "cancelled",
        JobStatus::Failed => "failed",
    }
}

/// Builds the summary of a backup run that got as far as starting jobs.
pub fn backup_summary(config: &Config, outcome: &BackupOutcome) -> String {
    let mut text = String::new();
    let status = outcome.worst_status();
    let _ = writeln!(
        text,
        "### Azure Backup: {}\n",
        status_heading(status, outcome.timed_out, outcome.cancelled)
    );
    let _ = writeln!(
        text,
        "Vault **{}** in resource group {} (subscription {})\n",
        html_escape(&config.vault.name),
        html_escape(&config.vault.resource_group),
        html_escape(&config.vault.subscription_id)
    );
    text.push_str("| Item | Job ID | Status | Start | End | Duration | Details |\n");
    text.push_str("| --- | --- | --- | --- | --- | --- | --- |\n");
    for item in &outcome.items {
        let mut details = item
            .error
            .as_ref()
            .map(|error| html_escape(&format!("{}: {}", error.code, error.message)))
            .unwrap_or_default();
        if item.attached {
            if !details.is_empty() {
                details.push_str("; ");
            }
            details.push_str("followed a backup that was already running");
        }
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {} | {} | {} |",
            html_escape(&item.item),
            html_escape(item.job_id.as_deref().unwrap_or("-")),
            html_escape(
                item.service_status
                    .as_deref()
                    .unwrap_or(item.status.as_str())
            ),
            item.start_time
                .map(format_time)
                .unwrap_or_else(|| "-".into()),
            item.end_time.map(format_time).unwrap_or_else(|| "-".into()),
            item.duration_seconds
                .map(format_seconds)
                .unwrap_or_else(|| "-".into()),
            details
        );
    }
    text.push('\n');
    if outcome.cancelled {
        text.push_str(
            "The runner cancelled the step; jobs already started go on in Azure, with the last status shown.\n\n",
        );
    } else if !outcome.waited {
        text.push_str(
            "The step did not wait for the jobs (`wait: false`); they go on in Azure.\n\n",
        );
    } else if outcome.timed_out {
        text.push_str("The run's timeout was reached; jobs still running go on in Azure.\n\n");
    }
    let _ = writeln!(
        text,
        "[Backup jobs of this vault in the Azure portal]({})\n",
        portal_jobs_link(config)
    );
    text
}

/// Builds the summary section of a run that failed before or instead of a backup.
pub fn failure_summary(title: &str, message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    let body = if lines.len() > 1 {
        lines
            .iter()
            .map(|line| format!("- {}", html_escape(line)))
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        html_escape(message)
    };
    format!(
        "### Azure Backup: failed\n\n**{}**\n\n{body}\n\n",
        html_escape(title)
    )
}

fn portal_jobs_link(config: &Config) -> String {
    format!(
        "{}/#@{}/resource{}/backupJobs",
        config.cloud.portal_url.trim_end_matches('/'),
        config.tenant_id,
        config.vault.resource_id()
    )
}

fn format_seconds(seconds: u64) -> String {
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}h {minutes:02}m {seconds:02}s")
    } else if minutes > 0 {
        format!("{minutes}m {seconds:02}s")
    } else {
        format!("{seconds}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_html_and_tables() {
        assert_eq!(
            html_escape("<script>a|b</script>\n&'\""),
            "&lt;script&gt;a&#124;b&lt;/script&gt; &amp;&#39;&quot;"
        );
    }

    #[test]
    fn seconds_are_readable() {
        assert_eq!(format_seconds(5), "5s");
        assert_eq!(format_seconds(843), "14m 03s");
        assert_eq!(format_seconds(3723), "1h 02m 03s");
    }
}
