//! ARM's request budget of one subscription and principal, as token buckets on the simulated
//! clock, for the `x-ms-ratelimit-remaining-*` response headers and for throttling (see
//! `throttle`).
//!
//! The default sizes and refill rates are ARM's documented subscription limits since 2024: reads
//! 250 with 25 per second, writes and deletes 200 with 10 per second.

use hyper::header::HeaderName;
use hyper::Method;
use time::OffsetDateTime;

use crate::sim::scenario::{BucketScenario, ThrottleScenario};

/// The budget a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestKind {
    Read,
    Write,
    Delete,
}

impl RequestKind {
    pub(crate) fn of(method: &Method) -> Self {
        match *method {
            Method::GET | Method::HEAD | Method::OPTIONS => RequestKind::Read,
            Method::DELETE => RequestKind::Delete,
            _ => RequestKind::Write,
        }
    }

    pub(crate) fn header(self) -> HeaderName {
        HeaderName::from_static(match self {
            RequestKind::Read => "x-ms-ratelimit-remaining-subscription-reads",
            RequestKind::Write => "x-ms-ratelimit-remaining-subscription-writes",
            RequestKind::Delete => "x-ms-ratelimit-remaining-subscription-deletes",
        })
    }

    /// Returns the remaining-budget header of a request outside any subscription.
    // NOTE: ARM documents the tenant reads and writes headers. The deletes header is named by
    // analogy, and no tenant-level DELETE is simulated.
    pub(crate) fn tenant_header(self) -> HeaderName {
        HeaderName::from_static(match self {
            RequestKind::Read => "x-ms-ratelimit-remaining-tenant-reads",
            RequestKind::Write => "x-ms-ratelimit-remaining-tenant-writes",
            RequestKind::Delete => "x-ms-ratelimit-remaining-tenant-deletes",
        })
    }

    /// Returns the word ARM's throttling message uses for the kind.
    pub(crate) fn name(self) -> &'static str {
        match self {
            RequestKind::Read => "read",
            RequestKind::Write => "write",
            RequestKind::Delete => "delete",
        }
    }
}

/// A token bucket that refills continuously.
#[derive(Debug, Clone)]
struct TokenBucket {
    capacity: f64,
    refill_per_second: f64,
    available: f64,
    updated_at: Option<OffsetDateTime>,
}

impl TokenBucket {
    fn full(capacity: f64, refill_per_second: f64) -> Self {
        Self {
            capacity,
            refill_per_second,
            available: capacity,
            updated_at: None,
        }
    }

    fn from_scenario(bucket: BucketScenario) -> Self {
        Self::full(bucket.bucket as f64, bucket.refill_per_second)
    }

    /// Adds the tokens that accrued since the last update.
    fn refill(&mut self, now: OffsetDateTime) {
        if let Some(updated_at) = self.updated_at {
            let elapsed = (now - updated_at).as_seconds_f64().max(0.0);
            self.available = (self.available + elapsed * self.refill_per_second).min(self.capacity);
        }
        self.updated_at = Some(now);
    }

    /// Takes one token at `now` and returns the whole tokens left.
    fn take(&mut self, now: OffsetDateTime) -> u64 {
        self.refill(now);
        self.available = (self.available - 1.0).max(0.0);
        self.available.floor() as u64
    }

    /// Takes one token at `now` if a whole one is available and returns the whole tokens left.
    /// Otherwise returns the simulated seconds until one is, rounded up and at least 1.
    fn try_take(&mut self, now: OffsetDateTime) -> Result<u64, u64> {
        self.refill(now);
        if self.available >= 1.0 {
            self.available -= 1.0;
            return Ok(self.available.floor() as u64);
        }
        let wait = ((1.0 - self.available) / self.refill_per_second).ceil();
        Err((wait as u64).max(1))
    }
}

/// The subscription's read, write and delete budgets.
#[derive(Debug, Clone)]
pub(crate) struct RateLimits {
    reads: TokenBucket,
    writes: TokenBucket,
    deletes: TokenBucket,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            reads: TokenBucket::full(250.0, 25.0),
            writes: TokenBucket::full(200.0, 10.0),
            deletes: TokenBucket::full(200.0, 10.0),
        }
    }
}

