//! The run's single deadline (`timeout` input): every wait and retry is checked against it.

use std::time::Duration;
use tokio::time::Instant;

/// The instant by which the whole run must end.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    end: Instant,
}

/// Waiting any longer would pass the run's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineReached;

impl Deadline {
    pub fn after(timeout: Duration) -> Self {
        Self {
            end: Instant::now() + timeout,
        }
    }

    pub fn remaining(&self) -> Duration {
        self.end.saturating_duration_since(Instant::now())
    }

    pub fn is_reached(&self) -> bool {
        self.remaining().is_zero()
    }

    /// Sleeps for `wait`, or fails at once when the deadline would pass first.
    pub async fn sleep(&self, wait: Duration) -> Result<(), DeadlineReached> {
        if wait >= self.remaining() {
            return Err(DeadlineReached);
        }
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// Sleeps for `wait` but wakes at the deadline; returns whether the deadline was reached.
    pub async fn sleep_capped(&self, wait: Duration) -> bool {
        let capped = wait.min(self.remaining());
        tokio::time::sleep(capped).await;
        self.is_reached()
    }
}
