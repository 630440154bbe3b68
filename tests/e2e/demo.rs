//! `azure-backup-oidc demo`: the README's first command runs its three steps against the built-in
//! simulator and exits 0.

use std::time::Duration;

use assert_cmd::Command;

/// Time allowed for the whole demo; it takes about 30 s of real time.
const DEMO_TIMEOUT: Duration = Duration::from_secs(180);

#[test]
fn demo_runs_every_step() {
    let output = Command::cargo_bin("azure-backup-oidc")
        .unwrap()
        .arg("demo")
        .timeout(DEMO_TIMEOUT)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);

    // The demo keeps its folder for a look afterwards; the test removes it.
    if let Some(folder) = stdout
        .lines()
        .find_map(|line| line.strip_prefix("The steps' files and the drill report are in "))
    {
        let _ = std::fs::remove_dir_all(folder.trim());
    }
    assert!(output.status.success(), "{stdout}");
    for step in [
        "1. Backup of every VM",
        "2. Restore drill",
        "3. Backup of a managed disk in a Backup vault",
    ] {
        assert!(
            stdout.contains(&format!("=== {step}: exit code 0 ===")),
            "{step} did not pass:\n{stdout}"
        );
    }
    assert!(stdout.contains("job-status = Completed"), "{stdout}");
    assert!(stdout.contains("drill-result = passed"), "{stdout}");
}
