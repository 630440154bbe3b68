//! The drill's recorder: the report and phase timings built as a drill or clean-up runs, and the
//! report of a run that the runner cancelled, which names what may be left in Azure.

use std::collections::BTreeSet;

use time::OffsetDateTime;

use super::report::{
    CleanupReport, DrillReport, Gate, Gates, JobReport, Phase, Target, What, Who, SCHEMA_VERSION,
};
use super::run::{DrillOutcome, DrillVerdict};
use crate::backup::JobStatus;
use crate::config::Config;
use crate::report::format_rfc3339;

/// Builds a report and its phase timings as the run goes. It outlives a drill stopped by a
/// cancellation signal, so even that drill leaves a report.
pub struct Recorder {
    pub(super) report: DrillReport,
    verdict: DrillVerdict,
    /// The phase begun and not yet ended, with its start.
    open_phase: Option<(String, OffsetDateTime)>,
    /// A restore was requested, even if its job is not known yet.
    pub(super) restore_requested: bool,
    /// IDs of the restored resources that carry the drill tag.
    pub(super) tagged: BTreeSet<String>,
    /// IDs that `operation: cleanup` was given, for the report of a cancelled clean-up.
    listed_for_cleanup: Vec<String>,
    /// Azure Backup was asked to cancel this restore job (`cancel-on-abort`).
    cancel_requested: Option<String>,
}

/// A restore that a cancelled drill leaves running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreInFlight {
    /// The restore job, when its operation already named it.
    pub job_id: Option<String>,
    /// The protected VM's name as the vault lists it, to look the job up by.
    pub item: Option<String>,
}

impl Recorder {
    /// Starts the report of `operation` (`restore-drill` or `cleanup`) run by `who`.
    pub fn new(operation: &str, config: &Config, who: Who) -> Self {
        let settings = config.drill.as_ref();
        Self {
            report: DrillReport {
                schema_version: SCHEMA_VERSION,
                tool: "azure-backup-oidc".to_string(),
                tool_version: env!("CARGO_PKG_VERSION").to_string(),
                operation: operation.to_string(),
                result: "passed".to_string(),
                failure_reason: None,
                validate_only: settings.is_some_and(|settings| settings.validate_only),
                who,
                what: What {
                    vault: config.vault.resource_id(),
                    ..What::default()
                },
                target: Target {
                    resource_group: settings.map(|settings| settings.target_resource_group.clone()),
                    staging_storage_account: settings
                        .map(|settings| settings.staging_storage_account.id()),
                },
                gates: Gates {
                    rpo: Gate {
                        max_seconds: settings
                            .and_then(|settings| settings.max_recovery_point_age)
                            .map(|limit| limit.as_secs()),
                        ..Gate::default()
                    },
                    rto: Gate {
                        max_seconds: settings
                            .and_then(|settings| settings.max_restore_duration)
                            .map(|limit| limit.as_secs()),
                        ..Gate::default()
                    },
                },
                restore_job: None,
                restored_resources: Vec::new(),
                cleanup: CleanupReport {
                    policy: settings
                        .map(|settings| settings.cleanup.as_str())
                        .unwrap_or("always")
                        .to_string(),
                    ..CleanupReport::default()
                },
                phases: Vec::new(),
            },
            verdict: DrillVerdict::Passed,
            open_phase: None,
            restore_requested: false,
            tagged: BTreeSet::new(),
            listed_for_cleanup: if operation == "cleanup" {
                config.cleanup_resource_ids.clone()
            } else {
                Vec::new()
            },
            cancel_requested: None,
        }
    }

    pub(super) fn phase(&mut self, name: &str, start: OffsetDateTime, passed: bool) {
        crate::github::log().end_group();
        self.open_phase = None;
        self.report.phases.push(Phase {
            name: name.to_string(),
            start: format_rfc3339(start),
            end: format_rfc3339(OffsetDateTime::now_utc()),
            outcome: if passed { "passed" } else { "failed" }.to_string(),
        });
    }

    pub(super) fn begin(&mut self, name: &str) -> OffsetDateTime {
        crate::github::log().group(name);
        let start = OffsetDateTime::now_utc();
        self.open_phase = Some((name.to_string(), start));
        start
    }

    /// Records the first failure; later ones are logged but keep the first as the reason.
    pub(super) fn fail(&mut self, verdict: DrillVerdict, reason: String) {
        tracing::debug!("Drill failed: {reason}");
        if self.report.failure_reason.is_none() {
            self.report.failure_reason = Some(reason);
            self.verdict = verdict;
        }
        self.report.result = "failed".to_string();
    }

