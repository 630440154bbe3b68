//! The simulated clock: wall-clock time at start, then advancing `clock_speed` simulated seconds
//! per real second, plus any jumps that tests request through the admin endpoint.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

/// Largest single jump of the clock, so that repeated jumps stay far inside `time`'s range
/// (year 9999).
pub(crate) const MAX_ADVANCE_SECONDS: u64 = 10 * 366 * 24 * 60 * 60;

/// A clock that starts at the real UTC time, runs `speed` times faster than real time, and can be
/// moved forward.
#[derive(Debug)]
pub(crate) struct SimClock {
    real_origin: Instant,
    simulated_origin: OffsetDateTime,
    speed: f64,
    /// Sum of all jumps, in milliseconds.
    advanced_millis: AtomicU64,
}

impl SimClock {
    /// Starts a clock at the current UTC time. `speed` must be positive and finite.
    pub(crate) fn start(speed: f64) -> Self {
        Self::with_origin(Instant::now(), OffsetDateTime::now_utc(), speed)
    }

    pub(crate) fn with_origin(
        real_origin: Instant,
        simulated_origin: OffsetDateTime,
        speed: f64,
    ) -> Self {
        Self {
            real_origin,
            simulated_origin,
            speed,
            advanced_millis: AtomicU64::new(0),
        }
    }

    /// Returns the simulated time now.
    pub(crate) fn now(&self) -> OffsetDateTime {
        self.at(Instant::now())
    }

    /// Returns the simulated time at a real instant. Instants before the origin map to the origin
    /// (plus any jumps).
    pub(crate) fn at(&self, instant: Instant) -> OffsetDateTime {
        let real_elapsed = instant.saturating_duration_since(self.real_origin);
        let simulated_elapsed = Duration::from_secs_f64(real_elapsed.as_secs_f64() * self.speed);
        let advanced = Duration::from_millis(self.advanced_millis.load(Ordering::Relaxed));
        self.simulated_origin + simulated_elapsed + advanced
    }

    /// Moves the clock forward by `seconds`, at most [`MAX_ADVANCE_SECONDS`] at a time.
    pub(crate) fn advance(&self, seconds: u64) {
        let millis = seconds.min(MAX_ADVANCE_SECONDS) * 1000;
        self.advanced_millis.fetch_add(millis, Ordering::Relaxed);
    }

    /// Returns the simulated time at which the clock started.
    pub(crate) fn origin(&self) -> OffsetDateTime {
        self.simulated_origin
    }

    pub(crate) fn speed(&self) -> f64 {
        self.speed
    }
}

/// Converts a number of seconds from the scenario into a duration, capped at 100 years. The cap
/// keeps `now + duration` below year 9999, beyond which `time` panics, and a 100-year lifetime
/// already means "never expires" for a test.
pub(crate) fn configured_seconds(seconds: u64) -> time::Duration {
    const MAX_SECONDS: u64 = 100 * 366 * 24 * 60 * 60;
    time::Duration::seconds(seconds.min(MAX_SECONDS) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn clock_at_speed_one_follows_real_time() {
        let real_origin = Instant::now();
        let clock = SimClock::with_origin(real_origin, datetime!(2025-05-01 10:00:00 UTC), 1.0);
        let later = real_origin + Duration::from_millis(1500);
        assert_eq!(clock.at(later), datetime!(2025-05-01 10:00:01.5 UTC));
    }

    #[test]
    fn clock_speed_scales_elapsed_time() {
        let real_origin = Instant::now();
        let clock = SimClock::with_origin(real_origin, datetime!(2025-05-01 10:00:00 UTC), 60.0);
        let later = real_origin + Duration::from_secs(2);
        assert_eq!(clock.at(later), datetime!(2025-05-01 10:02:00 UTC));
    }

    #[test]
    fn clock_slower_than_real_time() {
        let real_origin = Instant::now();
        let clock = SimClock::with_origin(real_origin, datetime!(2025-05-01 10:00:00 UTC), 0.5);
        let later = real_origin + Duration::from_secs(10);
        assert_eq!(clock.at(later), datetime!(2025-05-01 10:00:05 UTC));
    }

    #[test]
    fn clock_never_goes_before_origin() {
        let real_origin = Instant::now() + Duration::from_secs(5);
        let clock = SimClock::with_origin(real_origin, datetime!(2025-05-01 10:00:00 UTC), 2.0);
        assert_eq!(clock.at(Instant::now()), clock.origin());
    }

    #[test]
    fn configured_seconds_caps_huge_values() {
        assert_eq!(configured_seconds(300), time::Duration::seconds(300));
        assert!(configured_seconds(u64::MAX) >= time::Duration::days(365 * 100));
        let _ = datetime!(2025-05-01 10:00:00 UTC) + configured_seconds(u64::MAX);
    }

    #[test]
    fn clock_advance_adds_to_elapsed_time() {
        let real_origin = Instant::now();
        let clock = SimClock::with_origin(real_origin, datetime!(2025-05-01 10:00:00 UTC), 2.0);
        clock.advance(60);
        clock.advance(1);
        let later = real_origin + Duration::from_secs(1);
        assert_eq!(clock.at(later), datetime!(2025-05-01 10:01:03 UTC));
    }

    #[test]
    fn clock_now_is_monotonic() {
        let clock = SimClock::start(1000.0);
        let first = clock.now();
        let second = clock.now();
        assert!(second >= first);
    }
}
