//! `kubectl coder-sec`: captures a Kubernetes cluster running Coder into one redacted snapshot
//! (`.tar.zst`), and analyses snapshots through the analyzer library.
//!
//! The data's path:
//!
//! ```text
//! cli (clap) ─▶ settings (kubeconfig, context, namespaces resolved once) ─▶ commands/
//! capture: discovery ─▶ lister (pages, retries, 410 restarts, forbidden recorded) ─┐
//!          every object ─▶ coder_sec_model::prepare_object (trim + redact) ─▶ spool ─┴▶ SnapshotWriter
//!          coder::detect observes redacted objects ─▶ coder/*.json; coder::api ─▶ coder/api/*.json
//! ```

pub mod capture;
pub mod cli;
pub mod coder;
pub mod commands;
pub mod env;
pub mod exit;
pub mod settings;
pub mod signals;

use std::io::Write;
use std::process::ExitCode;

/// Parses the process arguments and runs the chosen subcommand.
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = match cli::parse(std::env::args_os()) {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                exit::EXIT_USAGE
            } else {
                exit::EXIT_COMPLETE
            };
            let _ = error.print();
            return Ok(ExitCode::from(code));
        }
    };
    commands::dispatch(cli)
}

/// Prints an error with its cause chain and returns the matching exit code: 2 for usage errors,
/// 1 for everything else. A broken pipe exits quietly.
pub fn report_error(error: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(error) {
        return ExitCode::from(exit::EXIT_COMPLETE);
    }
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "error: {error:#}");
    let hint = error.chain().find_map(|e| {
        e.downcast_ref::<settings::SettingsError>()
            .and_then(settings::SettingsError::hint)
            .or_else(|| {
                e.downcast_ref::<capture::CaptureError>()
                    .and_then(capture::CaptureError::hint)
            })
    });
    if let Some(hint) = hint {
        let _ = writeln!(stderr, "hint: {hint}");
    }
    if error
        .chain()
        .any(|e| e.downcast_ref::<settings::SettingsError>().is_some())
    {
        ExitCode::from(exit::EXIT_USAGE)
    } else {
        ExitCode::from(exit::EXIT_FAILED)
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
