//! Backup operations on vaults. They return result values and leave writing to the runner's
//! files and log to `report`.

mod data_protection;
mod jobs;
pub(crate) mod recovery_services;
pub(crate) use recovery_services::{cancel_job, find_running_backup_job, find_running_job};
mod run;
mod start;

pub use data_protection::DATA_PROTECTION_API_VERSION;
pub use jobs::{
    bounded_server_text, parse_service_duration, parse_service_time, JobSnapshot, JobStatus,
    MAX_SERVER_TEXT_CHARS,
};
pub use recovery_services::{ProtectedItem, RECOVERY_SERVICES_API_VERSION};
pub(crate) use run::find_items_in_vault;
pub use run::{
    run_backup, run_backup_into, BackupError, BackupOutcome, BackupProgress, ItemError, ItemResult,
};
