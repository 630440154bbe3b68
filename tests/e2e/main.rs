//! End-to-end tests: the built binaries, run as separate processes, against the simulator over
//! HTTPS on loopback. One test binary, so the dependencies are linked once.

mod support;

mod action_yml;
mod adversarial;
mod backup;
mod backup_vault;
mod demo;
mod drill;
mod faults;
mod properties;
mod security;
mod signin;
mod sim_conformance;
