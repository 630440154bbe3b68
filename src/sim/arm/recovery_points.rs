//! Recovery points of a protected VM: the scenario's points, taken before the simulator started,
//! plus one per backup job that completed. Served as `IaasVMRecoveryPoint` resources through
//! `GET …/protectedItems/{item}/recoveryPoints` (filtered, paged) and `…/recoveryPoints/{name}`.

use hyper::StatusCode;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime, UtcOffset};

use super::filter;
use super::jobs::job_state;
use super::paging::select_page;
use super::path::ItemPath;
use super::resources::{find_item, item_id};
use super::response::arm_error;
use crate::sim::http::{SimRequest, SimResponse};
use crate::sim::scenario::JobOutcome;
use crate::sim::Simulator;

/// One recovery point of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecoveryPoint {
    /// A numeric string, as the service names points.
    pub(crate) name: String,
    /// The time the point was taken, truncated to the fractional digits it is written with.
    pub(crate) time: OffsetDateTime,
    pub(crate) fraction_digits: u8,
    /// `recoveryPointType`, such as `CrashConsistent`.
    pub(crate) point_type: String,
}

/// Fractional-second digits of `recoveryPointTime`, chosen by the point's position. The service
/// writes seven. Fewer, or none, make clients parse the time leniently, which other ARM times
/// already require.
const FRACTION_DIGITS: [u8; 4] = [7, 3, 0, 6];

/// Name of the first scenario point without a name. The simulator numbers the others from it by
/// vault, item and position, which keeps names in the 14-digit range of the service's examples.
const FIRST_SCENARIO_POINT_NAME: u64 = 22_244_821_112_382;

/// Name of the point of the first backup job; later jobs count up by their position in the job
/// list.
const FIRST_BACKUP_POINT_NAME: u64 = 70_477_518_625_276;

/// The point type of points that backup jobs create.
const BACKUP_POINT_TYPE: &str = "CrashConsistent";

/// How long a point keeps its instant-restore snapshot (tier `InstantRP`): 2 days, the default of
/// a standard VM backup policy.
const INSTANT_RESTORE_RETENTION: Duration = Duration::days(2);

/// Builds the scenario's points of an item, in the scenario's order.
fn scenario_points(
    simulator: &Simulator,
    vault_index: usize,
    item_index: usize,
) -> Vec<RecoveryPoint> {
    let item = &simulator.scenario.arm.vaults[vault_index].protected_items[item_index];
    let origin = simulator.clock.origin();
    item.recovery_points
        .iter()
        .enumerate()
        .map(|(index, point)| {
            let generated = FIRST_SCENARIO_POINT_NAME
                + vault_index as u64 * 1_000_000
                + item_index as u64 * 1_000
                + index as u64;
            let age = Duration::seconds_f64(point.age_hours * 3600.0);
            let fraction_digits = FRACTION_DIGITS[index % FRACTION_DIGITS.len()];
            RecoveryPoint {
                name: point.name.clone().unwrap_or_else(|| generated.to_string()),
                time: truncate_fraction(origin - age, fraction_digits),
                fraction_digits,
                point_type: point.point_type.clone(),
            }
        })
        .collect()
}

/// Returns the time of the item's newest scenario point.
pub(crate) fn newest_scenario_point_time(
    simulator: &Simulator,
    vault_index: usize,
    item_index: usize,
) -> Option<OffsetDateTime> {
    scenario_points(simulator, vault_index, item_index)
        .into_iter()
        .map(|point| point.time)
        .max()
}

/// Returns every point of an item at `now`, newest first. Locks the state to read the jobs.
pub(crate) fn recovery_points(
    simulator: &Simulator,
    vault_index: usize,
    item_index: usize,
    now: OffsetDateTime,
) -> Vec<RecoveryPoint> {
    let mut points = scenario_points(simulator, vault_index, item_index);
    let state = simulator.state();
    for (position, job) in state.jobs.iter().enumerate() {
        let is_item_backup =
            job.vault == vault_index && job.item == item_index && job.restore.is_none();
        if !is_item_backup {
            continue;
        }
        let current = job_state(job, now);
        let completed = matches!(
            current.outcome,
            Some(JobOutcome::Completed | JobOutcome::CompletedWithWarnings)
        );
        if let (true, Some(ended_at)) = (completed, current.ended_at) {
            let fraction_digits = FRACTION_DIGITS[position % FRACTION_DIGITS.len()];
            points.push(RecoveryPoint {
                name: (FIRST_BACKUP_POINT_NAME + position as u64).to_string(),
                time: truncate_fraction(ended_at, fraction_digits),
                fraction_digits,
                point_type: BACKUP_POINT_TYPE.to_owned(),
            });
        }
    }
    points.sort_by_key(|point| std::cmp::Reverse(point.time));
    points
}

