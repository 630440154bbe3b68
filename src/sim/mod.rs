//! A local stand-in for GitHub's OIDC token service, Entra ID and Azure Resource Manager (Recovery
//! Services backup), served over HTTPS on loopback for tests and demos.
//!
//! It is a separate implementation of the protocols and shares no request or response types with
//! the client. [`start`] binds three listeners on `127.0.0.1` (GitHub, Entra, ARM), writes the CA
//! certificate and a ready file, and returns the URLs a client needs.
//!
//! Layout:
//! - `scenario`: the JSON scenario and its defaults ([`Scenario::demo`]).
//! - `clock`: simulated time, which can run faster than real time and be moved forward.
//! - `format`: times and durations in the forms the real services write.
//! - `tls`, `server`, `http`: certificates, listeners and the request/response values.
//! - `github`, `signing_key`: the OIDC token service and its committed test key.
//! - `entra`: discovery documents and the federated client-credentials token endpoint.
//! - `arm`: Resource Manager routing, authentication, vaults, protected items, backups, recovery
//!   points, restores and jobs, and the resource groups, storage accounts, VMs, disks, tags and
//!   permissions that a restore drill reads and changes.
//! - `admin`: `/_sim/…` on the ARM listener for tests: request log, issued tokens, jobs, resources,
//!   clock, scripted faults.
//! - `faults`: the scenario's scripted faults (error statuses, lost replies, hangs, damaged bodies,
//!   expired tokens), applied by the listeners before and after a service handles a request.
//! - `state`: what changes while the simulator runs.

mod admin;
mod arm;
mod clock;
mod entra;
mod error;
mod faults;
mod format;
mod github;
mod http;
mod scenario;
mod server;
mod signing_key;
mod state;
mod tls;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use error::SimError;
pub use scenario::{
    ArmScenario, BackupInstanceScenario, BackupRuleScenario, BackupVaultScenario, EntraScenario,
    FederatedCredential, GithubClaims, GithubScenario, JobOutcome, JobScenario, OperationJobIdForm,
    OperationStatusScope, PermissionsScenario, ProtectedItemScenario, RecoveryPointScenario,
    ResourceGroupScenario, Scenario, ScenarioIds, SourceDiskScenario, StorageAccountScenario,
    VaultScenario, DEMO_DISK, ENTRA_TOKEN_EXCHANGE_AUDIENCE, GITHUB_ACTIONS_ISSUER,
};
pub use scenario::{
    BucketScenario, BusyJobScenario, BusyOperation, BusyReply, FaultAction, FaultScenario,
    FaultService, ResetPoint, ThrottleScenario,
};

use clock::SimClock;
use http::{SimRequest, SimResponse};
use signing_key::GithubSigningKey;
use state::{ServiceKind, State};

/// File name of the CA certificate (PEM) in the state directory.
pub const CA_FILE_NAME: &str = "ca.pem";

/// File name of the ready file (JSON of [`SimulatorUrls`]) in the state directory.
pub const READY_FILE_NAME: &str = "ready.json";

/// The URLs and credentials a client uses to reach the simulator, also written as JSON to the ready
/// file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatorUrls {
    /// The value for `ACTIONS_ID_TOKEN_REQUEST_URL`, with `?api-version=2.0`.
    pub id_token_request_url: String,
    /// The value for `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    pub id_token_request_token: String,
    /// Entra ID authority host, without a trailing slash.
    pub authority_host: String,
    /// ARM endpoint, without a trailing slash.
    pub resource_manager_endpoint: String,
    /// Path of the CA certificate (PEM) that signed the listeners' certificate.
    pub ca_file: String,
    /// Base URL of the test endpoints (no authentication): `GET requests`, `tokens`, `jobs`,
    /// `resources`, `clock`, `faults`, and `POST clock/advance?seconds=N`.
    pub admin_url: String,
}

/// A started simulator. Dropping it stops the listeners, and [`RunningSimulator::shutdown`] also
/// waits for them to finish.
pub struct RunningSimulator {
    pub urls: SimulatorUrls,
    stop: watch::Sender<bool>,
    listeners: Vec<JoinHandle<()>>,
}

impl RunningSimulator {
    /// Stops the three listeners and waits until they have closed their sockets.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for listener in self.listeners.drain(..) {
            let _ = listener.await;
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for listener in &self.listeners {
            listener.abort();
        }
    }
}

