//! ARM throttling: every authenticated request draws one token from the read, write or delete
//! bucket of its subscription (or of the tenant, for requests outside a subscription) and its
//! principal. With `arm.throttle` in the scenario an empty bucket rejects the request with 429,
//! `Retry-After` and `ResourceRequestsThrottled`, and the request is not processed. Without it the
//! buckets have ARM's documented sizes and only feed the `x-ms-ratelimit-remaining-*` headers.

use std::collections::HashMap;

use hyper::header::{HeaderName, RETRY_AFTER};
use hyper::StatusCode;

use super::ratelimit::{RateLimits, RequestKind};
use super::response::arm_error;
use crate::sim::http::{Bearer, SimRequest, SimResponse};
use crate::sim::scenario::ThrottleScenario;
use crate::sim::Simulator;

/// The remaining-budget header for one response.
pub(crate) struct RemainingBudget {
    header: HeaderName,
    remaining: u64,
}

impl RemainingBudget {
    /// Adds the `x-ms-ratelimit-remaining-*` header to a response.
    pub(crate) fn add_to(&self, response: &mut SimResponse) {
        response
            .headers
            .push((self.header.clone(), self.remaining.to_string()));
    }
}

/// Whose budget a request draws from: a subscription ID (lowercase) or `None` for the tenant, and
/// the client ID of the principal.
type BudgetKey = (Option<String>, String);

/// The buckets of every subscription and principal that sent a request.
#[derive(Debug, Default)]
pub(crate) struct RateLimitBudgets {
    budgets: HashMap<BudgetKey, RateLimits>,
}

/// Returns the subscription a path names (`/subscriptions/{id}/…`), lowercase, or `None` for a
/// tenant-level path such as `/subscriptions` or `/tenants`.
fn subscription_of(request: &SimRequest) -> Option<String> {
    match request.segments.as_slice() {
        [first, subscription, ..] if first.eq_ignore_ascii_case("subscriptions") => {
            Some(subscription.to_ascii_lowercase())
        }
        _ => None,
    }
}

/// Draws one token for an authenticated request. Returns the header for the response, or the 429
/// reply when the scenario throttles and the bucket is empty.
pub(crate) fn take(
    simulator: &Simulator,
    request: &SimRequest,
    kind: RequestKind,
) -> Result<RemainingBudget, SimResponse> {
    let subscription = subscription_of(request);
    let now = simulator.clock.now();
    let throttle = simulator.scenario.arm.throttle.as_ref();

    let mut state = simulator.state();
    let principal = match request.bearer() {
        Bearer::Token(token) => state
            .access_token(token)
            .map(|issued| issued.client_id.clone())
            .unwrap_or_default(),
        Bearer::Missing | Bearer::Malformed => String::new(),
    };
    let limits = state
        .rate_limits
        .budgets
        .entry((subscription.clone(), principal.clone()))
        .or_insert_with(|| match throttle {
            Some(throttle) => RateLimits::from_scenario(throttle),
            None => RateLimits::from_scenario(&ThrottleScenario::default()),
        });
    let header = match subscription {
        Some(_) => kind.header(),
        None => kind.tenant_header(),
    };

    if throttle.is_none() {
        let remaining = limits.take(kind, now);
        return Ok(RemainingBudget { header, remaining });
    }
    match limits.try_take(kind, now) {
        Ok(remaining) => Ok(RemainingBudget { header, remaining }),
        Err(wait_seconds) => {
            drop(state);
            let scope = match &subscription {
                Some(subscription) => format!("subscription '{subscription}'"),
                None => "tenant".to_owned(),
            };
            // NOTE: the message is the one ARM's subscription token buckets send. Those replies
            // have been seen with the code SubscriptionRequestsThrottled, while resource providers
            // throttle with ResourceRequestsThrottled; the simulator sends the latter for both.
            let mut response = arm_error(
                StatusCode::TOO_MANY_REQUESTS,
                "ResourceRequestsThrottled",
                format!(
                    "Number of '{}' requests for {scope} actor '{principal}' exceeded. Please try again after '{wait_seconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.",
                    kind.name()
                ),
            )
            .with_header(RETRY_AFTER, wait_seconds.to_string());
            RemainingBudget {
                header,
                remaining: 0,
            }
            .add_to(&mut response);
            tracing::info!(
                kind = kind.name(),
                %scope,
                principal,
                wait_seconds,
                "throttled an ARM request"
            );
            Err(response)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::{HeaderMap, Method};

    fn request(path: &str) -> SimRequest {
        SimRequest::new(Method::GET, path, None, HeaderMap::new(), Vec::new())
    }

    #[test]
    fn budget_scope_follows_the_path() {
        assert_eq!(
            subscription_of(&request("/Subscriptions/ABC/resourceGroups/rg")),
            Some("abc".to_owned())
        );
        assert_eq!(
            subscription_of(&request("/subscriptions/abc")),
            Some("abc".to_owned())
        );
        assert_eq!(subscription_of(&request("/subscriptions")), None);
        assert_eq!(subscription_of(&request("/tenants")), None);
    }
}
