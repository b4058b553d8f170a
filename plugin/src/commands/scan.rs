//! `kubectl coder-sec scan`: capture, keep the snapshot, then analyse it.

use std::process::ExitCode;

use anyhow::Context;

use super::analyze;
use super::capture::{capture_to_file, exit_code};
use crate::cli::{EXIT_COMPLETE, EXIT_INTERRUPTED, ScanArgs};
use crate::env::Env;

/// Captures as `capture` does, then runs `analyze` on the snapshot. The exit code is the analysis'
/// when it is not 0, else the capture's (0, or 3 with blind spots).
pub fn exec(args: &ScanArgs) -> anyhow::Result<ExitCode> {
    // Refuse bad analysis flags before spending time on a capture.
    analyze::args_for(std::path::Path::new("snapshot.tar.zst"), &args.analyze).map_err(|e| {
        crate::settings::SettingsError::AnalyzeFlags {
            message: e.kind().to_string(),
        }
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(capture_to_file(&args.capture, &Env::from_process(), false))?;
    drop(runtime);
    let Some(outcome) = outcome else {
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    };
    let analyze_args = analyze::args_for(&outcome.path, &args.analyze).map_err(|e| {
        crate::settings::SettingsError::AnalyzeFlags {
            message: e.kind().to_string(),
        }
    })?;
    let code = analyze::exec(&analyze_args)?;
    if code != ExitCode::from(EXIT_COMPLETE) {
        return Ok(code);
    }
    Ok(ExitCode::from(exit_code(&outcome)))
}
