//! Errors that stop the simulator from loading a scenario or starting.

use std::fmt;
use std::path::PathBuf;

/// A failure to load a scenario or to start the simulator.
#[derive(Debug)]
pub enum SimError {
    /// The scenario JSON does not parse or contains an invalid value.
    InvalidScenario { origin: String, message: String },
    /// A file or socket operation failed.
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The TLS certificates or the server configuration could not be built.
    Tls(String),
    /// The committed GitHub signing key could not be read.
    SigningKey(String),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::InvalidScenario { origin, message } => {
                write!(f, "invalid scenario ({origin}): {message}")
            }
            SimError::Io {
                action,
                path,
                source,
            } => write!(f, "failed to {action} at '{}': {source}", path.display()),
            SimError::Tls(message) => write!(f, "failed to set up TLS: {message}"),
            SimError::SigningKey(message) => {
                write!(f, "failed to load the GitHub token signing key: {message}")
            }
        }
    }
}

impl std::error::Error for SimError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SimError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
