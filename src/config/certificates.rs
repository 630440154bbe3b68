//! The `ca-certificates` input: an extra PEM bundle of trusted certificate authorities.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Largest bundle read. A full public CA bundle is about 220 KB (Debian 12's
/// `/etc/ssl/certs/ca-certificates.crt`), so a file of more than 16 MiB is almost surely the wrong
/// file, and reading it would only slow the run down.
const MAX_BUNDLE_BYTES: u64 = 16 * 1024 * 1024;

/// The line that starts each certificate in a PEM bundle.
const PEM_CERTIFICATE_MARKER: &[u8] = b"-----BEGIN CERTIFICATE-----";

/// Checks that `path` is a readable file of at most [`MAX_BUNDLE_BYTES`] that contains at least one
/// PEM certificate. The error text says what is wrong, without the path.
pub(super) fn check_ca_bundle(path: &Path) -> Result<(), String> {
    let metadata = std::fs::metadata(path).map_err(describe_io_error)?;
    if metadata.is_dir() {
        return Err("it is a directory, not a file".to_string());
    }
    if metadata.len() > MAX_BUNDLE_BYTES {
        return Err(format!(
            "the file has {} bytes, more than the {} MiB a CA bundle could need",
            metadata.len(),
            MAX_BUNDLE_BYTES / (1024 * 1024)
        ));
    }

    let mut content = Vec::new();
    File::open(path)
        .and_then(|file| file.take(MAX_BUNDLE_BYTES).read_to_end(&mut content))
        .map_err(describe_io_error)?;
    let has_certificate = content
        .windows(PEM_CERTIFICATE_MARKER.len())
        .any(|window| window == PEM_CERTIFICATE_MARKER);
    if !has_certificate {
        return Err(
            "the file contains no '-----BEGIN CERTIFICATE-----' line, so it is not a PEM bundle"
                .to_string(),
        );
    }
    Ok(())
}

fn describe_io_error(error: io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "the file was not found".to_string(),
        io::ErrorKind::PermissionDenied => {
            "the file cannot be read (permission denied)".to_string()
        }
        _ => format!("the file cannot be read ({error})"),
    }
}
