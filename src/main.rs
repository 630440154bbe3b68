//! The `azure-backup-oidc` binary; all work happens in the library.

fn main() {
    std::process::exit(azure_backup_oidc::cli::main_entry());
}
