//! `coder-sec verify`: check every file of a snapshot against its manifest.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use coder_sec_model::SnapshotReader;

use super::LimitArgs;
use crate::cli::EXIT_FINDINGS;

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
    let (_, mismatches) = reader
        .read_entries(|_, _| Ok(()))
        .with_context(|| format!("cannot verify `{}`", path.display()))?;
    if mismatches.is_empty() {
        println!("ok: `{}`: {files} files match the manifest", path.display());
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
