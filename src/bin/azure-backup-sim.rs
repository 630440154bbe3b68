//! `azure-backup-sim`: runs the local GitHub OIDC, Entra ID and ARM simulator until SIGINT,
//! SIGTERM or end of file on standard input.

use std::path::PathBuf;
use std::process::ExitCode;

use azure_backup_oidc::sim::{self, Scenario, SimulatorUrls};
use tokio::sync::oneshot;

const USAGE: &str = "\
Usage: azure-backup-sim --state-dir DIR [--scenario FILE] [--ignore-stdin]

Starts local HTTPS stand-ins for GitHub's OIDC token service, Entra ID and Azure Resource
Manager on 127.0.0.1, writes DIR/ca.pem and then DIR/ready.json (the URLs), and runs until
SIGINT, SIGTERM or end of file on standard input.

Options:
  --state-dir DIR   Directory for ca.pem and ready.json (created if missing).
  --scenario FILE   Scenario JSON; without it the built-in demo scenario is used.
  --ignore-stdin    Keep running when standard input ends (for example when started in the
                    background with stdin at /dev/null).
  -h, --help        Print this help.";

/// Command-line options.
struct Options {
    state_dir: PathBuf,
    scenario: Option<PathBuf>,
    ignore_stdin: bool,
}

fn parse_options(arguments: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut state_dir = None;
    let mut scenario = None;
    let mut ignore_stdin = false;
    let mut arguments = arguments;
    while let Some(argument) = arguments.next() {
        let mut value_of = |name: &str| {
            arguments
                .next()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match argument.as_str() {
            "-h" | "--help" => return Ok(None),
            "--state-dir" => state_dir = Some(PathBuf::from(value_of("--state-dir")?)),
            "--scenario" => scenario = Some(PathBuf::from(value_of("--scenario")?)),
            "--ignore-stdin" => ignore_stdin = true,
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    let state_dir = state_dir.ok_or("--state-dir is required")?;
    Ok(Some(Options {
        state_dir,
        scenario,
        ignore_stdin,
    }))
}

fn main() -> ExitCode {
    let options = match parse_options(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("azure-backup-sim: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("azure-backup-sim: failed to start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("azure-backup-sim: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: Options) -> Result<(), String> {
    let scenario = match &options.scenario {
        Some(path) => Scenario::from_file(path).map_err(|error| error.to_string())?,
        None => Scenario::demo(),
    };
    // Install the signal handlers before the ready file exists, so a test that signals as soon as
    // it reads the file stops the simulator cleanly instead of killing it.
    let signals = StopSignals::install()?;
    let simulator = sim::start(scenario, &options.state_dir)
        .await
        .map_err(|error| error.to_string())?;
    print_urls(&simulator.urls);

    let reason = signals.wait(options.ignore_stdin).await;
    eprintln!("azure-backup-sim: stopping ({reason})");
    simulator.shutdown().await;
    eprintln!("azure-backup-sim: stopped");
    Ok(())
}

fn print_urls(urls: &SimulatorUrls) {
    println!("azure-backup-sim is running");
    println!("ACTIONS_ID_TOKEN_REQUEST_URL={}", urls.id_token_request_url);
    println!(
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN={}",
        urls.id_token_request_token
    );
    println!("Entra authority host: {}", urls.authority_host);
    println!("ARM endpoint:         {}", urls.resource_manager_endpoint);
    println!("CA certificate:       {}", urls.ca_file);
    println!(
        "Admin endpoints:      {}/requests, /tokens, /jobs, /clock, POST /clock/advance?seconds=N",
        urls.admin_url
    );
}

/// The events that stop the simulator: SIGINT, SIGTERM and end of file on standard input.
struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    #[cfg(unix)]
    fn install() -> Result<Self, String> {
        use tokio::signal::unix::{signal, SignalKind};
        let listen = |kind: SignalKind, name: &str| {
            signal(kind).map_err(|error| format!("failed to listen for {name}: {error}"))
        };
        Ok(Self {
            interrupt: listen(SignalKind::interrupt(), "SIGINT")?,
            terminate: listen(SignalKind::terminate(), "SIGTERM")?,
        })
    }

    #[cfg(not(unix))]
    fn install() -> Result<Self, String> {
        Ok(Self {})
    }

    /// Waits for a stop event and returns its name.
    async fn wait(mut self, ignore_stdin: bool) -> &'static str {
        let stdin_closed = async {
            if ignore_stdin {
                std::future::pending::<()>().await;
            }
            // Tokio's stdin needs a feature this crate does not enable, so a plain thread reads it.
            let (sender, receiver) = oneshot::channel();
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
                let _ = sender.send(());
            });
            let _ = receiver.await;
        };

        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => "SIGINT",
                _ = self.terminate.recv() => "SIGTERM",
                _ = stdin_closed => "standard input closed",
            }
        }
        #[cfg(not(unix))]
        {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => "Ctrl+C",
                _ = stdin_closed => "standard input closed",
            }
        }
    }
}
