//! `kubectl coder-sec inspect SNAPSHOT`: what a snapshot holds, as `coder-sec inspect` shows it.

use std::process::ExitCode;

pub use coder_sec_analyzer::commands::inspect::Args;

/// Runs `inspect`.
pub fn exec(args: &Args) -> anyhow::Result<ExitCode> {
    coder_sec_analyzer::commands::inspect::run(args)
}
