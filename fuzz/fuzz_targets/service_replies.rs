//! Fuzzes the parsers of ARM replies: `JobSnapshot::from_json`, `parse_service_time`,
//! `parse_service_duration` and `arm::retry_after`.
//!
//! The same bytes feed every parser: as text for the time and duration parsers, as JSON for the
//! job body (both as the whole body and as its `properties`), and as `name: value` lines for the
//! headers.

#![no_main]

use std::time::Duration;

use azure_backup_oidc::arm::retry_after;
use azure_backup_oidc::backup::{parse_service_duration, parse_service_time};
use libfuzzer_sys::fuzz_target;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};

#[path = "../../tests/props/invariants.rs"]
mod invariants;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    if let Some(time) = parse_service_time(&text) {
        let formatted = time.format(&time::format_description::well_known::Rfc3339);
        // Years outside 0000 to 9999 have no RFC 3339 form, so only a formatted time is checked.
        if let Ok(formatted) = formatted {
            assert_eq!(parse_service_time(&formatted), Some(time), "{formatted}");
        }
    }
    let _ = parse_service_duration(&text);

    if let Ok(body) = serde_json::from_slice::<Value>(data) {
        invariants::check_job(&body);
        invariants::check_job(&json!({ "properties": body }));
    }

    check_retry_after(&headers_from(&text));
});

/// Builds headers from `name: value` lines. Lines that are not a valid header are skipped.
fn headers_from(text: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in text.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    headers
}

/// Checks `retry_after` against the numeric forms, which need no clock: the first of
/// `retry-after-ms`, `x-ms-retry-after-ms` (milliseconds) and `Retry-After` (seconds) that holds a
/// whole number wins. An HTTP date is only required not to panic.
fn check_retry_after(headers: &HeaderMap) {
    let result = retry_after(headers);
    let number =
        |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
    let expected = number("retry-after-ms")
        .or_else(|| number("x-ms-retry-after-ms"))
        .map(Duration::from_millis)
        .or_else(|| number("retry-after").map(Duration::from_secs));
    if expected.is_some() {
        assert_eq!(result, expected);
    }
}
