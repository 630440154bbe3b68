//! The runner's cancellation: SIGINT first, SIGTERM 7.5 s later, then SIGKILL 2.5 s after that.
//! The run stops at the first of the two signals, so it can report before the kill.

/// Resolves at the first SIGINT or SIGTERM; never resolves when the handlers cannot be set up.
pub async fn cancellation() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        tracing::warn!(
            "Cannot listen for cancellation signals; the runner's kill will end the run"
        );
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => "SIGINT",
        _ = terminate.recv() => "SIGTERM",
    }
}
