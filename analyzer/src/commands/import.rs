//! `coder-sec import`: build a snapshot from manifest files.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use anyhow::Context as _;
use coder_sec_model::import::{ImportError, ImportOptions, import_paths};

use crate::output::human_bytes;

/// Flags of `coder-sec import`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = IMPORT_AFTER_HELP)]
pub struct Args {
    /// Files or folders to read (`.yaml`, `.yml`, `.json`, `.golden`; folders recursively). A file
    /// given by name is read whatever its ending (`<(kubectl get ...)` too).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Where to write the snapshot. An existing file is refused unless `--force`; an input never.
    #[arg(short, long, value_name = "OUT.tar.zst")]
    pub output: PathBuf,
    /// Replace the file at `--output` if there is one (never one of the inputs).
    #[arg(long)]
    pub force: bool,
    /// Refuse documents that are not Kubernetes objects (a Helm `Chart.yaml` or `values.yaml`),
    /// and folder entries that cannot be read, instead of skipping them with a warning.
    #[arg(long)]
    pub strict: bool,
    /// Namespace for namespaced objects that name none.
    #[arg(short, long, default_value = "default", value_name = "NS")]
    pub namespace: String,
    /// Record this RFC 3339 time as `captured-at` instead of now (reproducible snapshots).
    #[arg(long, value_name = "TIME", hide = true)]
    pub captured_at: Option<String>,
}

const IMPORT_AFTER_HELP: &str = "\
Examples:
  coder-sec import cluster-dump.yaml manifests/ -o cluster.tar.zst
  coder-sec import <(kubectl get all,roles,rolebindings -A -o json) -o cluster.tar.zst --force
  coder-sec import rendered/ --strict -o cluster.tar.zst

Documents without a `kind` (Helm's Chart.yaml, values.yaml) are skipped with a warning and listed
as blind spots; `--strict` refuses them. Importing no object at all is an error. Kinds absent from
the files are listed in the snapshot, so the report names what their absence hides. Ctrl-C, SIGTERM
and SIGHUP stop the import with nothing written and no temporary file left (exit 130, 143, 129).";

/// Runs `import`.
pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let stop = Arc::new(AtomicUsize::new(0));
    stop_on_signals(&stop).context("cannot install the signal handlers")?;
    let options = ImportOptions {
        namespace: args.namespace.clone(),
        captured_at: args.captured_at.clone(),
        strict: args.strict,
        overwrite: args.force,
        stop: Some(stop),
        ..ImportOptions::default()
    };
    let summary = match import_paths(&args.paths, &args.output, &options) {
        Ok(summary) => summary,
        Err(ImportError::Stopped { code }) => {
            eprintln!(
                "interrupted: nothing was written at `{}`",
                args.output.display()
            );
            return Ok(ExitCode::from(128u8.saturating_add(code as u8)));
        }
        Err(e @ ImportError::Exists { .. }) => {
            eprintln!("error: cannot import into `{}`: {e}", args.output.display());
            eprintln!("hint: pass `--force` to replace it");
            return Ok(ExitCode::from(crate::exit::EXIT_ERROR));
        }
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot import into `{}`", args.output.display()));
        }
    };
    for skipped in &summary.skipped {
        eprintln!("warning: skipped {skipped}");
    }
    let m = &summary.manifest;
    let read = m
        .kinds
        .iter()
        .filter(|k| k.status == coder_sec_model::KindStatus::Complete)
        .count();
    eprintln!(
        "wrote `{}`: {} objects of {} kinds from {} files, {} values redacted, {}",
        args.output.display(),
        m.object_count(),
        read,
        summary.files,
        m.redaction.total(),
        human_bytes(summary.archive_bytes)
    );
    if !m.unknown_kinds.is_empty() {
        let n: u64 = m.unknown_kinds.values().sum();
        eprintln!(
            "note: {n} objects of {} kinds this format does not know were counted, not stored (see `coder-sec inspect`)",
            m.unknown_kinds.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Stores the number of the first SIGINT, SIGTERM or SIGHUP in `stop`; the import checks it between
/// objects and before the rename, and cleans up.
#[cfg(unix)]
fn stop_on_signals(stop: &Arc<AtomicUsize>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    for signal in [SIGINT, SIGTERM, SIGHUP] {
        signal_hook::flag::register_usize(signal, stop.clone(), signal as usize)?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn stop_on_signals(_stop: &Arc<AtomicUsize>) -> std::io::Result<()> {
    Ok(())
}
