//! Test support: starts the simulator binary, runs `azure-backup-oidc` as a workflow step would
//! (inputs in `INPUT_*`, fresh output and summary files), and reads back what it wrote.
//!
//! Every run clears the environment, points every endpoint at the simulator on loopback, and
//! routes anything else through a guard proxy on loopback that records connections: a test that
//! would reach a real Azure or GitHub host fails instead.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Time the simulator gets to write its ready file. It starts in well under a second, but a
/// loaded CI machine may be slow to schedule it.
const SIMULATOR_START_TIMEOUT: Duration = Duration::from_secs(30);

pub const CLIENT_ID: &str = "00000000-0000-0000-0000-000000000001";
pub const TENANT_ID: &str = "00000000-0000-0000-0000-000000000002";
pub const SUBSCRIPTION_ID: &str = "00000000-0000-0000-0000-000000000003";
pub const RESOURCE_GROUP: &str = "rg-backup";
pub const VAULT: &str = "rsv-contoso";

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> Self {
        let path = std::env::temp_dir().join(format!("abo-{label}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running simulator process; stopped on drop.
pub struct Simulator {
    child: Child,
    pub urls: Value,
    _dir: TempDir,
}

impl Simulator {
    /// Starts the simulator with `scenario` (JSON; missing fields take the simulator's defaults).
    pub fn start(scenario: Value) -> Self {
        let dir = TempDir::new("sim");
        let scenario_file = dir.path().join("scenario.json");
        std::fs::write(&scenario_file, scenario.to_string()).unwrap();
        let state_dir = dir.path().join("state");
        std::fs::create_dir_all(&state_dir).unwrap();

        let mut child = Command::new(assert_cmd::cargo::cargo_bin("azure-backup-sim"))
            .arg("--scenario")
            .arg(&scenario_file)
            .arg("--state-dir")
            .arg(&state_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start azure-backup-sim");

        let ready = state_dir.join("ready.json");
        let started = Instant::now();
        let urls = loop {
            if let Ok(text) = std::fs::read_to_string(&ready) {
                if let Ok(value) = serde_json::from_str::<Value>(&text) {
                    break value;
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("azure-backup-sim exited early: {status}");
            }
            assert!(
                started.elapsed() < SIMULATOR_START_TIMEOUT,
                "azure-backup-sim wrote no ready file within {SIMULATOR_START_TIMEOUT:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Self {
            child,
            urls,
            _dir: dir,
        }
    }

    pub fn url(&self, key: &str) -> String {
        self.urls[key]
            .as_str()
            .unwrap_or_else(|| panic!("ready file has no {key}"))
            .to_string()
    }

    fn admin(&self, what: &str) -> Value {
        let url = format!("{}/{what}", self.url("admin_url"));
        let ca = std::fs::read(self.url("ca_file")).unwrap();
        runtime().block_on(async move {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let client = reqwest::Client::builder()
                .no_proxy()
                .tls_certs_only(reqwest::Certificate::from_pem_bundle(&ca).unwrap())
                .build()
                .unwrap();
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        })
    }

    /// Returns every request the three services received.
    pub fn requests(&self) -> Vec<Value> {
        match self.admin("requests") {
            Value::Array(list) => list,
            other => other["requests"].as_array().cloned().unwrap_or_default(),
        }
    }

    /// Requests to `service` (`github`, `entra` or `arm`).
    pub fn requests_to(&self, service: &str) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|request| request["service"] == service)
            .collect()
    }

    /// Counts the POSTs to ARM whose path ends with `suffix`.
    pub fn arm_posts_ending(&self, suffix: &str) -> usize {
        self.requests_to("arm")
            .iter()
            .filter(|request| {
                request["method"] == "POST"
                    && request["path"]
                        .as_str()
                        .is_some_and(|path| path.ends_with(suffix))
            })
            .count()
    }

    /// Backup POSTs received.
    pub fn backup_posts(&self) -> usize {
        self.requests_to("arm")
            .iter()
            .filter(|request| {
                request["method"] == "POST"
                    && request["path"]
                        .as_str()
                        .is_some_and(|path| path.to_ascii_lowercase().ends_with("/backup"))
            })
            .count()
    }

    /// Returns every simulated ARM resource (such as restored disks) that exists now.
    pub fn resources(&self) -> Vec<Value> {
        match self.admin("resources") {
            Value::Array(list) => list,
            other => other["resources"].as_array().cloned().unwrap_or_default(),
        }
    }

    /// Returns every job in the simulator, backups and restores.
    pub fn jobs(&self) -> Vec<Value> {
        match self.admin("jobs") {
            Value::Array(list) => list,
            other => other["jobs"].as_array().cloned().unwrap_or_default(),
        }
    }

    /// Returns every GitHub token and ARM access token the simulator issued (the `token` fields of the
    /// admin listing).
    pub fn issued_tokens(&self) -> Vec<String> {
        let tokens = self.admin("tokens");
        let mut found = Vec::new();
        collect_strings(&tokens, &mut found);
        found
    }
}

fn collect_strings(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Array(list) => list.iter().for_each(|item| collect_strings(item, found)),
        Value::Object(map) => {
            for (key, item) in map {
                match item {
                    Value::String(token) if key == "token" => found.push(token.clone()),
                    _ => collect_strings(item, found),
                }
            }
        }
        _ => {}
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// An HTTP CONNECT proxy on loopback that tunnels to loopback ports only and records each
/// CONNECT target, for testing that the binary honours `HTTPS_PROXY`.
pub struct ConnectProxy {
    pub address: String,
    pub targets: Arc<std::sync::Mutex<Vec<String>>>,
}

impl ConnectProxy {
    pub fn start() -> Self {
        use std::io::{BufRead, BufReader, Write};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let targets = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = targets.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(client.try_clone().unwrap());
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).is_err() {
                        return;
                    }
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                            break;
                        }
                    }
                    let target = request_line
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or_default()
                        .to_string();
                    seen.lock().unwrap().push(target.clone());
                    let mut client = client;
                    // Tunnels only to loopback: this proxy must never reach another host.
                    let allowed =
                        target.starts_with("127.0.0.1:") || target.starts_with("localhost:");
                    let Ok(upstream) =
                        std::net::TcpStream::connect(target.replace("localhost", "127.0.0.1"))
                            .map_err(|_| ())
                            .and_then(|stream| if allowed { Ok(stream) } else { Err(()) })
                    else {
                        let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n");
                        return;
                    };
                    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                    let (mut client_read, mut upstream_write) =
                        (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                    let forward = std::thread::spawn(move || {
                        let _ = std::io::copy(&mut client_read, &mut upstream_write);
                        let _ = upstream_write.shutdown(std::net::Shutdown::Write);
                    });
                    let (mut upstream_read, mut client_write) = (upstream, client);
                    let _ = std::io::copy(&mut upstream_read, &mut client_write);
                    let _ = client_write.shutdown(std::net::Shutdown::Write);
                    let _ = forward.join();
                });
            }
        });
        Self { address, targets }
    }
}

