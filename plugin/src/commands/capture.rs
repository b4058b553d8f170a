//! `kubectl coder-sec capture`: resolve flags, capture, print the summary. SIGINT, SIGTERM and
//! SIGHUP at any phase drop the capture (and with it every temporary file): nothing is left at the
//! target, and the exit code is 128 + the signal.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use crate::capture::progress::Progress;
use crate::capture::{self, Outcome};
use crate::cli::CaptureArgs;
use crate::env::Env;
use crate::exit::{EXIT_BLIND_SPOTS, EXIT_COMPLETE};
use crate::settings::{CaptureSettings, SettingsError};
use crate::signals::{self, Signals};

/// A capture stopped by a signal: nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted {
    /// The signal's number.
    pub signal: i32,
}

impl Interrupted {
    /// 128 + the signal (130 for Ctrl-C).
    pub fn exit_code(self) -> ExitCode {
        ExitCode::from(signals::exit_code(self.signal))
    }
}

/// Runs `capture` on a fresh runtime.
pub fn exec(args: &CaptureArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let env = Env::from_process();
    runtime.block_on(async {
        let signals = Signals::listen().context("cannot install the signal handlers")?;
        match capture_to_file(args, &env, &signals, true).await? {
            Ok(outcome) => Ok(ExitCode::from(exit_code(&outcome))),
            Err(interrupted) => Ok(interrupted.exit_code()),
        }
    })
}

/// Captures as `args` say, printing progress and the summary, and the snapshot's path on stdout when
/// `print_path`. The archive is written beside the target under a temporary name and renamed into
/// place only when no signal came (an existing file is replaced only with `--force`).
pub async fn capture_to_file(
    args: &CaptureArgs,
    env: &Env,
    signals: &Signals,
    print_path: bool,
) -> anyhow::Result<Result<Outcome, Interrupted>> {
    let settings = tokio::select! {
        settings = CaptureSettings::resolve(args, env) => settings?,
        signal = signals.wait() => {
            eprintln!("interrupted ({}): nothing was written", signals::name(signal));
            return Ok(Err(Interrupted { signal }));
        }
    };
    let client = kube::Client::try_from(settings.kube.config.clone()).with_context(|| {
        format!(
            "cannot build a client for `{}`",
            settings.kube.config.cluster_url
        )
    })?;
    let staging = staging_path(&settings)?;
    let progress = Progress::stderr(!settings.quiet, settings.color, settings.progress_interval);
    let result = tokio::select! {
        result = capture::run(client, &settings, &progress, &staging) => Some(result),
        _ = signals.wait() => None,
    };
    progress.clear();
    // A signal that came while the capture was busy (writing the archive, say) counts as well.
    if let Some(signal) = signals.received() {
        // The capture future, its writer and its temporary files are dropped here.
        drop(result);
        drop(staging);
        eprintln!(
            "interrupted ({}): nothing was written at `{}`",
            signals::name(signal),
            settings.output.display()
        );
        return Ok(Err(Interrupted { signal }));
    }
    let Some(result) = result else {
        unreachable!("the capture stops only for a signal, and none was received");
    };
    let mut outcome = result.context("capture failed; nothing was written")?;
    let persisted = if settings.force {
        staging.persist(&settings.output)
    } else {
        staging.persist_noclobber(&settings.output)
    };
    persisted.map_err(|e| -> anyhow::Error {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            SettingsError::OutputExists {
                path: settings.output.clone(),
            }
            .into()
        } else {
            anyhow::Error::new(e.error)
                .context(format!("cannot write `{}`", settings.output.display()))
        }
    })?;
    outcome.path = settings.output.clone();
    if !settings.quiet {
        print_summary(&outcome);
    }
    if print_path {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", outcome.path.display()).context("cannot write to stdout")?;
    }
    Ok(Ok(outcome))
}

/// A temporary name beside the target (same folder, so the final rename stays on one file system);
/// the file is removed when the path is dropped unless it was renamed into place.
fn staging_path(settings: &CaptureSettings) -> anyhow::Result<tempfile::TempPath> {
    let dir = match settings.output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let file = tempfile::Builder::new()
        .prefix(".coder-sec-capture-")
        .suffix(".tar.zst")
        .tempfile_in(&dir)
        .map_err(|source| capture::CaptureError::Create {
            path: settings.output.clone(),
            source: coder_sec_model::archive::ArchiveError::Io {
                path: dir.clone(),
                source,
            },
        })?;
    Ok(file.into_temp_path())
}

/// 0 when complete, 3 when the snapshot has blind spots.
pub fn exit_code(outcome: &Outcome) -> u8 {
    if outcome.manifest.blind_spots.is_empty() {
        EXIT_COMPLETE
    } else {
        EXIT_BLIND_SPOTS
    }
}

fn print_summary(outcome: &Outcome) {
    let m = &outcome.manifest;
    let complete = m
        .kinds
        .iter()
        .filter(|k| k.status == coder_sec_model::KindStatus::Complete)
        .count();
    let unread: Vec<String> = outcome
        .unread()
        .map(|k| format!("{} ({})", k.label(), k.status))
        .collect();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "captured {complete} kinds, {} objects{}; {} redactions",
        m.object_count(),
        match &m.identity {
            Some(id) => format!(" as `{}`", id.username),
            None => String::new(),
        },
        m.redaction.total()
    );
    if !unread.is_empty() {
        let _ = writeln!(err, "not readable: {}", unread.join(", "));
    }
    for spot in &m.blind_spots {
        let _ = writeln!(
            err,
            "blind spot: {} ({}): hides {}",
            spot.subject, spot.reason, spot.hides
        );
    }
    if outcome.retries > 0 {
        let _ = writeln!(err, "{} requests retried", outcome.retries);
    }
    let _ = writeln!(
        err,
        "wrote `{}` ({})",
        outcome.path.display(),
        human_size(outcome.size)
    );
}

/// `1.2 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
