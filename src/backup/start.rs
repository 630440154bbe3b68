//! Starting one item's backup without ever starting two: a backup already running for the item
//! is handled as `if-busy` sets, and a backup request whose reply was lost is never sent again.

use std::time::Duration;

use time::OffsetDateTime;

use super::data_protection;
use super::recovery_services::{
    find_running_backup_job, get_job, trigger_backup, ProtectedItem, TriggerResult,
    BACKUP_IN_PROGRESS_CODE,
};
use crate::arm::{ArmClient, ArmError};
use crate::config::{BackupRule, Config, IfBusy};

/// Looks for the job of a backup request whose reply was lost, this many times: the job can
/// take a few seconds to appear in the vault's job list after the request arrived.
const LOST_REPLY_LOOKUPS: u32 = 3;

/// Pause between those looks.
const LOST_REPLY_LOOKUP_PAUSE: Duration = Duration::from_secs(5);

/// The way an item's backup started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Start {
    /// This run started the job.
    Started(String),
    /// The run follows a job that was already running for the item.
    Attached(String),
    /// Nothing was started. The code and message give the reason.
    NotStarted(String, String),
}

/// Starts `item`'s backup as the configuration sets. A running backup is detected from the
/// service's rejection (`UserErrorBackupOperationInProgress`), so the usual case costs no extra
/// request.
pub(crate) async fn start_item_backup(
    config: &Config,
    arm: &ArmClient,
    item: &ProtectedItem,
    expiry: OffsetDateTime,
) -> Result<Start, ArmError> {
    if let Some(rule) = &config.backup_rule {
        return start_instance_backup(config, arm, item, rule).await;
    }
    match trigger_backup(arm, &config.vault, item, expiry).await {
        Ok(TriggerResult::Started { job_id }) => Ok(Start::Started(job_id)),
        Ok(TriggerResult::OperationFailed { code, .. }) if code == BACKUP_IN_PROGRESS_CODE => {
            after_conflict(config, arm, item, expiry).await
        }
        Ok(TriggerResult::OperationFailed { code, message }) => {
            Ok(Start::NotStarted(code, message))
        }
        Err(ArmError::Service {
            status: 409, code, ..
        }) if code == BACKUP_IN_PROGRESS_CODE => after_conflict(config, arm, item, expiry).await,
        Err(ArmError::Transport {
            method: "POST",
            detail,
            ..
        }) => after_lost_reply(config, arm, item, &detail).await,
        // The POST was accepted, but following its operation failed: the job may be running, so
        // it is looked up instead of being reported as not started.
        Err(
            error @ (ArmError::InvalidReply { .. }
            | ArmError::Deadline { .. }
            | ArmError::Service { method: "GET", .. }
            | ArmError::Transport { method: "GET", .. }),
        ) => after_lost_reply(config, arm, item, &error.to_string()).await,
        Err(error) => Err(error),
    }
}

/// Starts a Backup vault instance's on-demand backup. The POST is sent once, and what the service
/// does with a backup of a busy instance is reported as it comes.
// NOTE: unlike Recovery Services, a lost reply or an operation that cannot be followed is not
// looked up among the vault's jobs: the Data Protection job list's filters are not documented.
async fn start_instance_backup(
    config: &Config,
    arm: &ArmClient,
    instance: &ProtectedItem,
    rule: &BackupRule,
) -> Result<Start, ArmError> {
    match data_protection::trigger_backup(arm, &config.vault, instance, rule).await {
        Ok(TriggerResult::Started { job_id }) => Ok(Start::Started(job_id)),
        Ok(TriggerResult::OperationFailed { code, message }) => {
            Ok(Start::NotStarted(code, message))
        }
        Err(ArmError::Transport {
            method: "POST",
            detail,
            ..
        }) => Ok(Start::NotStarted(
            "ReplyLost".to_string(),
            format!(
                "the backup request's reply was lost ({detail}); it was not sent again, so a \
                 backup may be running: look in the vault's backup jobs"
            ),
        )),
        Err(ArmError::Deadline { .. }) => Ok(Start::NotStarted(
            "TimeoutReached".to_string(),
            "the backup was requested, but the run's timeout passed before its operation ended; \
             a backup may be running: look in the vault's backup jobs"
                .to_string(),
        )),
        Err(
            error @ (ArmError::InvalidReply { .. }
            | ArmError::Service { method: "GET", .. }
            | ArmError::Transport { method: "GET", .. }),
        ) => Ok(Start::NotStarted(
            "OperationNotFollowed".to_string(),
            format!(
                "the backup was requested, but its operation could not be followed ({error}); a \
                 backup may be running: look in the vault's backup jobs"
            ),
        )),
        Err(error) => Err(error),
    }
}

