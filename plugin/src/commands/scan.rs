//! `kubectl coder-sec scan`: capture, keep the snapshot, then analyse it.

use std::process::ExitCode;

use anyhow::Context;

use super::analyze;
use super::capture::{capture_to_file, exit_code};
use crate::cli::ScanArgs;
use crate::env::Env;
use crate::exit::EXIT_COMPLETE;
use crate::signals::{self, Signals};

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
    let env = Env::from_process();
    let (outcome, signals) = runtime.block_on(async {
        let signals = Signals::listen().context("cannot install the signal handlers")?;
        let outcome = capture_to_file(&args.capture, &env, &signals, false).await?;
        anyhow::Ok((outcome, signals))
    })?;
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(interrupted) => return Ok(interrupted.exit_code()),
    };
    let analyze_args = analyze::args_for(&outcome.path, &args.analyze).map_err(|e| {
        crate::settings::SettingsError::AnalyzeFlags {
            message: e.kind().to_string(),
        }
    })?;
    // The handlers stay installed: a signal during the analysis (which writes nothing) ends the
    // process at once, with the snapshot kept.
    let watcher = runtime.spawn(async move {
        let signal = signals.wait().await;
        eprintln!(
            "interrupted ({}) during the analysis",
            signals::name(signal)
        );
        std::process::exit(i32::from(signals::exit_code(signal)));
    });
    let code = analyze::exec(&analyze_args)?;
    watcher.abort();
    drop(runtime);
    if code != ExitCode::from(EXIT_COMPLETE) {
        return Ok(code);
    }
    Ok(ExitCode::from(exit_code(&outcome)))
}
