//! Outputs, job summary and JSON report file of restore drills and clean-ups.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::summary::html_escape;
use crate::config::Config;
use crate::drill::report::{DrillReport, Gate};
use crate::drill::DrillOutcome;

/// Picks the report file: `report-path`, else a file named after the run in `RUNNER_TEMP` (or the
/// system's temporary folder outside Actions).
pub fn drill_report_path(config: &Config) -> PathBuf {
    if let Some(path) = &config.report_path {
        return path.clone();
    }
    let folder = config
        .runner
        .temp_dir
        .clone()
        .unwrap_or_else(std::env::temp_dir);
    let run = config.runner.run_id.as_deref().unwrap_or("local");
    let attempt = config.runner.run_attempt.as_deref().unwrap_or("1");
    // Drill and clean-up steps of one run get different files, so a clean-up never overwrites
    // the drill's evidence.
    let kind = match config.operation {
        crate::config::Operation::Cleanup => "cleanup",
        _ => "drill",
    };
    folder.join(format!("azure-backup-{kind}-{run}-{attempt}.json"))
}

/// Writes the report as pretty JSON, creating the folder when needed.
pub fn write_drill_report(path: &Path, report: &DrillReport) -> std::io::Result<()> {
    if let Some(folder) = path
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
    {
        std::fs::create_dir_all(folder)?;
    }
    let mut text = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    text.push('\n');
    std::fs::write(path, text)
}

/// Builds the drill outputs. `report` is the report file's path when it was written.
pub fn drill_outputs(outcome: &DrillOutcome, report: Option<&Path>) -> Vec<(String, String)> {
    let mut outputs = Vec::new();
    let data = &outcome.report;
    if let Some(point) = &data.what.recovery_point {
        outputs.push(("recovery-point-id".to_string(), point.name.clone()));
        outputs.push(("recovery-point-time".to_string(), point.time.clone()));
        outputs.push((
            "recovery-point-age-seconds".to_string(),
            point.age_seconds.to_string(),
        ));
    }
    if let Some(job_id) = data.restore_job.as_ref().and_then(|job| job.id.clone()) {
        outputs.push(("restore-job-id".to_string(), job_id));
    }
    if let Some(seconds) = data.gates.rto.actual_seconds {
        outputs.push(("restore-duration-seconds".to_string(), seconds.to_string()));
    }
    outputs.push((
        "restored-resource-ids".to_string(),
        serde_json::Value::from(outcome.restored_ids()).to_string(),
    ));
    outputs.push(("drill-result".to_string(), data.result.clone()));
    if let Some(path) = report {
        outputs.push(("report".to_string(), path.display().to_string()));
    }
    outputs
}

fn format_limit(seconds: Option<u64>) -> String {
    seconds
        .map(format_seconds)
        .unwrap_or_else(|| "not set".to_string())
}

fn format_seconds(seconds: u64) -> String {
    let (hours, minutes, rest) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (hours, minutes) {
        (0, 0) => format!("{rest}s"),
        (0, _) => format!("{minutes}m {rest:02}s"),
        _ => format!("{hours}h {minutes:02}m {rest:02}s"),
    }
}

fn gate_row(name: &str, gate: &Gate) -> String {
    let verdict = match gate.passed {
        Some(true) => "passed",
        Some(false) => "**failed**",
        None => "not checked",
    };
    format!(
        "| {name} | {} | {} | {verdict} |\n",
        format_limit(gate.max_seconds),
        gate.actual_seconds
            .map(format_seconds)
            .unwrap_or_else(|| "-".to_string())
    )
}

