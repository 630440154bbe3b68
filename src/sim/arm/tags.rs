//! The Tags API on a resource: `GET`, `PUT` and `PATCH {resourceId}/providers/Microsoft.Resources/
//! tags/default`. `PATCH` takes `{"operation": "Merge" | "Replace" | "Delete", "properties":
//! {"tags": {…}}}` and `PUT` replaces all tags. Both return the resource's tags afterwards.

use hyper::{Method, StatusCode};
use serde_json::{json, Map, Value};

use super::compute::{disk_id, settle, DISK_TYPE};
use super::resource_groups::{existing_group, group_not_found, resource_not_found};
use super::resource_path::parse_group_resource_id;
use super::resources::check_subscription;
use super::response::{arm_error, parse_json_body};
use crate::sim::http::{SimRequest, SimResponse};
use crate::sim::Simulator;

/// Most tags on one resource, as ARM allows.
const MAX_TAGS: usize = 50;

/// Maximum lengths of a tag name and value, in characters, as ARM allows.
const MAX_TAG_NAME_LENGTH: usize = 512;
const MAX_TAG_VALUE_LENGTH: usize = 256;

/// Characters that ARM rejects in tag names.
const RESERVED_NAME_CHARACTERS: [char; 7] = ['<', '>', '%', '&', '\\', '?', '/'];

/// The `operation` of a `PATCH`: the rule that combines the request's tags with the existing ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagOperation {
    /// Adds the request's tags and overwrites the values of existing names.
    Merge,
    /// Replaces all tags with those of the request.
    Replace,
    /// Removes the named tags. A name sent with a non-empty value is removed only when the value
    /// matches.
    Delete,
}

/// Parses a `PATCH` (`operation` required) or `PUT` (`Replace`) body into its operation and tags.
fn parse_body(body: &[u8], patch: bool) -> Result<(TagOperation, Map<String, Value>), SimResponse> {
    let invalid =
        |message: String| arm_error(StatusCode::BAD_REQUEST, "InvalidRequestContent", message);
    let body = parse_json_body(body)?;
    let operation = if patch {
        let text = body
            .get("operation")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match text.to_ascii_lowercase().as_str() {
            "merge" => TagOperation::Merge,
            "replace" => TagOperation::Replace,
            "delete" => TagOperation::Delete,
            _ => {
                return Err(invalid(format!(
                    "The 'operation' must be Merge, Replace or Delete, got '{text}'."
                )))
            }
        }
    } else {
        TagOperation::Replace
    };
    let tags = body
        .get("properties")
        .and_then(|properties| properties.get("tags"))
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("The body must have a 'properties.tags' object.".to_owned()))?;

    for (name, value) in tags {
        // NOTE: InvalidTagNameCharacters is ARM's code for reserved characters; the codes for the
        // length and type checks below are guesses.
        if name.contains(RESERVED_NAME_CHARACTERS) || name.chars().any(char::is_control) {
            return Err(arm_error(
                StatusCode::BAD_REQUEST,
                "InvalidTagNameCharacters",
                format!("The tag names '{name}' have reserved characters '<,>,%,&,\\,?,/' or control characters."),
            ));
        }
        if name.is_empty() || name.chars().count() > MAX_TAG_NAME_LENGTH {
            return Err(arm_error(
                StatusCode::BAD_REQUEST,
                "InvalidTagNameLength",
                format!("The tag name '{name}' must have 1 to {MAX_TAG_NAME_LENGTH} characters."),
            ));
        }
        let Some(text) = value.as_str() else {
            return Err(invalid(format!(
                "The value of tag '{name}' must be a string."
            )));
        };
        if text.chars().count() > MAX_TAG_VALUE_LENGTH {
            return Err(arm_error(
                StatusCode::BAD_REQUEST,
                "InvalidTagValueLength",
                format!("The value of tag '{name}' must have at most {MAX_TAG_VALUE_LENGTH} characters."),
            ));
        }
    }
    Ok((operation, tags.clone()))
}

/// Applies a tag operation to existing tags. Tag names compare case-insensitively, as in ARM, and a
/// merged name keeps the existing spelling.
fn apply(
    existing: &mut Map<String, Value>,
    operation: TagOperation,
    requested: Map<String, Value>,
) {
    let existing_key = |existing: &Map<String, Value>, name: &str| {
        existing
            .keys()
            .find(|key| key.eq_ignore_ascii_case(name))
            .cloned()
    };
    match operation {
        TagOperation::Replace => *existing = requested,
        TagOperation::Merge => {
            for (name, value) in requested {
                let key = existing_key(existing, &name).unwrap_or(name);
                existing.insert(key, value);
            }
        }
        TagOperation::Delete => {
            for (name, value) in requested {
                let Some(key) = existing_key(existing, &name) else {
                    continue;
                };
                let value_matches =
                    value.as_str() == Some("") || existing.get(&key) == Some(&value);
                if value_matches {
                    existing.remove(&key);
                }
            }
        }
    }
}

