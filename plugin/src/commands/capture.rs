//! `kubectl coder-sec capture`: resolve flags, capture, print the summary; Ctrl-C drops the writer so
//! nothing is left at the target.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use crate::capture::progress::Progress;
use crate::capture::{self, Outcome};
use crate::cli::{CaptureArgs, EXIT_BLIND_SPOTS, EXIT_COMPLETE, EXIT_INTERRUPTED};
use crate::env::Env;
use crate::settings::CaptureSettings;

/// Runs `capture` on a fresh runtime.
pub fn exec(args: &CaptureArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        match capture_to_file(args, &Env::from_process(), true).await? {
            Some(outcome) => Ok(ExitCode::from(exit_code(&outcome))),
            None => Ok(ExitCode::from(EXIT_INTERRUPTED)),
        }
    })
}

/// Captures as `args` say, printing progress and the summary, and the snapshot's path on stdout when
/// `print_path`; `None` when interrupted.
pub async fn capture_to_file(
    args: &CaptureArgs,
    env: &Env,
    print_path: bool,
) -> anyhow::Result<Option<Outcome>> {
    let settings = CaptureSettings::resolve(args, env).await?;
    let client = kube::Client::try_from(settings.kube.config.clone()).with_context(|| {
        format!(
            "cannot build a client for `{}`",
            settings.kube.config.cluster_url
        )
    })?;
    let progress = Progress::stderr(!settings.quiet, settings.color);
    let result = tokio::select! {
        result = capture::run(client, &settings, &progress) => Some(result),
        _ = tokio::signal::ctrl_c() => None,
    };
    progress.clear();
    let Some(result) = result else {
        // The capture future, and with it the writer and its temporary files, is dropped here.
        eprintln!(
            "interrupted: nothing was written at `{}`",
            settings.output.display()
        );
        return Ok(None);
    };
    let outcome = result.context("capture failed; nothing was written")?;
    if !settings.quiet {
        print_summary(&outcome);
    }
    if print_path {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", outcome.path.display()).context("cannot write to stdout")?;
    }
    Ok(Some(outcome))
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