/// A loopback listener standing in as `HTTPS_PROXY`: any connection to it is a request that
/// tried to leave loopback.
struct GuardProxy {
    address: String,
    connections: Arc<AtomicUsize>,
}

fn guard_proxy() -> &'static GuardProxy {
    static GUARD: OnceLock<GuardProxy> = OnceLock::new();
    GUARD.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        GuardProxy {
            address,
            connections,
        }
    })
}

/// What one run of the action left behind.
#[derive(Debug)]
pub struct StepResult {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// The raw `GITHUB_OUTPUT` file.
    pub output_file: String,
    /// Outputs parsed as the runner parses the file.
    pub outputs: BTreeMap<String, String>,
    pub summary: String,
}

impl StepResult {
    /// Returns every byte the binary wrote, for leak searches.
    pub fn all_text(&self) -> String {
        format!(
            "{}\n{}\n{}\n{}",
            self.stdout, self.stderr, self.output_file, self.summary
        )
    }

    /// Returns the `::error` annotation lines.
    pub fn error_lines(&self) -> Vec<&str> {
        self.annotation_lines("::error")
    }

    /// Returns the `::warning` annotation lines.
    pub fn warning_lines(&self) -> Vec<&str> {
        self.annotation_lines("::warning")
    }

    fn annotation_lines(&self, command: &str) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|line| line.starts_with(command))
            .collect()
    }
}

