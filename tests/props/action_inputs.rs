//! The input names declared in `action.yml`, so generated `INPUT_*` variables follow the action's
//! real inputs as they change.

// Each includer uses a different subset of these functions.
#![allow(dead_code)]

/// The action's metadata file, read at compile time.
const ACTION_YML: &str = include_str!("../../action.yml");

/// Inputs that make `config::from_lookup` read a file: generated inputs leave them out, so a
/// generated path can never point at a FIFO or a device and block the test.
pub const FILE_READING_INPUTS: [&str; 1] = ["ca-certificates"];

/// Returns the names under the top-level `inputs:` key of `action.yml`, in file order.
///
/// This reads only the two-space-indented keys of that block, which is the layout `action.yml`
/// uses. It is not a YAML parser.
pub fn input_names() -> Vec<&'static str> {
    let mut names = Vec::new();
    let mut in_inputs = false;
    for line in ACTION_YML.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            in_inputs = line.trim_end() == "inputs:";
            continue;
        }
        let Some(key) = line.strip_prefix("  ") else {
            continue;
        };
        if key.starts_with(' ') {
            continue;
        }
        if let Some(name) = key.trim_end().strip_suffix(':') {
            if in_inputs {
                names.push(name);
            }
        }
    }
    names
}

/// Returns the names of the inputs a test may generate: every input except
/// [`FILE_READING_INPUTS`].
pub fn generated_input_names() -> Vec<&'static str> {
    input_names()
        .into_iter()
        .filter(|name| !FILE_READING_INPUTS.contains(name))
        .collect()
}

/// Returns the variable the runner sets for input `name`: `INPUT_` and the name upper-cased, with
/// spaces turned into `_`.
pub fn input_variable(name: &str) -> String {
    format!("INPUT_{}", name.replace(' ', "_").to_ascii_uppercase())
}

/// The runner's own variables that `config::from_lookup` reads, except `SSL_CERT_FILE`, which
/// names a file to read (see [`FILE_READING_INPUTS`]).
pub const RUNNER_VARIABLES: [&str; 11] = [
    "GITHUB_ACTIONS",
    "RUNNER_DEBUG",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "GITHUB_OUTPUT",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "RUNNER_TEMP",
];
