//! `kubectl coder-sec inspect SNAPSHOT`: what a snapshot holds, as `coder-sec inspect` shows it.

use std::process::ExitCode;

pub use coder_sec_analyzer::commands::inspect::Args;

/// Runs `inspect`.
pub fn exec(args: &Args) -> anyhow::Result<ExitCode> {
    // Errors are input errors, exit 2 as `coder-sec` exits (1 means findings or mismatches).
    Ok(coder_sec_analyzer::commands::inspect::run(args)
        .unwrap_or_else(|e| coder_sec_analyzer::cli::report_error(&e)))
}
