//! `kubectl coder-sec verify SNAPSHOT`: every file checked against the manifest's hashes, as
//! `coder-sec verify` does.

use std::process::ExitCode;

pub use coder_sec_analyzer::commands::verify::Args;

/// Runs `verify`.
pub fn exec(args: &Args) -> anyhow::Result<ExitCode> {
    coder_sec_analyzer::commands::verify::run(args)
}