/// Finds an item's point by name (names are numeric, so the match is exact).
pub(crate) fn find_point(
    simulator: &Simulator,
    vault_index: usize,
    item_index: usize,
    name: &str,
    now: OffsetDateTime,
) -> Result<RecoveryPoint, SimResponse> {
    recovery_points(simulator, vault_index, item_index, now)
        .into_iter()
        .find(|point| point.name == name)
        .ok_or_else(|| point_not_found(name))
}

// NOTE: a guessed code. The specs and their examples do not show the service's error for an unknown
// recovery point, so the simulator follows the style of its other user errors.
fn point_not_found(name: &str) -> SimResponse {
    arm_error(
        StatusCode::NOT_FOUND,
        "BMSUserErrorRecoveryPointNotFound",
        format!("The recovery point '{name}' was not found for the item."),
    )
}

/// Truncates a time to `digits` fractional-second digits.
fn truncate_fraction(time: OffsetDateTime, digits: u8) -> OffsetDateTime {
    let unit = 10_u32.pow(9 - u32::from(digits.min(9)));
    let nanoseconds = time.nanosecond() / unit * unit;
    time.replace_nanosecond(nanoseconds).unwrap_or(time)
}

/// Writes a UTC time as `2017-11-22T08:55:10.2138123Z` with `digits` fractional digits (none and
/// no dot for 0).
pub(crate) fn format_with_fraction(time: OffsetDateTime, digits: u8) -> String {
    let time = time.to_offset(UtcOffset::UTC);
    let whole = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    );
    let digits = usize::from(digits.min(9));
    if digits == 0 {
        return format!("{whole}Z");
    }
    let nanoseconds = format!("{:09}", time.nanosecond());
    format!("{whole}.{}Z", &nanoseconds[..digits])
}

/// Builds the `IaasVMRecoveryPoint` resource in the shape of the service's `RecoveryPoints_Get`
/// example.
fn point_resource(
    simulator: &Simulator,
    vault_index: usize,
    item_index: usize,
    point: &RecoveryPoint,
    now: OffsetDateTime,
) -> Value {
    let vault = &simulator.scenario.arm.vaults[vault_index];
    let item = &vault.protected_items[item_index];
    let instant_status = if now - point.time < INSTANT_RESTORE_RETENTION {
        "Valid"
    } else {
        "Deleted"
    };
    let premium_disks = item
        .source_disks
        .iter()
        .filter(|disk| disk.sku.starts_with("Premium"))
        .count();
    // NOTE: the examples show `NormalStorage` and `PremiumVMOnPartialPremiumStorage` only; the
    // simulator writes the latter for any VM with a Premium disk.
    let storage_type = if premium_disks == 0 {
        "NormalStorage"
    } else {
        "PremiumVMOnPartialPremiumStorage"
    };

    json!({
        "id": format!("{}/recoveryPoints/{}", item_id(simulator, vault, item), point.name),
        "name": point.name,
        "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems/recoveryPoints",
        "properties": {
            "objectType": "IaasVMRecoveryPoint",
            "recoveryPointType": point.point_type,
            "recoveryPointTime": format_with_fraction(point.time, point.fraction_digits),
            "recoveryPointAdditionalInfo": "",
            "sourceVMStorageType": storage_type,
            "isSourceVMEncrypted": false,
            "isInstantIlrSessionActive": false,
            "recoveryPointTierDetails": [
                { "type": "InstantRP", "status": instant_status },
                { "type": "HardenedRP", "status": "Valid" },
            ],
            "recoveryPointMoveReadinessInfo": {
                "ArchivedRP": {
                    "isReadyForMove": false,
                    "additionalInfo": "Recovery point cannot be moved to archive tier because it is younger than the policy's minimum age.",
                },
            },
            "isManagedVirtualMachine": true,
            "virtualMachineSize": item.vm_size,
            "originalStorageAccountOption": false,
            "osType": crate::sim::arm::compute::OS_TYPE,
            "securityType": "None",
            "isPrivateAccessEnabledOnAnyDisk": false,
        }
    })
}

/// The time window of a recovery points `$filter`.
#[derive(Debug, Default, PartialEq, Eq)]
struct PointFilter {
    start: Option<OffsetDateTime>,
    end: Option<OffsetDateTime>,
}

