//! azure-backup-oidc: run Azure Backup jobs from a GitHub Actions step with a federated OIDC
//! sign-in and no stored secret.
//!
//! The flow runs one way, one module a step:
//!
//! 1. [`config`] reads the `INPUT_*` variables and the runner's variables into one validated
//!    [`config::Config`], before any network call.
//! 2. [`identity`] requests a GitHub OIDC token from the runner and exchanges it with Entra ID for an
//!    Azure Resource Manager token, requesting a new one for every exchange.
//! 3. [`arm`] sends ARM requests with that token, follows long-running operations and parses ARM's
//!    error envelope.
//! 4. [`backup`] finds the protected items, triggers the backups and waits for their jobs; it
//!    returns result values and writes nothing to the runner.
//! 5. [`report`] turns the results into step outputs, the job summary and annotations.
//!
//! [`github`] holds the runner's wire formats (workflow commands, output and summary files) used by
//! the steps above, and `sim` (feature `simulator`) is a local stand-in for GitHub, Entra and ARM.

pub mod app;
pub mod arm;
pub mod backup;
pub mod cli;
pub mod config;
pub mod deadline;
#[cfg(feature = "simulator")]
pub mod demo;
pub mod drill;
pub mod github;
pub mod http;
pub mod identity;
pub mod report;
pub mod secret;
pub mod signals;
#[cfg(feature = "simulator")]
pub mod sim;
pub mod tls;
