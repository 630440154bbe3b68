//! ARM's per-subscription request budget, as token buckets on the simulated clock, for the
//! `x-ms-ratelimit-remaining-subscription-*` response headers.
//!
//! Sizes and refill rates are ARM's documented subscription limits since 2024: reads 250 with 25
//! per second, writes and deletes 200 with 10 per second.

use hyper::header::HeaderName;
use hyper::Method;
use time::OffsetDateTime;

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

    /// Takes one token at `now` and returns the whole tokens left.
    fn take(&mut self, now: OffsetDateTime) -> u64 {
        if let Some(updated_at) = self.updated_at {
            let elapsed = (now - updated_at).as_seconds_f64().max(0.0);
            self.available = (self.available + elapsed * self.refill_per_second).min(self.capacity);
        }
        self.updated_at = Some(now);
        self.available = (self.available - 1.0).max(0.0);
        self.available.floor() as u64
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
    /// Counts one request and returns the remaining budget for the header.
    // TODO: return 429 with Retry-After when a bucket is empty. Until then the count stops at 0.
    pub(crate) fn take(&mut self, kind: RequestKind, now: OffsetDateTime) -> u64 {
        match kind {
            RequestKind::Read => self.reads.take(now),
            RequestKind::Write => self.writes.take(now),
            RequestKind::Delete => self.deletes.take(now),
        }
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
    fn request_kind_by_method() {
        assert_eq!(RequestKind::of(&Method::GET), RequestKind::Read);
        assert_eq!(RequestKind::of(&Method::POST), RequestKind::Write);
        assert_eq!(RequestKind::of(&Method::PUT), RequestKind::Write);
        assert_eq!(RequestKind::of(&Method::DELETE), RequestKind::Delete);
    }
}