impl RateLimits {
    /// Returns full buckets of the sizes the scenario sets.
    pub(crate) fn from_scenario(throttle: &ThrottleScenario) -> Self {
        Self {
            reads: TokenBucket::from_scenario(throttle.reads),
            writes: TokenBucket::from_scenario(throttle.writes),
            deletes: TokenBucket::from_scenario(throttle.deletes),
        }
    }

    fn bucket(&mut self, kind: RequestKind) -> &mut TokenBucket {
        match kind {
            RequestKind::Read => &mut self.reads,
            RequestKind::Write => &mut self.writes,
            RequestKind::Delete => &mut self.deletes,
        }
    }

    /// Counts one request and returns the remaining budget for the header. The count stops at 0
    /// and never rejects, as when the scenario does not throttle.
    pub(crate) fn take(&mut self, kind: RequestKind, now: OffsetDateTime) -> u64 {
        self.bucket(kind).take(now)
    }

    /// Counts one request if the budget allows it and returns the remaining budget. Otherwise
    /// returns the whole simulated seconds until it would be allowed (at least 1).
    pub(crate) fn try_take(&mut self, kind: RequestKind, now: OffsetDateTime) -> Result<u64, u64> {
        self.bucket(kind).try_take(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use time::Duration;

    #[test]
    fn bucket_counts_down_and_refills() {
        let mut limits = RateLimits::default();
        let start = datetime!(2025-05-01 10:00:00 UTC);
        assert_eq!(limits.take(RequestKind::Read, start), 249);
        assert_eq!(limits.take(RequestKind::Read, start), 248);
        assert_eq!(limits.take(RequestKind::Write, start), 199);
        // Ten seconds refill the reads to the top again.
        assert_eq!(
            limits.take(RequestKind::Read, start + Duration::seconds(10)),
            249
        );
    }

    #[test]
    fn bucket_never_goes_below_zero() {
        let mut limits = RateLimits::default();
        let now = datetime!(2025-05-01 10:00:00 UTC);
        for _ in 0..300 {
            limits.take(RequestKind::Delete, now);
        }
        assert_eq!(limits.take(RequestKind::Delete, now), 0);
    }

    #[test]
    fn try_take_rejects_empty_bucket_until_refilled() {
        let throttle = ThrottleScenario {
            reads: BucketScenario {
                bucket: 2,
                refill_per_second: 0.25,
            },
            ..ThrottleScenario::default()
        };
        let mut limits = RateLimits::from_scenario(&throttle);
        let start = datetime!(2025-05-01 10:00:00 UTC);
        assert_eq!(limits.try_take(RequestKind::Read, start), Ok(1));
        assert_eq!(limits.try_take(RequestKind::Read, start), Ok(0));
        // A quarter token per second: four seconds until the next whole token.
        assert_eq!(limits.try_take(RequestKind::Read, start), Err(4));
        assert_eq!(
            limits.try_take(RequestKind::Read, start + Duration::seconds(3)),
            Err(1)
        );
        assert_eq!(
            limits.try_take(RequestKind::Read, start + Duration::seconds(4)),
            Ok(0)
        );
        // Writes have their own bucket.
        assert_eq!(limits.try_take(RequestKind::Write, start), Ok(199));
    }

    #[test]
    fn try_take_waits_at_least_one_second() {
        let throttle = ThrottleScenario {
            deletes: BucketScenario {
                bucket: 1,
                refill_per_second: 100.0,
            },
            ..ThrottleScenario::default()
        };
        let mut limits = RateLimits::from_scenario(&throttle);
        let now = datetime!(2025-05-01 10:00:00 UTC);
        assert_eq!(limits.try_take(RequestKind::Delete, now), Ok(0));
        assert_eq!(limits.try_take(RequestKind::Delete, now), Err(1));
    }

    #[test]
    fn request_kind_by_method() {
        assert_eq!(RequestKind::of(&Method::GET), RequestKind::Read);
        assert_eq!(RequestKind::of(&Method::POST), RequestKind::Write);
        assert_eq!(RequestKind::of(&Method::PUT), RequestKind::Write);
        assert_eq!(RequestKind::of(&Method::DELETE), RequestKind::Delete);
    }
}
