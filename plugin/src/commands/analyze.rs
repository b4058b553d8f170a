//! `kubectl coder-sec analyze SNAPSHOT`: the analyzer library's command, exactly as `coder-sec analyze`
//! runs it.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

pub use coder_sec_analyzer::commands::analyze::Args;

/// Runs the analysis.
pub fn exec(args: &Args) -> anyhow::Result<ExitCode> {
    coder_sec_analyzer::commands::analyze::run(args)
}

#[derive(Parser)]
#[command(name = "analyze")]
struct Wrapped {
    #[command(flatten)]
    args: Args,
}

/// Builds the analysis arguments for `snapshot` plus extra flags (after `--` on `scan`).
pub fn args_for(snapshot: &Path, extra: &[OsString]) -> Result<Args, clap::Error> {
    let mut argv: Vec<OsString> = vec!["kubectl coder-sec scan --".into(), snapshot.into()];
    argv.extend(extra.iter().cloned());
    Wrapped::try_parse_from(argv).map(|w| w.args)
}
