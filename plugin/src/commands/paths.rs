//! `kubectl coder-sec paths SNAPSHOT`: the analyzer library's path query, exactly as `coder-sec
//! paths` runs it.

use std::process::ExitCode;

pub use coder_sec_analyzer::commands::paths::Args;

/// Runs the query.
pub fn exec(args: &Args) -> anyhow::Result<ExitCode> {
    coder_sec_analyzer::commands::paths::run(args)
}
