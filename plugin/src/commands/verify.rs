//! `kubectl coder-sec verify SNAPSHOT`: every file checked against the manifest's hashes, as
//! `coder-sec verify` does.

use std::process::ExitCode;

pub use coder_sec_analyzer::commands::verify::Args;

/// Runs `verify`.
pub fn exec(args: &Args) -> anyhow::Result<ExitCode> {
    // Errors are input errors, exit 2 as `coder-sec` exits (1 means findings or mismatches).
    Ok(coder_sec_analyzer::commands::verify::run(args)
        .unwrap_or_else(|e| coder_sec_analyzer::cli::report_error(&e)))
}
