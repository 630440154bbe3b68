//! action.yml: every input reaches the binary as `INPUT_<NAME>` through the step's `env:`, the
//! script never expands `${{ }}`, and running the script under bash `exec`s the binary with the
//! hyphenated variables intact.

use std::collections::BTreeSet;
use std::process::Command;

use crate::support::TempDir;

const ACTION_YML: &str = include_str!("../../action.yml");

/// Returns the input names declared under `inputs:` (two-space indented keys).
fn declared_inputs() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut in_inputs = false;
    for line in ACTION_YML.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            in_inputs = line == "inputs:";
            continue;
        }
        if in_inputs {
            if let Some(name) = line
                .strip_prefix("  ")
                .and_then(|rest| rest.strip_suffix(':'))
            {
                if !name.starts_with(' ') {
                    names.insert(name.to_string());
                }
            }
        }
    }
    names
}

/// Returns the `default:` of each input that declares one, as the runner passes it when the
/// workflow leaves the input out.
pub fn declared_defaults() -> Vec<(String, String)> {
    let mut defaults = Vec::new();
    let mut input: Option<String> = None;
    for line in ACTION_YML.lines() {
        if let Some(name) = line
            .strip_prefix("  ")
            .and_then(|rest| rest.strip_suffix(':'))
            .filter(|name| !name.starts_with(' '))
        {
            input = Some(name.to_string());
        } else if let (Some(name), Some(value)) = (&input, line.strip_prefix("    default: ")) {
            defaults.push((name.clone(), value.trim_matches('"').to_string()));
        }
    }
    defaults
}

/// Returns the `run: |` block of the composite step, without its indentation.
fn run_script() -> String {
    let mut lines = ACTION_YML
        .lines()
        .skip_while(|line| line.trim() != "run: |");
    lines.next();
    lines
        .take_while(|line| line.starts_with("        ") || line.is_empty())
        .map(|line| line.get(8..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_input_is_mapped_through_env() {
    let inputs = declared_inputs();
    assert!(inputs.len() >= 10, "parsed inputs: {inputs:?}");
    for name in &inputs {
        let mapping = format!(
            "INPUT_{}: ${{{{ inputs.{name} }}}}",
            name.to_ascii_uppercase()
        );
        assert!(
            ACTION_YML.contains(&mapping),
            "missing env mapping: {mapping}"
        );
    }
}

#[test]
fn script_expands_no_expressions() {
    let script = run_script();
    assert!(
        script.contains("exec "),
        "the binary must be exec'd: {script}"
    );
    assert!(
        !script.contains("${{"),
        "expressions in run: are script injection: {script}"
    );
    assert!(ACTION_YML.contains("shell: bash"));
}

#[test]
fn bash_script_execs_binary_with_hyphenated_inputs() {
    let dir = TempDir::new("action");
    let target = dir.path().join("dist/x86_64-unknown-linux-gnu");
    std::fs::create_dir_all(&target).unwrap();
    // A stand-in for the shipped binary that prints what it received and its process id.
    let stand_in = target.join("azure-backup-oidc");
    std::fs::write(
        &stand_in,
        "#!/usr/bin/env bash\necho \"pid=$$\"\nenv | grep '^INPUT_' | sort\n",
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&stand_in)
        .status()
        .unwrap();
    let script = dir.path().join("step.sh");
    std::fs::write(&script, format!("echo \"shell=$$\"\n{}", run_script())).unwrap();

    let output = Command::new("bash")
        .args(["--noprofile", "--norc", "-e", "-o", "pipefail"])
        .arg(&script)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("GITHUB_ACTION_PATH", dir.path())
        .env("INPUT_CLIENT-ID", "00000000-0000-0000-0000-000000000001")
        .env("INPUT_POLL-INTERVAL", "1s")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("INPUT_CLIENT-ID=00000000-0000-0000-0000-000000000001"),
        "{stdout}"
    );
    assert!(stdout.contains("INPUT_POLL-INTERVAL=1s"), "{stdout}");
    let pid = |label: &str| {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(label))
            .map(str::to_string)
    };
    assert_eq!(
        pid("shell="),
        pid("pid="),
        "exec keeps the shell's process, so signals reach the binary"
    );

    let unsupported = Command::new("bash")
        .arg(&script)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUNNER_OS", "Windows")
        .env("RUNNER_ARCH", "X64")
        .env("GITHUB_ACTION_PATH", dir.path())
        .output()
        .unwrap();
    assert!(!unsupported.status.success());
    assert!(
        String::from_utf8_lossy(&unsupported.stdout).contains("::error title=Unsupported runner::")
    );
}