/// Builds the summary: result, gate table, restored resources, clean-up and a Mermaid timeline
/// of the phases.
pub fn drill_summary(outcome: &DrillOutcome) -> String {
    let data = &outcome.report;
    let mut text = String::new();
    let title = match (data.operation.as_str(), data.validate_only) {
        ("cleanup", _) => "Drill clean-up",
        (_, true) => "Restore drill (validate only)",
        _ => "Restore drill",
    };
    let _ = writeln!(text, "### {title}: {}\n", data.result);
    if let Some(reason) = &data.failure_reason {
        let _ = writeln!(text, "**Reason:** {}\n", html_escape(reason));
    }
    if data.operation != "cleanup" {
        let _ = write!(
            text,
            "Vault {} · item **{}**",
            html_escape(&data.what.vault),
            html_escape(data.what.item.as_deref().unwrap_or("-"))
        );
        if let Some(point) = &data.what.recovery_point {
            let _ = writeln!(
                text,
                " · recovery point {} taken {}",
                html_escape(&point.name),
                html_escape(&point.time)
            );
        }
        text.push('\n');
        text.push_str("| Gate | Limit | Actual | Result |\n| --- | --- | --- | --- |\n");
        text.push_str(&gate_row("RPO: recovery point age", &data.gates.rpo));
        text.push_str(&gate_row("RTO: restore duration", &data.gates.rto));
        text.push('\n');
        if let Some(job) = &data.restore_job {
            let _ = writeln!(
                text,
                "Restore job {}: {}\n",
                html_escape(job.id.as_deref().unwrap_or("-")),
                html_escape(&job.status)
            );
        }
    }
    if !data.restored_resources.is_empty() {
        text.push_str("| Restored resource | Size | SKU | Verified |\n| --- | --- | --- | --- |\n");
        for resource in &data.restored_resources {
            let _ = writeln!(
                text,
                "| {} | {} | {} | {} |",
                html_escape(if resource.id.is_empty() {
                    "(missing)"
                } else {
                    &resource.id
                }),
                resource
                    .size_gb
                    .map(|size| format!("{size} GB"))
                    .unwrap_or_default(),
                html_escape(resource.sku.as_deref().unwrap_or_default()),
                match &resource.problem {
                    None => "yes".to_string(),
                    Some(problem) => format!("no: {}", html_escape(problem)),
                }
            );
        }
        text.push('\n');
    }
    let cleanup = &data.cleanup;
    let _ = writeln!(
        text,
        "Clean-up ({}): {} deleted, {} failed, {} left.\n",
        cleanup.policy,
        cleanup.deleted.len(),
        cleanup.failed.len(),
        cleanup.left.len()
    );
    for failure in &cleanup.failed {
        let _ = writeln!(
            text,
            "- Not deleted: {}: {}",
            html_escape(&failure.id),
            html_escape(&failure.error)
        );
    }
    if !cleanup.failed.is_empty() {
        text.push('\n');
    }
    if !data.phases.is_empty() {
        text.push_str("```mermaid\ngantt\n    title Phases (UTC)\n    dateFormat YYYY-MM-DD HH:mm:ss\n    axisFormat %H:%M:%S\n");
        for (index, phase) in data.phases.iter().enumerate() {
            let status = if phase.outcome == "passed" {
                "done"
            } else {
                "crit"
            };
            let _ = writeln!(
                text,
                "    {} :{status}, p{index}, {}, {}",
                phase.name.replace([':', '#', ';'], " "),
                mermaid_time(&phase.start),
                mermaid_time(&phase.end)
            );
        }
        text.push_str("```\n\n");
    }
    text
}

/// Turns `2026-12-04T21:00:00Z` into Mermaid's `2026-12-04 21:00:00`.
fn mermaid_time(rfc3339: &str) -> String {
    rfc3339.trim_end_matches('Z').replacen('T', " ", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mermaid_times_drop_zone() {
        assert_eq!(mermaid_time("2026-12-04T21:00:05Z"), "2026-12-04 21:00:05");
    }

    #[test]
    fn gate_rows_show_verdicts() {
        let gate = Gate {
            max_seconds: Some(93_600),
            actual_seconds: Some(7_200),
            passed: Some(true),
        };
        assert_eq!(
            gate_row("RPO", &gate),
            "| RPO | 26h 00m 00s | 2h 00m 00s | passed |\n"
        );
        assert_eq!(
            gate_row("RTO", &Gate::default()),
            "| RTO | not set | - | not checked |\n"
        );
    }
}