/// `GET`, `PUT` or `PATCH {scope}/providers/Microsoft.Resources/tags/default`.
pub(crate) fn handle(
    simulator: &Simulator,
    request: &SimRequest,
    scope: &[String],
) -> Result<SimResponse, SimResponse> {
    let segments: Vec<&str> = scope.iter().map(String::as_str).collect();
    let scope_path = format!("/{}", scope.join("/"));
    let resource = parse_group_resource_id(&segments).filter(|id| {
        format!("{}/{}", id.provider, id.resource_type).eq_ignore_ascii_case(DISK_TYPE)
    });
    // NOTE: the simulator keeps tags on managed disks only; other scopes get this error, which the
    // real Tags API would not return.
    let Some(resource) = resource else {
        return Err(arm_error(
            StatusCode::BAD_REQUEST,
            "UnsupportedResourceType",
            format!("The simulator stores tags only on {DISK_TYPE}, not on '{scope_path}'."),
        ));
    };
    check_subscription(simulator, &resource.group.subscription)?;
    let group = existing_group(simulator, &resource.group.resource_group)
        .ok_or_else(|| group_not_found(&resource.group.resource_group))?;

    let change = match request.method {
        Method::PATCH => Some(parse_body(&request.body, true)?),
        Method::PUT => Some(parse_body(&request.body, false)?),
        _ => None,
    };
    let now = simulator.clock.now();
    let mut state = simulator.state();
    settle(simulator, &mut state, now);
    let Some(disk) = state.compute.disk_mut(&group.name, &resource.name) else {
        return Err(resource_not_found(
            DISK_TYPE,
            &resource.name,
            &resource.group.resource_group,
        ));
    };
    if let Some((operation, requested)) = change {
        let mut tags = disk.tags.clone();
        apply(&mut tags, operation, requested);
        if tags.len() > MAX_TAGS {
            // NOTE: the code is a guess; ARM documents the limit of 50 tags but not the error.
            return Err(arm_error(
                StatusCode::BAD_REQUEST,
                "InvalidTagCount",
                format!(
                    "A resource can have at most {MAX_TAGS} tags; the request would leave {}.",
                    tags.len()
                ),
            ));
        }
        disk.tags = tags;
    }
    let disk = disk.clone();
    drop(state);

    let body = json!({
        "id": format!("{}/providers/Microsoft.Resources/tags/default", disk_id(simulator, &disk)),
        "name": "default",
        "type": "Microsoft.Resources/tags",
        "properties": { "tags": disk.tags },
    });
    Ok(SimResponse::json(StatusCode::OK, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn patch_body_parses_operations() {
        let (operation, requested) = parse_body(
            br#"{"operation": "merge", "properties": {"tags": {"drill": "2025-05-01"}}}"#,
            true,
        )
        .unwrap();
        assert_eq!(operation, TagOperation::Merge);
        assert_eq!(requested, tags(json!({"drill": "2025-05-01"})));
        let (operation, _) = parse_body(br#"{"properties": {"tags": {}}}"#, false).unwrap();
        assert_eq!(operation, TagOperation::Replace);
    }

    #[test]
    fn patch_body_rejects_invalid_input() {
        for body in [
            &br#"not json"#[..],
            br#"{"properties": {"tags": {}}}"#,
            br#"{"operation": "Append", "properties": {"tags": {}}}"#,
            br#"{"operation": "Merge"}"#,
            br#"{"operation": "Merge", "properties": {"tags": {"a/b": "x"}}}"#,
            br#"{"operation": "Merge", "properties": {"tags": {"a": 1}}}"#,
        ] {
            let error = parse_body(body, true).unwrap_err();
            assert_eq!(
                error.status,
                StatusCode::BAD_REQUEST,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn tag_operations_combine() {
        let mut existing = tags(json!({"Owner": "drill", "keep": "yes"}));
        apply(
            &mut existing,
            TagOperation::Merge,
            tags(json!({"owner": "ops", "new": "1"})),
        );
        assert_eq!(
            existing,
            tags(json!({"Owner": "ops", "keep": "yes", "new": "1"}))
        );

        apply(
            &mut existing,
            TagOperation::Delete,
            tags(json!({"keep": "no", "new": ""})),
        );
        assert_eq!(existing, tags(json!({"Owner": "ops", "keep": "yes"})));

        apply(
            &mut existing,
            TagOperation::Replace,
            tags(json!({"only": "this"})),
        );
        assert_eq!(existing, tags(json!({"only": "this"})));
    }
}
