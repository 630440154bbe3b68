//! Paged list responses: `scenario.arm.page_size` entries per page and a `nextLink` that repeats
//! the request's `api-version` and `$filter` and adds an opaque continuation token.

use std::ops::Range;

use hyper::StatusCode;
use serde_json::{json, Value};

use super::response::arm_error;
use crate::sim::http::{SimRequest, SimResponse};
use crate::sim::Simulator;

/// One page of a list.
pub(crate) struct Page {
    pub(crate) range: Range<usize>,
    pub(crate) next_link: Option<String>,
}

impl Page {
    /// Builds the 200 reply of a list: `{"value": values}`, with `nextLink` when more follow.
    pub(crate) fn reply(self, values: Vec<Value>) -> SimResponse {
        let mut body = json!({ "value": values });
        if let Some(next_link) = self.next_link {
            body["nextLink"] = json!(next_link);
        }
        SimResponse::json(StatusCode::OK, &body)
    }
}

/// Selects the page a request names (by its continuation token) out of `total` entries.
///
/// `resource_path` is the list's path on the ARM listener, and `token_parameter` the name of the
/// continuation parameter in the `nextLink` (`$skipToken` for protected items, `$skiptoken` for
/// jobs, as in the service's examples). The request's token is read under either spelling.
pub(crate) fn select_page(
    simulator: &Simulator,
    request: &SimRequest,
    total: usize,
    resource_path: &str,
    token_parameter: &str,
) -> Result<Page, SimResponse> {
    let page_size = simulator.scenario.arm.page_size;
    let mut state = simulator.state();
    let start = match request.query_value("$skiptoken") {
        None => 0,
        Some(token) => *state.skip_tokens.get(token).ok_or_else(|| {
            // NOTE: the real service's error for an unknown continuation token is not documented.
            arm_error(
                StatusCode::BAD_REQUEST,
                "BMSUserErrorInvalidInput",
                format!(
                    "Input provided for the call is invalid: unknown continuation token '{token}'."
                ),
            )
        })?,
    };
    let start = start.min(total);
    let end = start.saturating_add(page_size).min(total);
    if end >= total {
        return Ok(Page {
            range: start..end,
            next_link: None,
        });
    }

    let token = state.issue_skip_token(end);
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(api_version) = request.query_value("api-version") {
        query.append_pair("api-version", api_version);
    }
    if let Some(filter) = request.query_value("$filter") {
        query.append_pair("$filter", filter);
    }
    query.append_pair(token_parameter, &token);
    let next_link = format!(
        "{}{resource_path}?{}",
        simulator.urls.arm_base,
        query.finish()
    );
    Ok(Page {
        range: start..end,
        next_link: Some(next_link),
    })
}