    /// Ends the report of a run that the runner cancelled with `signal`. The phase under way
    /// fails, and the failure reason names what may be left in Azure and how to remove it. An
    /// earlier failure stays first in the reason.
    pub fn cancelled(mut self, signal: &str) -> DrillOutcome {
        let phase = match self.open_phase.take() {
            Some((name, start)) => {
                self.phase(&name, start, false);
                format!(" during the phase '{name}'")
            }
            None => String::new(),
        };
        self.record_left_behind();
        let advice = if self.report.operation == "cleanup" {
            " Run the clean-up again with the same restored-resource-ids; disks already gone \
             count as deleted."
                .to_string()
        } else {
            self.drill_advice()
        };
        let cancel = format!("Cancelled: the runner cancelled the step ({signal}){phase}.{advice}");
        self.report.failure_reason = Some(match self.report.failure_reason.take() {
            Some(earlier) => format!("{earlier}. {cancel}"),
            None => cancel,
        });
        self.report.result = "failed".to_string();
        if self.verdict == DrillVerdict::Passed {
            self.verdict = DrillVerdict::Failed;
        }
        self.finish()
    }

    /// Returns the restore that is still running, if the drill requested one whose job has not
    /// ended.
    pub fn restore_in_flight(&self) -> Option<RestoreInFlight> {
        let running = match &self.report.restore_job {
            Some(JobReport { status, .. }) => !JobStatus::from_service(status).is_terminal(),
            None => self.restore_requested,
        };
        running.then(|| RestoreInFlight {
            job_id: self
                .report
                .restore_job
                .as_ref()
                .and_then(|job| job.id.clone()),
            item: self.report.what.item.clone(),
        })
    }

    /// Records that Azure Backup was asked to cancel restore job `job_id`.
    pub fn record_cancel_request(&mut self, job_id: &str) {
        self.cancel_requested = Some(job_id.to_string());
        match &mut self.report.restore_job {
            Some(job) => job.id = Some(job_id.to_string()),
            None => {
                self.report.restore_job = Some(JobReport {
                    id: Some(job_id.to_string()),
                    status: JobStatus::InProgress.as_str().to_string(),
                    ..JobReport::default()
                })
            }
        }
    }

    /// Lists as left behind every restored (or listed) resource that no clean-up deleted.
    fn record_left_behind(&mut self) {
        let candidates: Vec<String> = if self.report.operation == "cleanup" {
            self.listed_for_cleanup.clone()
        } else {
            self.report
                .restored_resources
                .iter()
                .map(|resource| resource.id.clone())
                .filter(|id| !id.is_empty())
                .collect()
        };
        let cleanup = &mut self.report.cleanup;
        for id in candidates {
            let known = |list: &[String]| list.iter().any(|seen| seen.eq_ignore_ascii_case(&id));
            if !known(&cleanup.deleted) && !known(&cleanup.left) {
                cleanup.left.push(id);
            }
        }
    }

    /// Says what a cancelled drill leaves: a restore that goes on in Azure, and restored disks
    /// with or without the drill tag, which decides whether `operation: cleanup` may delete them.
    fn drill_advice(&self) -> String {
        let target = self
            .report
            .target
            .resource_group
            .as_deref()
            .unwrap_or("the target resource group");
        let mut advice = String::new();
        let restoring = match (&self.cancel_requested, self.restore_in_flight()) {
            (Some(job_id), _) => Some(format!(
                "Azure Backup was asked to cancel restore job {job_id} (cancel-on-abort). Disks \
                 it restores into {target} before it stops"
            )),
            (None, Some(RestoreInFlight { job_id, .. })) => {
                let job = match job_id {
                    Some(job_id) => format!("Restore job {job_id}"),
                    None => "The restore requested (its job was not known yet)".to_string(),
                };
                Some(format!(
                    "{job} goes on in Azure, and the disks it restores into {target}"
                ))
            }
            (None, None) => None,
        };
        if let Some(restoring) = restoring {
            advice.push_str(&format!(
                " {restoring} are not tagged, so operation: cleanup will not delete them: delete \
                 them by hand once the job ends."
            ));
        }
        let (tagged, untagged): (Vec<&String>, Vec<&String>) = self
            .report
            .cleanup
            .left
            .iter()
            .partition(|id| self.tagged.contains(*id));
        if !tagged.is_empty() {
            advice.push_str(
                " The restored disks left that carry the drill tag can be deleted with \
                 operation: cleanup and the restored-resource-ids output.",
            );
        }
        if !untagged.is_empty() {
            let ids: Vec<&str> = untagged.iter().map(|id| id.as_str()).collect();
            advice.push_str(&format!(
                " These restored disks carry no drill tag, so operation: cleanup will not delete \
                 them: delete them by hand: {}.",
                ids.join(", ")
            ));
        }
        advice
    }

    /// Returns the outcome of a run that ended by itself.
    pub fn outcome(self) -> DrillOutcome {
        self.finish()
    }

    fn finish(self) -> DrillOutcome {
        DrillOutcome {
            verdict: self.verdict,
            report: self.report,
        }
    }
}
