//! Checks of what the parsed values promise, shared by the property tests
//! (`tests/e2e/properties.rs`) and the fuzz targets (`fuzz/`). Each function panics with the
//! broken promise.

// Each includer uses a different subset of these functions.
#![allow(dead_code)]

use azure_backup_oidc::backup::{JobSnapshot, JobStatus};
use azure_backup_oidc::config::{
    self, Config, InputError, Operation, ResourceId, VaultId, MAX_DURATION,
};
use serde_json::Value;

/// The `retention-days` bounds that `config` enforces.
const RETENTION_DAYS: std::ops::RangeInclusive<u32> = 1..=9999;

/// Checks what `Config` documents about each field it validated.
pub fn check_config(config: &Config) {
    assert_eq!(config.client_id.len(), 36, "{:?}", config.client_id);
    assert_eq!(config.client_id, config.client_id.to_ascii_lowercase());

    assert_eq!(
        VaultId::parse(&config.vault.resource_id()),
        Ok(config.vault.clone())
    );

    assert!(RETENTION_DAYS.contains(&config.retention_days));
    assert!(!config.poll_interval.is_zero());
    assert!(config.poll_interval <= config.timeout);
    assert!(config.timeout <= MAX_DURATION);

    for item in &config.items {
        assert!(!item.is_empty());
        assert_eq!(config::js_trim(item), item, "an item kept its whitespace");
    }
    for (index, item) in config.items.iter().enumerate() {
        let later = &config.items[index + 1..];
        assert!(
            !later
                .iter()
                .any(|other| other.to_lowercase() == item.to_lowercase()),
            "duplicate item {item:?}"
        );
    }
    match config.operation {
        Operation::Backup => assert!(!config.items.is_empty()),
        Operation::RestoreDrill => assert_eq!(config.items.len(), 1),
        Operation::Cleanup => {}
    }

    assert_eq!(
        config.drill.is_some(),
        config.operation == Operation::RestoreDrill
    );
    if let Some(drill) = &config.drill {
        assert!(!drill
            .target_resource_group
            .eq_ignore_ascii_case(&config.vault.resource_group));
    }
    for id in &config.cleanup_resource_ids {
        let parsed = ResourceId::parse(id).expect("a clean-up ID that does not parse");
        assert!(parsed.is_type(config::DELETABLE_TYPE.0, config::DELETABLE_TYPE.1));
    }
}

/// Checks that an input error names at least one problem, each with its input.
pub fn check_input_error(error: &InputError) {
    assert!(!error.problems.is_empty(), "an error without problems");
    for problem in &error.problems {
        assert!(!problem.input.is_empty(), "a problem without an input name");
    }
    assert!(!error.to_string().is_empty());
}

/// Checks what `JobSnapshot::from_json` promises about `body` when it accepts it.
pub fn check_job(body: &Value) {
    let Some(job) = JobSnapshot::from_json(body) else {
        return;
    };
    let properties = &body["properties"];
    assert_eq!(
        properties["status"].as_str(),
        Some(job.service_status.as_str())
    );
    assert_eq!(job.status, JobStatus::from_service(&job.service_status));
    if let (Some(start), Some(end)) = (job.start_time, job.end_time) {
        let expected = (end - start).whole_seconds().max(0) as u64;
        assert_eq!(job.duration_seconds, Some(expected));
    }
    let first_error = properties["errorDetails"]
        .as_array()
        .and_then(|errors| errors.first());
    assert_eq!(job.error_message.is_some(), first_error.is_some());
}