/// A step to run: the standard inputs pointed at `sim`, plus changes.
pub struct Step<'a> {
    sim: &'a Simulator,
    env: BTreeMap<String, Option<String>>,
}

impl<'a> Step<'a> {
    pub fn new(sim: &'a Simulator) -> Self {
        let mut step = Self {
            sim,
            env: BTreeMap::new(),
        };
        for (name, value) in [
            ("client-id", CLIENT_ID),
            ("tenant-id", TENANT_ID),
            ("subscription-id", SUBSCRIPTION_ID),
            ("resource-group", RESOURCE_GROUP),
            ("vault", VAULT),
            ("items", "vm-app01"),
            ("poll-interval", "1s"),
            ("timeout", "2m"),
        ] {
            step = step.input(name, value);
        }
        step = step
            .input("authority-host", &sim.url("authority_host"))
            .input(
                "resource-manager-endpoint",
                &sim.url("resource_manager_endpoint"),
            )
            .input("ca-certificates", &sim.url("ca_file"))
            .var("GITHUB_ACTIONS", "true")
            .var(
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                &sim.url("id_token_request_url"),
            )
            .var(
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                &sim.url("id_token_request_token"),
            )
            .var("GITHUB_REPOSITORY", "contoso/backup-drills")
            .var("GITHUB_RUN_ID", "42")
            .var("GITHUB_SERVER_URL", "https://github.com");
        step
    }

    /// Sets input `name` (as `INPUT_<NAME>`, upper-cased, hyphens kept).
    pub fn input(self, name: &str, value: &str) -> Self {
        self.var(&format!("INPUT_{}", name.to_ascii_uppercase()), value)
    }

    pub fn var(mut self, name: &str, value: &str) -> Self {
        self.env.insert(name.to_string(), Some(value.to_string()));
        self
    }

    /// Removes a variable or input that [`Step::new`] set.
    pub fn unset(mut self, name: &str) -> Self {
        self.env.insert(name.to_string(), None);
        self
    }

    pub fn run(self) -> StepResult {
        self.run_with(|_| {})
    }

    /// Runs the step, sends `signal` (such as `INT`) after `delay`, and returns the result and
    /// how long the binary took to exit after the signal.
    pub fn run_with_signal(self, delay: Duration, signal: &str) -> (StepResult, Duration) {
        let mut exit_delay = Duration::ZERO;
        let result = self.run_with(|pid| {
            std::thread::sleep(delay);
            let sent = Instant::now();
            let status = Command::new("kill")
                .args(["-s", signal, &pid.to_string()])
                .status()
                .expect("run kill");
            assert!(status.success(), "kill -s {signal} {pid} failed");
            exit_delay = sent.elapsed();
        });
        (result, exit_delay)
    }

