//! `kubectl coder-sec analyze SNAPSHOT`: the analyzer library's command, exactly as `coder-sec analyze`
//! runs it.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

pub use coder_sec_analyzer::commands::analyze::Args;

/// Runs the analysis.
pub fn exec(args: &Args) -> anyhow::Result<ExitCode> {
    // Errors are input errors, exit 2 as `coder-sec` exits (1 means findings or mismatches).
    Ok(coder_sec_analyzer::commands::analyze::run(args)
        .unwrap_or_else(|e| coder_sec_analyzer::cli::report_error(&e)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_exits_2_as_documented() {
        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("garbage.tar.zst");
        std::fs::write(&garbage, b"not a snapshot").unwrap();
        let args = args_for(&garbage, &[]).unwrap();
        let code = exec(&args).unwrap();
        assert_eq!(format!("{code:?}"), format!("{:?}", ExitCode::from(2)));
        let verify = super::super::verify::Args {
            snapshot: garbage,
            limits: args.limits.clone(),
        };
        let code = super::super::verify::exec(&verify).unwrap();
        assert_eq!(format!("{code:?}"), format!("{:?}", ExitCode::from(2)));
    }
}
