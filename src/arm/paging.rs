//! ARM list paging: `{"value": [...], "nextLink": "..."}` pages followed as given.

use serde_json::Value;

use super::client::{display_path, ArmClient};
use super::error::ArmError;

/// Pages followed at most in one list, against a `nextLink` that never ends.
const MAX_LIST_PAGES: usize = 1000;

/// GETs `first_url` and every page its `nextLink`s name, and returns all `value` entries.
pub async fn get_all_pages(arm: &ArmClient, first_url: &str) -> Result<Vec<Value>, ArmError> {
    let mut next = Some(first_url.to_string());
    let mut entries = Vec::new();
    let mut pages = 0;
    while let Some(url) = next.take() {
        pages += 1;
        if pages > MAX_LIST_PAGES {
            return Err(ArmError::InvalidReply {
                path: display_path(first_url),
                detail: format!("the list has more than {MAX_LIST_PAGES} pages"),
            });
        }
        let page: Value = arm.get(&url).await?.json()?;
        if let Some(values) = page.get("value").and_then(Value::as_array) {
            entries.extend(values.iter().cloned());
        }
        next = page
            .get("nextLink")
            .and_then(Value::as_str)
            .filter(|link| !link.is_empty())
            .map(str::to_string);
    }
    Ok(entries)
}