    /// Runs the step; `during` gets the child's process ID while it runs.
    fn run_with(self, during: impl FnOnce(u32)) -> StepResult {
        // The borrow keeps the simulator alive for the step. Nothing else reads it.
        let _ = self.sim;
        let dir = TempDir::new("step");
        let output_path = dir.path().join("set_output");
        let summary_path = dir.path().join("step_summary");
        std::fs::write(&output_path, "").unwrap();
        std::fs::write(&summary_path, "").unwrap();

        let guard = guard_proxy();
        let before = guard.connections.load(Ordering::SeqCst);

        let mut command = Command::new(assert_cmd::cargo::cargo_bin("azure-backup-oidc"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HTTPS_PROXY", &guard.address)
            .env("HTTP_PROXY", &guard.address)
            .env("NO_PROXY", "127.0.0.1,localhost,::1")
            .env("GITHUB_OUTPUT", &output_path)
            .env("GITHUB_STEP_SUMMARY", &summary_path)
            .env("RUNNER_TEMP", dir.path());
        for (name, value) in &self.env {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start azure-backup-oidc");
        let read_all = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = pipe.read_to_string(&mut text);
                text
            })
        };
        let stdout_reader = read_all(Box::new(child.stdout.take().unwrap()));
        let stderr_reader = read_all(Box::new(child.stderr.take().unwrap()));
        during(child.id());
        let status = child.wait().unwrap();
        let stdout = stdout_reader.join().unwrap();
        let stderr = stderr_reader.join().unwrap();

        assert_eq!(
            guard.connections.load(Ordering::SeqCst),
            before,
            "the binary tried to reach a host outside loopback\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );

        let output_file = std::fs::read_to_string(&output_path).unwrap();
        let mut outputs = parse_output_file(&output_file);
        // The step's folder is removed below, so a drill report is copied out first.
        if let Some(report) = outputs.get_mut("report") {
            let kept =
                std::env::temp_dir().join(format!("abo-report-{}.json", uuid::Uuid::new_v4()));
            if std::fs::copy(&*report, &kept).is_ok() {
                *report = kept.display().to_string();
            }
        }
        StepResult {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr,
            outputs,
            output_file,
            summary: std::fs::read_to_string(&summary_path).unwrap(),
        }
    }
}

/// Parses a `GITHUB_OUTPUT` file the way the runner does (Linux rules), panicking where the
/// runner would fail the step.
pub fn parse_output_file(text: &str) -> BTreeMap<String, String> {
    let mut outputs = BTreeMap::new();
    let lines: Vec<&str> = text.split('\n').collect();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        index += 1;
        if line.is_empty() {
            continue;
        }
        let equals = line.find('=');
        let heredoc = line.find("<<");
        match (equals, heredoc) {
            (Some(e), h) if h.is_none_or(|h| e < h) => {
                outputs.insert(line[..e].to_string(), line[e + 1..].to_string());
            }
            (_, Some(h)) => {
                let name = &line[..h];
                let delimiter = &line[h + 2..];
                assert!(
                    !name.is_empty() && !delimiter.is_empty(),
                    "invalid line {line:?}"
                );
                let mut value = Vec::new();
                loop {
                    assert!(index < lines.len(), "delimiter {delimiter:?} not found");
                    let next = lines[index];
                    index += 1;
                    if next == delimiter {
                        break;
                    }
                    value.push(next);
                }
                outputs.insert(name.to_string(), value.join("\n"));
            }
            _ => panic!("invalid output line {line:?}"),
        }
    }
    outputs
}

/// Asserts that no issued token appears in anything the step wrote, except on `::add-mask::`
/// lines.
pub fn assert_no_token_leak(sim: &Simulator, result: &StepResult) {
    let tokens = sim.issued_tokens();
    let request_token = sim.url("id_token_request_token");
    let mut text = result.all_text();
    // A drill or clean-up also writes a report file, named by the `report` output.
    if let Some(report) = result
        .outputs
        .get("report")
        .and_then(|path| std::fs::read_to_string(path).ok())
    {
        text.push('\n');
        text.push_str(&report);
    }
    let scanned: String = text
        .lines()
        .filter(|line| !line.starts_with("::add-mask::"))
        .collect::<Vec<_>>()
        .join("\n");
    for token in tokens.iter().chain(std::iter::once(&request_token)) {
        assert!(
            !scanned.contains(token.as_str()),
            "a token leaked outside ::add-mask:: lines: {}…",
            &token[..12.min(token.len())]
        );
    }
}