fn busy_failure(item: &ProtectedItem, job_id: &str) -> Start {
    Start::NotStarted(
        "BackupAlreadyRunning".to_string(),
        format!(
            "backup job {job_id} is already running for {} and if-busy is fail; nothing was \
             started. Use if-busy: attach to follow that job, or wait to run after it",
            item.friendly_name
        ),
    )
}

/// Handles the service's rejection of a backup because another one is running for the item.
async fn after_conflict(
    config: &Config,
    arm: &ArmClient,
    item: &ProtectedItem,
    expiry: OffsetDateTime,
) -> Result<Start, ArmError> {
    let running = find_running_backup_job(arm, &config.vault, &item.friendly_name).await?;
    let Some(job_id) = running else {
        return Ok(in_progress_failure());
    };
    tracing::info!(
        "{}: backup job {job_id} is already running (if-busy: {:?})",
        item.friendly_name,
        config.if_busy
    );
    match config.if_busy {
        IfBusy::Attach => Ok(Start::Attached(job_id)),
        IfBusy::Fail => Ok(busy_failure(item, &job_id)),
        IfBusy::Wait => {
            wait_until_done(config, arm, item, &job_id).await?;
            // The first request was rejected, not lost, so sending one more is no repeat.
            match trigger_backup(arm, &config.vault, item, expiry).await? {
                TriggerResult::Started { job_id } => Ok(Start::Started(job_id)),
                TriggerResult::OperationFailed { code, message } => {
                    Ok(Start::NotStarted(code, message))
                }
            }
        }
    }
}

fn in_progress_failure() -> Start {
    Start::NotStarted(
        BACKUP_IN_PROGRESS_CODE.to_string(),
        "another backup operation is in progress for this item, so Azure Backup did not start \
         this one; re-run after it ends"
            .to_string(),
    )
}

/// Looks for the job of a backup request that got no reply, or whose operation could not be
/// followed, so it may or may not have started a job. The request is never sent again.
async fn after_lost_reply(
    config: &Config,
    arm: &ArmClient,
    item: &ProtectedItem,
    detail: &str,
) -> Result<Start, ArmError> {
    tracing::warn!(
        "{}: the backup request got no reply ({detail}); looking for its job instead of sending \
         it again",
        item.friendly_name
    );
    for look in 1..=LOST_REPLY_LOOKUPS {
        if let Some(job_id) =
            find_running_backup_job(arm, &config.vault, &item.friendly_name).await?
        {
            tracing::info!("{}: found backup job {job_id}", item.friendly_name);
            return Ok(Start::Attached(job_id));
        }
        if look < LOST_REPLY_LOOKUPS && arm.deadline().sleep(LOST_REPLY_LOOKUP_PAUSE).await.is_err()
        {
            break;
        }
    }
    Ok(Start::NotStarted(
        "ReplyLost".to_string(),
        format!(
            "the backup request got no reply ({detail}) and no running backup job was found for \
             the item; the request was not sent again, so that no second backup starts. Check \
             the vault's backup jobs and re-run if none started"
        ),
    ))
}

/// Waits for a running job to end (`if-busy: wait`).
async fn wait_until_done(
    config: &Config,
    arm: &ArmClient,
    item: &ProtectedItem,
    job_id: &str,
) -> Result<(), ArmError> {
    loop {
        let job = get_job(arm, &config.vault, job_id).await?;
        if job.status.is_terminal() {
            tracing::info!(
                "{}: the running job {job_id} ended {}; starting this run's backup",
                item.friendly_name,
                job.service_status
            );
            return Ok(());
        }
        if arm.deadline().sleep(config.poll_interval).await.is_err() {
            return Err(ArmError::Deadline {
                what: format!(
                    "backup job {job_id} already running for {}",
                    item.friendly_name
                ),
            });
        }
    }
}