impl PointFilter {
    /// Parses `startDate eq '…' and endDate eq '…'`, with times as in the jobs filter.
    // NOTE: the field names come from the service's documentation of the list filter; the specs
    // have no example of it.
    fn parse(text: &str) -> Result<Self, SimResponse> {
        let invalid = |detail: String| {
            arm_error(
                StatusCode::BAD_REQUEST,
                "BMSUserErrorInvalidInput",
                format!("Input provided for the call is invalid: $filter {detail}"),
            )
        };
        let mut parsed = PointFilter::default();
        for clause in filter::parse(text).map_err(invalid)? {
            let time = || filter::parse_filter_time(&clause.value).map_err(invalid);
            match clause.field.to_ascii_lowercase().as_str() {
                "startdate" => parsed.start = Some(time()?),
                "enddate" => parsed.end = Some(time()?),
                _ => {
                    return Err(invalid(format!(
                        "has an unsupported field '{}'; use startDate or endDate",
                        clause.field
                    )))
                }
            }
        }
        Ok(parsed)
    }

    fn matches(&self, point: &RecoveryPoint) -> bool {
        self.start.is_none_or(|start| point.time >= start)
            && self.end.is_none_or(|end| point.time <= end)
    }
}

/// `GET …/protectedItems/{item}/recoveryPoints?$filter=…`, newest first, with `"nextLink": null`
/// on the last page as in the service's example.
pub(crate) fn list(
    simulator: &Simulator,
    request: &SimRequest,
    path: &ItemPath,
) -> Result<SimResponse, SimResponse> {
    let (vault_index, item_index) = find_item(simulator, path)?;
    let filter = PointFilter::parse(request.query_value("$filter").unwrap_or_default())?;
    let now = simulator.clock.now();
    let mut points = recovery_points(simulator, vault_index, item_index, now);
    points.retain(|point| filter.matches(point));

    let vault = &simulator.scenario.arm.vaults[vault_index];
    let item = &vault.protected_items[item_index];
    let resource_path = format!("{}/recoveryPoints", item_id(simulator, vault, item));
    let page = select_page(
        simulator,
        request,
        points.len(),
        &resource_path,
        "$skipToken",
    )?;
    let values: Vec<Value> = points[page.range]
        .iter()
        .map(|point| point_resource(simulator, vault_index, item_index, point, now))
        .collect();
    let body = json!({ "value": values, "nextLink": page.next_link });
    Ok(SimResponse::json(StatusCode::OK, &body))
}

/// `GET …/protectedItems/{item}/recoveryPoints/{name}`.
pub(crate) fn get(
    simulator: &Simulator,
    path: &ItemPath,
    name: &str,
) -> Result<SimResponse, SimResponse> {
    let (vault_index, item_index) = find_item(simulator, path)?;
    let now = simulator.clock.now();
    let point = find_point(simulator, vault_index, item_index, name, now)?;
    Ok(SimResponse::json(
        StatusCode::OK,
        &point_resource(simulator, vault_index, item_index, &point, now),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn time_written_with_chosen_digits() {
        let time = datetime!(2017-11-22 08:55:10.213812345 UTC);
        assert_eq!(
            format_with_fraction(time, 7),
            "2017-11-22T08:55:10.2138123Z"
        );
        assert_eq!(format_with_fraction(time, 3), "2017-11-22T08:55:10.213Z");
        assert_eq!(format_with_fraction(time, 0), "2017-11-22T08:55:10Z");
    }

    #[test]
    fn truncation_matches_written_time() {
        let time = datetime!(2017-11-22 08:55:10.213812345 UTC);
        assert_eq!(
            truncate_fraction(time, 3),
            datetime!(2017-11-22 08:55:10.213 UTC)
        );
        assert_eq!(
            truncate_fraction(time, 0),
            datetime!(2017-11-22 08:55:10 UTC)
        );
        assert_eq!(
            truncate_fraction(time, 7),
            datetime!(2017-11-22 08:55:10.2138123 UTC)
        );
    }

    #[test]
    fn point_filter_selects_window() {
        let point = RecoveryPoint {
            name: "1".to_owned(),
            time: datetime!(2025-05-01 10:00:00 UTC),
            fraction_digits: 7,
            point_type: BACKUP_POINT_TYPE.to_owned(),
        };
        let matches = |text: &str| PointFilter::parse(text).unwrap().matches(&point);
        assert!(matches(""));
        assert!(matches(
            "startDate eq '2025-05-01 09:00:00 AM' and endDate eq '2025-05-01 11:00:00 AM'"
        ));
        assert!(!matches("startDate eq '2025-05-01 11:00:00 AM'"));
        assert!(!matches("endDate eq '2025-04-30T00:00:00Z'"));
        assert!(PointFilter::parse("name eq '1'").is_err());
        assert!(PointFilter::parse("startDate eq 'yesterday'").is_err());
    }
}