/// Starts the three services on `127.0.0.1` with system-chosen ports, then writes
/// `state_dir/ca.pem` and `state_dir/ready.json` (each through a temporary file and a rename, so a
/// reader never sees half a file). Must run inside a Tokio runtime.
pub async fn start(scenario: Scenario, state_dir: &Path) -> Result<RunningSimulator, SimError> {
    scenario.validate()?;
    let github_key = GithubSigningKey::load()?;
    let tls = tls::generate()?;

    let github_listener = server::bind_loopback().await?;
    let entra_listener = server::bind_loopback().await?;
    let arm_listener = server::bind_loopback().await?;
    let base_url = |listener: &tokio::net::TcpListener| -> Result<String, SimError> {
        let address = listener.local_addr().map_err(|source| SimError::Io {
            action: "read the listening address",
            path: state_dir.to_path_buf(),
            source,
        })?;
        Ok(format!("https://{address}"))
    };
    let bases = ServiceBases {
        github_base: base_url(&github_listener)?,
        entra_base: base_url(&entra_listener)?,
        arm_base: base_url(&arm_listener)?,
    };

    let ca_path = state_dir.join(CA_FILE_NAME);
    let urls = SimulatorUrls {
        id_token_request_url: format!("{}/idtoken?api-version=2.0", bases.github_base),
        id_token_request_token: scenario.github.request_token.clone(),
        authority_host: bases.entra_base.clone(),
        resource_manager_endpoint: bases.arm_base.clone(),
        ca_file: ca_path.display().to_string(),
        admin_url: format!("{}/{}", bases.arm_base, admin::PATH_PREFIX),
    };

    let simulator = std::sync::Arc::new(Simulator {
        clock: SimClock::start(scenario.clock_speed),
        scenario,
        urls: bases,
        github_key,
        state: Mutex::new(State::default()),
    });
    arm::busy::start_busy_jobs(&simulator);
    let (stop, stopped) = watch::channel(false);
    let listeners = [
        (github_listener, ServiceKind::Github),
        (entra_listener, ServiceKind::Entra),
        (arm_listener, ServiceKind::Arm),
    ]
    .into_iter()
    .map(|(listener, service)| {
        server::spawn_listener(
            listener,
            service,
            simulator.clone(),
            tls.server_config.clone(),
            stopped.clone(),
        )
    })
    .collect();
    let running = RunningSimulator {
        urls,
        stop,
        listeners,
    };

    std::fs::create_dir_all(state_dir).map_err(|source| SimError::Io {
        action: "create the state directory",
        path: state_dir.to_path_buf(),
        source,
    })?;
    write_atomically(&ca_path, tls.ca_pem.as_bytes())?;
    let ready = serde_json::to_vec_pretty(&running.urls).unwrap_or_default();
    write_atomically(&state_dir.join(READY_FILE_NAME), &ready)?;
    tracing::info!(
        github = %running.urls.id_token_request_url,
        entra = %running.urls.authority_host,
        arm = %running.urls.resource_manager_endpoint,
        "simulator started"
    );
    Ok(running)
}

/// Writes a file under a temporary name in the same directory, then renames it into place.
fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), SimError> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = std::path::PathBuf::from(temporary);
    std::fs::write(&temporary, contents).map_err(|source| SimError::Io {
        action: "write",
        path: temporary.clone(),
        source,
    })?;
    std::fs::rename(&temporary, path).map_err(|source| SimError::Io {
        action: "rename into place",
        path: path.to_path_buf(),
        source,
    })
}

/// Base URLs of the three listeners, without trailing slashes.
pub(crate) struct ServiceBases {
    pub(crate) github_base: String,
    pub(crate) entra_base: String,
    pub(crate) arm_base: String,
}

/// The context shared by every request handler: scenario, clock, URLs, signing key and state.
pub(crate) struct Simulator {
    pub(crate) scenario: Scenario,
    pub(crate) clock: SimClock,
    pub(crate) urls: ServiceBases,
    pub(crate) github_key: GithubSigningKey,
    state: Mutex<State>,
}

impl Simulator {
    /// Locks the shared state. A handler that panicked while holding the lock leaves the state
    /// usable, so a poisoned lock is taken over rather than propagated.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends a request to its service. Returns the response and whether to record it in the
    /// request log (admin requests are not recorded).
    pub(crate) fn dispatch(
        &self,
        service: ServiceKind,
        request: &SimRequest,
    ) -> (SimResponse, bool) {
        match service {
            ServiceKind::Github => (github::handle(self, request), true),
            ServiceKind::Entra => (entra::handle(self, request), true),
            ServiceKind::Arm if admin::is_admin_path(request) => {
                (admin::handle(self, request), false)
            }
            ServiceKind::Arm => (arm::handle(self, request), true),
        }
    }
}
