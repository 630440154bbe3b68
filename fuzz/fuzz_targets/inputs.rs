//! Fuzzes `config::from_lookup` with `INPUT_*` and runner variables built from the bytes.
//!
//! The bytes are entries separated by NUL, each `NAME=VALUE`. `NAME` is an input name as
//! `action.yml` spells it (such as `client-id`), which becomes `INPUT_CLIENT-ID`, or a runner
//! variable (such as `GITHUB_ACTIONS`). Other names are dropped, because `from_lookup` only looks up
//! known names. `ca-certificates` and `SSL_CERT_FILE` are dropped too, so no run reads a file.

#![no_main]

use std::collections::HashMap;

use azure_backup_oidc::config;
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/props/action_inputs.rs"]
mod action_inputs;
#[path = "../../tests/props/invariants.rs"]
mod invariants;

/// Separator between entries. Values may contain line breaks, as multi-line inputs do, but an
/// environment variable can never contain NUL.
const ENTRY_SEPARATOR: u8 = 0;

fuzz_target!(|data: &[u8]| {
    let variables = variables_from(data);
    let lookup = |name: &str| variables.get(name).cloned();
    match config::from_lookup(&lookup) {
        Ok(config) => invariants::check_config(&config),
        Err(error) => invariants::check_input_error(&error),
    }
});

/// Builds the variables from the `NAME=VALUE` entries in `data`. A later entry replaces an
/// earlier one with the same name.
fn variables_from(data: &[u8]) -> HashMap<String, String> {
    let inputs = action_inputs::generated_input_names();
    let mut variables = HashMap::new();
    for entry in data.split(|byte| *byte == ENTRY_SEPARATOR) {
        let entry = String::from_utf8_lossy(entry);
        let Some((name, value)) = entry.split_once('=') else {
            continue;
        };
        let variable = if inputs.contains(&name) {
            action_inputs::input_variable(name)
        } else if action_inputs::RUNNER_VARIABLES.contains(&name) {
            name.to_string()
        } else {
            continue;
        };
        variables.insert(variable, value.to_string());
    }
    variables
}
