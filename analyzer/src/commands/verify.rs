//! `coder-sec verify`: check every file of a snapshot against its manifest.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use coder_sec_model::SnapshotReader;

use super::LimitArgs;
use crate::exit::EXIT_FINDINGS;

/// Flags of `coder-sec verify`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The snapshot to verify.
    #[arg(value_name = "SNAPSHOT")]
    pub snapshot: PathBuf,
    /// Read limits.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Runs `verify`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let path = &args.snapshot;
    let reader = SnapshotReader::open(path, args.limits.limits())
        .with_context(|| format!("cannot open snapshot `{}`", path.display()))?;
    let files = reader
        .manifest()
        .kinds
        .iter()
        .filter(|k| k.path.is_some())
        .count()
        + reader.manifest().files.len();
    let outcome = reader
        .stream(|_, _| Ok(()))
        .with_context(|| format!("cannot verify `{}`", path.display()))?;
    let mismatches = outcome.mismatches;
    if mismatches.is_empty() {
        println!(
            "ok: `{}`: {files} files match the manifest{}",
            path.display(),
            if checksummed(&outcome.manifest) {
                "; content checksum verified"
            } else {
                " (format 1.0: the manifest itself is not covered by a checksum)"
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    for m in &mismatches {
        println!("mismatch: {m}");
    }
    eprintln!(
        "error: `{}`: {} of the manifest's {files} files do not match",
        path.display(),
        mismatches.len()
    );
    Ok(ExitCode::from(EXIT_FINDINGS))
}

/// Whether the snapshot's format carries a zstd content checksum (which the reader then requires).
fn checksummed(manifest: &coder_sec_model::Manifest) -> bool {
    use coder_sec_model::format::{CHECKSUM_SINCE, version_of};
    version_of(&manifest.format_version).is_some_and(|v| v >= CHECKSUM_SINCE)
}
